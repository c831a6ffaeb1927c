"""Serving a model in a container of its MLServer image on one machine's container engine.

The model deployer of the ``airflow`` stack (``stacks/flavors/mlserver.py``, flavor
``pmlops_mlserver``). It starts the model's serving image (:mod:`portable_mlops.serving.images`,
MLServer with its MLflow runtime, built from the model's own requirements; the image Seldon runs) as a
detached container through the Docker API of a Docker engine or podman (``DOCKER_HOST``), with the
registered MLflow model folder bind-mounted read-only at ``/mnt/models`` and MLServer on a free port of
the host's network. The endpoint speaks the V2 inference protocol, as on Seldon Core.

Unlike ZenML's MLflow deployer, whose scoring server is a daemon of the step's process, the container
outlives the step that started it: a step running in a container itself (Airflow's DockerOperator,
``local: true``) leaves a running endpoint behind for the inference pipeline and the user.

The model folder comes from :func:`portable_mlops.serving.seldon.export_model` (the artifact store's
``served-models/<model>/v<version>``), so the artifact store must be a folder the engine's host sees
at the same path: a local artifact store, which ZenML's Airflow orchestrator mounts into every step at
the same path.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pandas as pd
from zenml.models.v2.misc.service import ServiceType
from zenml.services.service import BaseDeploymentService, ServiceConfig
from zenml.services.service_status import ServiceState, ServiceStatus

from portable_mlops.errors import UserFacingError
from portable_mlops.serving.images import MODEL_DIR, MODEL_NAME, parallel_workers

FLAVOR = "pmlops_mlserver"
#: Label on every container this deployer starts (``make stop`` and the tests find them by it).
LABEL = "portable-mlops.serving"
#: MLServer runs as uid 1000 in the serving image: the model folder must be readable by it.
READABLE_DIR, READABLE_FILE = 0o755, 0o644


class ContainerServingError(UserFacingError, RuntimeError):
    """The serving container could not be started or reached (one line, with the fix)."""


def docker_client(docker_host: str | None = None) -> Any:
    """A Docker API client for ``docker_host``, else ``DOCKER_HOST``, else the default socket."""
    import docker

    base_url = docker_host or os.environ.get("DOCKER_HOST")
    try:
        client = docker.DockerClient(base_url=base_url) if base_url else docker.from_env()
        client.ping()
    except Exception as exc:  # any failure to reach the engine is the same problem
        where = base_url or "the default socket (/var/run/docker.sock)"
        raise ContainerServingError(
            f"cannot reach a container engine at {where} ({type(exc).__name__}); set DOCKER_HOST to a Docker "
            "or podman API socket (make airflow-up starts podman's)"
        ) from exc
    return client


def make_readable(folder: str) -> None:
    """Let MLServer (uid 1000 in the image) read the model folder a root step may have written."""
    root = Path(folder)
    for path in [root, *root.rglob("*")]:
        path.chmod(READABLE_DIR if path.is_dir() else READABLE_FILE)


class MLServerContainerConfig(ServiceConfig):
    """What the container serves and where: stored with the service, so any process can find it."""

    registry_model_version: str
    model_uri: str
    #: Folder of the MLflow model on the engine's host, mounted read-only at /mnt/models.
    model_dir: str
    image: str
    container_name: str
    #: MLServer's HTTP, gRPC and metrics ports on the host's network (free when the plan was made).
    port: int
    grpc_port: int
    metrics_port: int
    host: str = "127.0.0.1"
    docker_host: str | None = None
    #: Processes that predict (``serving.images.parallel_workers``). None: a service recorded before
    #: this was (its MLServer runs a worker process), which ``same_spec`` then redeploys.
    workers: int | None = None


class MLServerContainerService(BaseDeploymentService):
    """A model served by MLServer in a container: start, stop, status, logs, predictions (V2)."""

    SERVICE_TYPE = ServiceType(
        name="pmlops-mlserver-container",
        type="model-serving",
        flavor=FLAVOR,
        description="MLServer (V2 inference protocol) in a container of the model's serving image (portable-mlops)",
        logo_url="https://public-flavor-logos.s3.eu-central-1.amazonaws.com/model_deployer/seldon.png",
    )

    config: MLServerContainerConfig
    status: ServiceStatus = ServiceStatus()

    def _container(self) -> Any | None:
        import docker.errors

        try:
            return docker_client(self.config.docker_host).containers.get(self.config.container_name)
        except docker.errors.NotFound:
            return None

    def provision(self) -> None:
        """Run the serving image detached, the model mounted read-only, MLServer on the configured port."""
        import docker.errors

        client = docker_client(self.config.docker_host)
        try:
            client.images.get(self.config.image)
        except docker.errors.ImageNotFound as exc:
            raise ContainerServingError(
                f"the serving image {self.config.image} is not in the container engine; build it: "
                f"make serving-image MODEL=models:/{self.config.model_name}/{self.config.registry_model_version}"
            ) from exc
        if self._container() is not None:
            return
        make_readable(self.config.model_dir)
        client.containers.run(
            self.config.image,
            name=self.config.container_name,
            detach=True,
            network_mode="host",
            volumes={self.config.model_dir: {"bind": MODEL_DIR, "mode": "ro"}},
            environment={
                "MLSERVER_HOST": self.config.host,
                "MLSERVER_HTTP_PORT": str(self.config.port),
                "MLSERVER_GRPC_PORT": str(self.config.grpc_port),
                "MLSERVER_METRICS_PORT": str(self.config.metrics_port),
                "MLSERVER_MODEL_NAME": MODEL_NAME,
                "MLSERVER_PARALLEL_WORKERS": str(parallel_workers(self.config.workers)),
            },
            labels={LABEL: "true", "model": self.config.model_name, "version": self.config.registry_model_version},
        )

    def deprovision(self, force: bool = False) -> None:
        """Remove the container (stopping it first); the model folder stays for a later deployment."""
        container = self._container()
        if container is not None:
            container.remove(force=True)

    def check_status(self) -> tuple[ServiceState, str]:
        """Active once MLServer says the model is ready; an exited container is an error with its last log line."""
        import requests

        container = self._container()
        if container is None:
            return ServiceState.INACTIVE, "no container"
        if container.status not in {"running", "created"}:
            tail = container.logs(tail=5).decode(errors="replace").strip().splitlines() or ["no log"]
            return ServiceState.ERROR, f"container {container.status}: {tail[-1]}"
        try:
            ready = requests.get(self.ready_url, timeout=2).status_code == 200
        except requests.RequestException:
            ready = False
        return (ServiceState.ACTIVE, "") if ready else (ServiceState.PENDING_STARTUP, "loading the model")

    def get_logs(self, follow: bool = False, tail: int | None = None) -> Generator[str, bool, None]:
        container = self._container()
        if container is None:
            return
        text = container.logs(tail=tail if tail is not None else "all").decode(errors="replace")
        yield from text.splitlines()

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}"

    @property
    def ready_url(self) -> str:
        return f"{self.base_url}/v2/models/{MODEL_NAME}/ready"

    @property
    def prediction_url(self) -> str | None:
        return f"{self.base_url}/v2/models/{MODEL_NAME}/infer" if self.is_running else None

    @property
    def healthcheck_url(self) -> str | None:
        return self.ready_url

    def predict_frame(self, frame: pd.DataFrame, timeout: float = 30.0) -> Any:
        """Predictions over the V2 inference protocol, columns named."""
        from portable_mlops.serving.client import predict_v2

        url = self.prediction_url
        if url is None:
            raise ContainerServingError(
                f"the endpoint of {self.config.model_name} v{self.config.registry_model_version} is not running; "
                "redeploy with: python run.py --pipeline deployment"
            )
        return predict_v2(url, frame, timeout)

    def predict(self, request: Any) -> Any:
        return self.predict_frame(request)
