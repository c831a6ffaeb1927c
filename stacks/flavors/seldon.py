"""The ``pmlops_seldon`` model deployer: ZenML 0.98's Seldon Core deployer with its flaws fixed.

Each fix is a small override with a name (the list is in ``portable_mlops/seldon.py``); tests in
``tests/unit/stacks/test_seldon_flavor.py`` show the flaw in ZenML's class and its absence here:

* F2 ``S3 credentials order`` - :meth:`PortableSeldonDeployer._convert_artifact_store_secret`.
* F4 ``optional fields`` - :class:`PortableSeldonDeployerConfig` (``secret``, ``kubernetes_secret_name``).
* F6 ``image builder`` - ZenML's deployer demands an image builder in the stack for custom-image
  deployments; prepackaged servers need none (:attr:`PortableSeldonDeployer.validator`).
* F7 ``orphaned secret`` - on delete, ZenML keeps the Kubernetes secret while any service uses it,
  and counts the service being deleted (its record still exists): the secret is never removed
  (:meth:`PortableSeldonDeployer.perform_delete_model`).

The deployer builds :class:`portable_mlops.serving.seldon.PortableSeldonService` services (one
SeldonDeployment per model, traffic-split predictors) through :class:`PortableSeldonClient`.

By hand: ``zenml model-deployer flavor register stacks.flavors.seldon.PortableSeldonDeployerFlavor``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast
from uuid import UUID

from zenml.integrations.seldon.flavors.seldon_model_deployer_flavor import (
    SeldonModelDeployerConfig,
    SeldonModelDeployerFlavor,
)
from zenml.integrations.seldon.model_deployers.seldon_model_deployer import SeldonModelDeployer

if TYPE_CHECKING:
    from zenml.secret.base_secret import BaseSecretSchema
    from zenml.services.service import BaseService, ServiceConfig
    from zenml.stack import StackValidator

    from portable_mlops.serving.seldon import PortableSeldonClient

FLAVOR_NAME = "pmlops_seldon"


class PortableSeldonDeployerConfig(SeldonModelDeployerConfig):
    """ZenML's config; F4: both credential settings are optional (the artifact store's are used)."""

    secret: str | None = None
    kubernetes_secret_name: str | None = None


class PortableSeldonDeployer(SeldonModelDeployer):
    """Seldon Core v1 deployer serving prepackaged servers with canary traffic splits."""

    NAME: ClassVar[str] = "Seldon Core (portable-mlops)"

    @property
    def config(self) -> PortableSeldonDeployerConfig:
        return cast(PortableSeldonDeployerConfig, self._config)

    @property
    def validator(self) -> StackValidator | None:
        """F6: no image builder needed; prepackaged servers run Seldon's own images."""
        return None

    @property
    def seldon_client(self) -> PortableSeldonClient:
        """ZenML's client construction (kube context or connector), with :class:`PortableSeldonClient`."""
        from kubernetes import client as k8s_client

        from portable_mlops.serving.seldon import PortableSeldonClient

        if isinstance(self._client, PortableSeldonClient) and not self.connector_has_expired():
            return self._client
        kube_client = None
        connector = self.get_connector()
        if connector:
            if not self.config.kubernetes_namespace:
                raise RuntimeError("set kubernetes_namespace on the model deployer when it uses a service connector")
            kube_client = connector.connect()
            if not isinstance(kube_client, k8s_client.ApiClient):
                raise RuntimeError(f"the connector gave a {type(kube_client)}, not a Kubernetes ApiClient")
        self._client = PortableSeldonClient(
            context=self.config.kubernetes_context, namespace=self.config.kubernetes_namespace, kube_client=kube_client
        )
        return self._client

    def _convert_artifact_store_secret(self) -> BaseSecretSchema:
        """F2: ``S3ArtifactStore.get_credentials()`` returns (key, secret, token, region); ZenML 0.98
        unpacks it as (region, key, secret, token), finds no key/secret pair and silently writes an
        ``env_auth`` secret, so the storage initializer cannot read the model. Other stores: ZenML's."""
        from zenml.client import Client
        from zenml.integrations.seldon.secret_schemas.secret_schemas import SeldonS3SecretSchema

        store: Any = Client().active_stack.artifact_store
        if store.flavor != "s3":
            return super()._convert_artifact_store_secret()
        key, secret, token, region = store.get_credentials()
        if not (key and secret):
            return SeldonS3SecretSchema(rclone_config_s3_env_auth=True)
        schema = SeldonS3SecretSchema(
            rclone_config_s3_access_key_id=key,
            rclone_config_s3_secret_access_key=secret,
            rclone_config_s3_session_token=token,
        )
        kwargs = store.config.client_kwargs or {}
        if "endpoint_url" in kwargs:
            schema.rclone_config_s3_endpoint = kwargs["endpoint_url"]
            schema.rclone_config_s3_provider = "Minio"
        if region or kwargs.get("region_name"):
            schema.rclone_config_s3_region = region or kwargs["region_name"]
        return schema

    def perform_deploy_model(self, id: UUID, config: ServiceConfig, timeout: int = 300) -> BaseService:
        """ZenML's deploy (secret, then start and wait), with this project's service class."""
        from portable_mlops.serving.seldon import PortableSeldonConfig, PortableSeldonService

        config = cast(PortableSeldonConfig, config)
        # always (re)written: the secret follows the artifact store's current credentials
        config.secret_name = self._create_or_update_kubernetes_secret() or config.secret_name
        service = PortableSeldonService(uuid=id, config=config)
        service.start(timeout=timeout)
        return service

    def perform_delete_model(self, service: BaseService, timeout: int = 300, force: bool = False) -> None:
        """F7: delete the SeldonDeployment, then its secret unless another service still uses it."""
        from portable_mlops.serving.seldon import PortableSeldonService

        service = cast(PortableSeldonService, service)
        service.stop(timeout=timeout, force=force)
        secret = service.config.secret_name or self.kubernetes_secret_name
        if not secret or secret == self.config.kubernetes_secret_name:
            return
        others = [s for s in self.find_model_server() if s.uuid != service.uuid]
        if all(getattr(s.config, "secret_name", None) != secret for s in others):
            self.seldon_client.delete_secret(secret)


class PortableSeldonDeployerFlavor(SeldonModelDeployerFlavor):
    """Flavor ``pmlops_seldon``: :class:`PortableSeldonDeployer`."""

    @property
    def name(self) -> str:
        return FLAVOR_NAME

    @property
    def config_class(self) -> type[PortableSeldonDeployerConfig]:
        return PortableSeldonDeployerConfig

    @property
    def implementation_class(self) -> type[PortableSeldonDeployer]:  # type: ignore[override]
        return PortableSeldonDeployer
