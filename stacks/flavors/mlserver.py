"""The ``pmlops_mlserver`` model deployer: a model's MLServer image as a container on one machine.

For orchestrators that run every step in a container of its own on one machine (ZenML's Airflow
orchestrator with ``local: true``): ZenML's MLflow deployer starts its scoring server as a daemon of the
step's process, which dies with the step's container. This deployer asks the container engine
(Docker, or podman's Docker-compatible API) to run the model's serving image instead, the same image
the Seldon deployer runs on Kubernetes, so the endpoint outlives the step.

Services are :class:`portable_mlops.serving.containers.MLServerContainerService`; each serves one model
version; a new deployment starts beside the old one and replaces it after its smoke check
(blue/green, ``portable_mlops/serving/strategies.py``).

By hand: ``zenml model-deployer flavor register stacks.flavors.mlserver.MLServerContainerDeployerFlavor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast
from uuid import UUID

from zenml.model_deployers.base_model_deployer import (
    BaseModelDeployer,
    BaseModelDeployerConfig,
    BaseModelDeployerFlavor,
)

if TYPE_CHECKING:
    from zenml.services.service import BaseService, ServiceConfig

FLAVOR_NAME = "pmlops_mlserver"


class MLServerContainerDeployerConfig(BaseModelDeployerConfig):
    """Where the container engine is and where endpoints listen.

    ``docker_host``: the engine's API (``unix:///path/to.sock``); unset, ``DOCKER_HOST`` of the step's
    environment, else the default socket. ``host``: the address MLServer binds on the engine's host
    (loopback by default: the endpoint is not exposed beyond the machine).
    """

    docker_host: str | None = None
    host: str = "127.0.0.1"


class MLServerContainerDeployer(BaseModelDeployer):
    """Runs models' serving images as containers through the Docker API."""

    NAME: ClassVar[str] = "MLServer container (portable-mlops)"
    FLAVOR: ClassVar[type[BaseModelDeployerFlavor]]

    @property
    def config(self) -> MLServerContainerDeployerConfig:
        return cast(MLServerContainerDeployerConfig, self._config)

    @staticmethod
    def get_model_server_info(service_instance: BaseService) -> dict[str, str | None]:  # type: ignore[override]
        from portable_mlops.serving.containers import MLServerContainerService

        service = cast(MLServerContainerService, service_instance)
        return {
            "PREDICTION_URL": service.prediction_url,
            "HEALTH_CHECK_URL": service.healthcheck_url,
            "CONTAINER": service.config.container_name,
            "IMAGE": service.config.image,
            "MODEL_DIR": service.config.model_dir,
        }

    def perform_deploy_model(self, id: UUID, config: ServiceConfig, timeout: int = 300) -> BaseService:
        """Start a container for ``config`` and wait until MLServer has loaded the model."""
        from portable_mlops.serving.containers import MLServerContainerConfig, MLServerContainerService

        service = MLServerContainerService(uuid=id, config=cast(MLServerContainerConfig, config))
        service.start(timeout=timeout)
        return service

    def perform_stop_model(self, service: BaseService, timeout: int = 60, force: bool = False) -> BaseService:
        service.stop(timeout=timeout, force=force)
        return service

    def perform_start_model(self, service: BaseService, timeout: int = 300) -> BaseService:
        service.start(timeout=timeout)
        return service

    def perform_delete_model(self, service: BaseService, timeout: int = 60, force: bool = False) -> None:
        service.stop(timeout=timeout, force=force)


class MLServerContainerDeployerFlavor(BaseModelDeployerFlavor):
    """Flavor ``pmlops_mlserver``: :class:`MLServerContainerDeployer`."""

    @property
    def name(self) -> str:
        return FLAVOR_NAME

    @property
    def docs_url(self) -> str | None:
        return None

    @property
    def sdk_docs_url(self) -> str | None:
        return None

    @property
    def logo_url(self) -> str:
        return "https://public-flavor-logos.s3.eu-central-1.amazonaws.com/model_deployer/seldon.png"

    @property
    def config_class(self) -> type[MLServerContainerDeployerConfig]:
        return MLServerContainerDeployerConfig

    @property
    def implementation_class(self) -> type[MLServerContainerDeployer]:
        return MLServerContainerDeployer


MLServerContainerDeployer.FLAVOR = MLServerContainerDeployerFlavor
