"""How a new spec replaces the running one: blue/green (a new endpoint beside the old, MLflow) or in
place (the one resource merge-patched, Seldon). Each starts, smoke-checks, and either retires the
old or restores it; :data:`STRATEGIES` maps a deployer flavor to its strategy."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from portable_mlops.serving.deployers import DeploymentError, Plan, model_servers

logger = logging.getLogger(__name__)


def _log_tail(service: Any, lines: int = 30) -> None:
    """Put the end of a failed service's own log into ours before the service is deleted."""
    from zenml.logger import get_logger

    try:
        tail = list(service.get_logs(follow=False, tail=lines))
    except Exception:  # noqa: BLE001 - not every service keeps logs
        return
    get_logger(__name__).error("Last lines of the failed endpoint's log:\n%s", "\n".join(tail))


def start_new_service(deployer: Any, plan: Plan, timeout: int) -> Any:
    """Register and start a new service, always a new one.

    ZenML 0.98's ``BaseModelDeployer.deploy_model(replace=False)`` first looks for a service "with the
    exact same configuration", but its store ignores the config filter, so it hands back the newest
    service of that type, even a dead one, and starts nothing. This does what ``deploy_model`` does
    after that look-up: create the service record, let the flavor deploy it (or the plan's own
    ``start``), store its state.
    """
    from zenml.client import Client

    client = Client()
    response = client.create_service(config=plan.config, service_type=plan.service_type)
    try:
        if plan.start is not None:
            service = plan.start(deployer, response.id, plan.config, timeout)
        else:
            service = deployer.perform_deploy_model(id=response.id, config=plan.config, timeout=timeout)
    except Exception:
        client.delete_service(response.id)
        raise
    client.update_service(
        id=service.uuid,
        name=service.config.service_name,
        service_source=service.model_dump().get("type"),
        admin_state=service.admin_state,
        status=service.status.model_dump(),
        endpoint=service.endpoint.model_dump() if service.endpoint else None,
        prediction_url=service.get_prediction_url(),
        health_check_url=service.get_healthcheck_url(),
    )
    return service


def blue_green(
    deployer: Any,
    plan: Plan,
    model_name: str,
    smoke: Callable[[Any], None],
    timeout: int,
    start: Callable[[Any, Plan, int], Any] = start_new_service,
) -> Any:
    """Start a new service beside the old ones, smoke-check it, then retire the old ones.

    If starting or the smoke check fails, the new service is deleted and the old ones are untouched.
    """
    previous = model_servers(deployer, model_name)
    service = None
    try:
        service = start(deployer, plan, timeout)
        if not service.is_running:
            raise DeploymentError(f"the new endpoint did not start: {service.status.last_error or 'no reason given'}")
        smoke(service)
    except Exception as exc:
        if service is not None:
            _log_tail(service)
            deployer.delete_model_server(service.uuid, timeout=timeout, force=True)
        still = [s.prediction_url for s in previous if s.is_running]
        keep = f"; the previous endpoint {still[0]} keeps serving" if still else "; no previous endpoint was running"
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DeploymentError(f"deployment of {model_name} failed ({message}){keep}") from exc
    for old in previous:
        if old.uuid != service.uuid:
            deployer.delete_model_server(old.uuid, timeout=timeout, force=True)
    return service


def in_place(
    deployer: Any,
    plan: Plan,
    model_name: str,
    smoke: Callable[[Any], None],
    timeout: int,
    start: Callable[[Any, Plan, int], Any] = start_new_service,
) -> Any:
    """Roll the model's one deployment to ``plan`` in place: a new service record whose start
    creates or merge-patches the resource, a smoke check, then the old records are retired.

    If starting or the smoke check fails, the previous service's spec is applied again (it keeps its
    URL and traffic); with no previous service, the new one is deleted.
    """
    from zenml.client import Client

    previous = model_servers(deployer, model_name)
    service = None
    try:
        service = start(deployer, plan, timeout)
        if not service.is_running:
            raise DeploymentError(f"the new spec did not become available: {service.status.last_error or 'no reason'}")
        smoke(service)
    except Exception as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if previous:
            if service is not None:
                Client().delete_service(service.uuid)
            try:
                previous[0].start(timeout=timeout)
                keep = f"; the previous spec was applied again and serves at {previous[0].prediction_url}"
            except Exception as again:  # noqa: BLE001 - reported, the original error is raised
                keep = f"; re-applying the previous spec failed too ({again})"
        else:
            if service is not None:
                deployer.delete_model_server(service.uuid, timeout=timeout, force=True)
            keep = "; nothing was serving before"
        raise DeploymentError(f"deployment of {model_name} failed ({message}){keep}") from exc
    for old in previous:
        if old.uuid != service.uuid:
            Client().delete_service(old.uuid)  # the resource itself lives on under the new record
    return service


#: Model deployer flavor -> how a new spec replaces the running one.
STRATEGIES: dict[str, Callable[..., Any]] = {
    "mlflow": blue_green,
    "pmlops_mlserver": blue_green,
    "pmlops_seldon": in_place,
}


def roll_out(
    flavor: str, deployer: Any, plan: Plan, model_name: str, smoke: Callable[[Any], None], timeout: int
) -> Any:
    """Apply ``plan`` with the strategy of the deployer's flavor (blue/green or in place)."""
    return STRATEGIES.get(flavor, blue_green)(deployer, plan, model_name, smoke, timeout)
