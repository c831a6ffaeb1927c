"""Deploying a registered model through whichever model deployer the active stack has.

The deploy step asks :func:`plan_for` for the deployer's flavor; each flavor maps to a function that
builds that deployer's service config, a rollout strategy and a client protocol. Adding a deployer is
adding entries, not an ``if`` in a step.

* MLflow (local): blue/green. The new service starts beside the old one, must pass a smoke check,
  and only then replaces it; if it fails, it is removed and the old one keeps serving.
* MLServer container (one machine, ``pmlops_mlserver``): blue/green too; the endpoint is a container of
  the model's serving image, so it outlives a step that itself runs in a container (Airflow).
* Seldon (Kubernetes): in place. The model's one SeldonDeployment is merge-patched to the new
  predictors (a canary is a second predictor with a traffic share), smoke-checked, and patched back
  to the previous spec if the check fails. Its URL never changes.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portable_mlops.errors import UserFacingError


class DeploymentError(UserFacingError, RuntimeError):
    """The new deployment failed; the previous one (if any) is still serving."""


@dataclass(frozen=True)
class Target:
    """What to deploy: a registry model version and where its files are."""

    model_name: str
    registry_version: str
    model_uri: str
    pipeline_name: str
    step_name: str
    workers: int
    timeout: int
    #: A second version beside the main one, with its share of the traffic (Seldon canaries).
    canary_version: str | None = None
    canary_uri: str | None = None
    canary_traffic: int = 0
    replicas: int = 1
    resources: dict[str, dict[str, str]] | None = None
    #: The serving image (Seldon); None: built from each version's requirements (``serving.images``).
    serving_image: str | None = None
    model_root: str | None = None


@dataclass(frozen=True)
class Plan:
    """A deployer-specific service config and service type; ``start``, when set, creates and starts the
    service instead of the flavor's own ``perform_deploy_model(id, config, timeout)``."""

    config: Any
    service_type: Any
    start: Callable[[Any, uuid.UUID, Any, int], Any] | None = None


def _mlflow_plan(target: Target) -> Plan:
    from zenml.integrations.mlflow.services import MLFlowDeploymentConfig, MLFlowDeploymentService

    if target.canary_version is not None:
        raise DeploymentError(
            "a canary needs a deployer that splits traffic (the Seldon deployer of stacks/kubeflow.yaml); "
            "the local MLflow deployer serves one model per endpoint: use rollout: deploy"
        )
    config = MLFlowDeploymentConfig(
        # unique per deployment, so the dashboard tells deployments apart
        name=f"{target.model_name}-v{target.registry_version}-{uuid.uuid4().hex[:8]}",
        model_name=target.model_name,
        model_uri=target.model_uri,
        registry_model_name=target.model_name,
        registry_model_version=target.registry_version,
        model_version=target.registry_version,
        workers=target.workers,
        mlserver=False,
        pipeline_name=target.pipeline_name,
        pipeline_step_name=target.step_name,
        timeout=target.timeout,
    )
    return Plan(config, MLFlowDeploymentService.SERVICE_TYPE, start=_start_mlflow_service)


def _start_mlflow_service(deployer: Any, id: uuid.UUID, config: Any, timeout: int) -> Any:
    """What ZenML's MLflow deployer does to deploy (its ``_create_new_service``), with the port picked by
    the OS.

    ZenML's endpoint takes the first free port from 8000 up. Two deployments at once (two pipelines, two
    users of the machine) both find the same one: the second server cannot bind, and its health check
    then passes against the first one's server, which serves another model. A port the OS hands out
    (bound to 0) is not handed to two processes at once; the endpoint keeps it as its preferred port, so
    a restarted endpoint comes back at the same URL when the port is still free.
    """
    from zenml.integrations.mlflow.services import MLFlowDeploymentService

    config.root_runtime_path = deployer.local_path
    service = MLFlowDeploymentService(uuid=id, config=config)
    service.endpoint.config.port = _free_ports(1)[0]
    service.start(timeout=timeout)
    return service


def _seldon_plan(target: Target) -> Plan:
    from zenml.client import Client

    from portable_mlops.serving.images import serving_image
    from portable_mlops.serving.seldon import (
        PortableSeldonConfig,
        PortableSeldonService,
        PredictorConfig,
        export_model,
        model_requirements,
    )

    stack = Client().active_stack
    registry = stack.container_registry

    def image(model_uri: str) -> str:
        if target.serving_image:
            return target.serving_image
        if registry is None:
            raise DeploymentError(
                "the Seldon deployer serves each model in an MLServer image pushed to the stack's container "
                "registry, and this stack has none; add a container_registry to the stack file"
            )
        return serving_image(registry.config.uri, model_requirements(model_uri))

    versions = [("main", target.registry_version, target.model_uri, 100 - target.canary_traffic)]
    if target.canary_version is not None and target.canary_uri is not None:
        versions.append(("canary", target.canary_version, target.canary_uri, target.canary_traffic))
    predictors = [
        PredictorConfig(
            name=name,
            registry_version=version,
            model_uri=export_model(target.model_name, version, uri, target.model_root),
            image=image(uri),
            traffic=traffic if len(versions) > 1 else 100,
        )
        for name, version, uri, traffic in versions
    ]
    deployer: Any = stack.model_deployer
    config = PortableSeldonConfig(
        name=f"{target.model_name}-v{target.registry_version}",
        # stored with the service, so re-applying this spec later (a rollback of a failed update)
        # still names the secret the storage initializer reads
        secret_name=deployer.kubernetes_secret_name,
        model_name=target.model_name,
        model_version=target.registry_version,
        registry_model_version=target.registry_version,
        replicas=target.replicas,
        resources=target.resources,
        workers=target.workers,
        predictors=predictors,
        pipeline_name=target.pipeline_name,
        pipeline_step_name=target.step_name,
    )
    return Plan(config, PortableSeldonService.SERVICE_TYPE)


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on loopback (all held open until all are picked)."""
    import contextlib
    import socket

    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def _container_plan(target: Target) -> Plan:
    """MLServer in a container of the model's serving image, the model folder mounted (``pmlops_mlserver``)."""
    from zenml.client import Client

    from portable_mlops.serving.containers import MLServerContainerConfig, MLServerContainerService
    from portable_mlops.serving.images import serving_image
    from portable_mlops.serving.seldon import export_model, model_requirements

    if target.canary_version is not None:
        raise DeploymentError(
            "a canary needs a deployer that splits traffic (the Seldon deployer of stacks/kubeflow.yaml); "
            "the container deployer serves one model per endpoint: use rollout: deploy"
        )
    stack = Client().active_stack
    if stack.artifact_store.flavor != "local":
        raise DeploymentError(
            "the container deployer mounts the model folder from the artifact store, which must be local "
            f"(this stack's is {stack.artifact_store.flavor}); use the Seldon deployer for a remote store"
        )
    registry = stack.container_registry
    image = target.serving_image or serving_image(
        registry.config.uri if registry is not None else "localhost", model_requirements(target.model_uri)
    )
    deployer: Any = stack.model_deployer
    suffix = uuid.uuid4().hex[:8]
    http, grpc, metrics = _free_ports(3)
    config = MLServerContainerConfig(
        name=f"{target.model_name}-v{target.registry_version}-{suffix}",
        model_name=target.model_name,
        model_version=target.registry_version,
        registry_model_version=target.registry_version,
        model_uri=target.model_uri,
        model_dir=export_model(target.model_name, target.registry_version, target.model_uri, target.model_root),
        image=image,
        container_name=f"pmlops-{target.model_name}-v{target.registry_version}-{suffix}"[:63],
        port=http,
        grpc_port=grpc,
        metrics_port=metrics,
        host=deployer.config.host,
        # the engine as this step reaches it; on Airflow the socket is mounted at its host path, so the
        # host (make stop, the tests) reaches the service's container with the same setting
        docker_host=deployer.config.docker_host or os.environ.get("DOCKER_HOST"),
        workers=target.workers,
        pipeline_name=target.pipeline_name,
        pipeline_step_name=target.step_name,
    )
    return Plan(config, MLServerContainerService.SERVICE_TYPE)


#: Model deployer flavor -> how to build its service config.
PLANNERS: dict[str, Callable[[Target], Plan]] = {
    "mlflow": _mlflow_plan,
    "pmlops_seldon": _seldon_plan,
    "pmlops_mlserver": _container_plan,
}


def plan_for(flavor: str, target: Target) -> Plan:
    """The service config for ``flavor``; a clear error for a deployer this project does not drive."""
    if flavor not in PLANNERS:
        raise DeploymentError(
            f"model deployer flavor '{flavor}' is not supported; use one of {sorted(PLANNERS)} in the stack"
        )
    return PLANNERS[flavor](target)


def model_servers(deployer: Any, model_name: str) -> list[Any]:
    """Every service of ``deployer`` that serves ``model_name``, newest first.

    Filtered here by the service's own config: ZenML's ``find_model_server(model_name=...)`` matches
    only services linked to the model's newest ZenML version, so it misses the running endpoint as
    soon as a newer (unpromoted) version exists. And by the service's type: ZenML's
    ``find_model_server()`` lists the services of every deployer in the store, so after ``zenml stack
    set`` another stack's endpoint (an MLflow server, when this stack's deployer runs MLServer) would
    be taken as this one's: reused as the deployment, stopped by a rollout, asked by batch scoring in
    a protocol it does not speak. A service is this deployer's when its type's flavor is the deployer's.
    """
    return [
        s
        for s in deployer.find_model_server()
        if getattr(s.config, "model_name", None) == model_name and s.SERVICE_TYPE.flavor == deployer.flavor
    ]


def served_version(service: Any) -> str | None:
    """The registry version a deployed service serves (its main traffic), as recorded in its config."""
    version = getattr(service.config, "registry_model_version", None) or getattr(service.config, "model_version", None)
    return str(version) if version is not None else None


def canary_version(service: Any) -> str | None:
    """The registry version of a live canary predictor, if the service has one."""
    canaries = [p for p in getattr(service.config, "predictors", None) or [] if p.name == "canary"]
    return canaries[0].registry_version if canaries else None


def same_spec(service: Any, plan: Plan) -> bool:
    """Whether a live service already serves what ``plan`` asks (versions, traffic, size)."""
    fields = ("registry_model_version", "model_version", "predictors", "replicas", "resources", "workers")
    return all(getattr(service.config, f, None) == getattr(plan.config, f, None) for f in fields)


def predict_via(service: Any, frame: Any, timeout: float = 30.0) -> Any:
    """Predictions of a live service for a DataFrame, in the protocol of its deployer."""
    import numpy as np

    from portable_mlops.serving.client import predict_http

    if hasattr(service, "predict_frame"):  # V2 inference protocol with column names (Seldon + MLServer)
        return np.asarray(service.predict_frame(frame, timeout))
    return predict_http(service.prediction_url, frame, timeout)
