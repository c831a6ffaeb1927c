"""``make stop``: stop and delete every model endpoint the project started (``python -m
portable_mlops.cli.endpoints``).
"""

from __future__ import annotations


def stop_all_endpoints() -> int:
    """Stop and delete every model service in the ZenML store; returns how many there were."""
    from zenml.client import Client
    from zenml.services.service import BaseDeploymentService

    client = Client()
    responses = client.list_services(size=100).items
    for response in responses:
        try:
            BaseDeploymentService.from_model(response).stop(timeout=30, force=True)
        finally:
            client.delete_service(response.id)
    return len(responses)


if __name__ == "__main__":  # `make stop`
    import portable_mlops.compat  # noqa: F401

    print(f"stopped {stop_all_endpoints()} endpoint(s)")
