"""Seldon Core v1 serving: the SeldonDeployment this project renders, and the client and service that
drive it through ZenML's seldon integration.

The champion is served by MLServer with its MLflow runtime, over the V2 inference protocol
(``protocol: v2``), in a serving image built from the model's own requirements
(:mod:`portable_mlops.serving.images`, ``images/serving/Dockerfile``). Seldon's prepackaged
``MLFLOW_SERVER`` cannot serve these models: it injects its own requirements (seldon-core 1.18 needs
numpy<2) into the model's environment, which then never resolves, and hands the model unnamed columns.
The registered MLflow model directory (``MLmodel``, the pickled model, its ``code/`` and
``requirements.txt``) is exported into the stack's artifact store, and Seldon's storage initializer
copies it to ``/mnt/models`` in the pod, where MLServer loads it. One SeldonDeployment per model
(``pmlops-<model>``) keeps one URL across updates; a canary is a second predictor of the same
SeldonDeployment with a share of the traffic.

ZenML 0.98's integration is extended, not patched: each fix below is a small override with a name,
tested in ``tests/unit/serving/test_seldon.py`` and ``tests/unit/stacks/test_seldon_flavor.py``,
and could be offered upstream as it is.

* F1 ``model layout`` - ZenML's sklearn path copies ``<artifact>/model`` but the materializer writes
  ``artifact.pkl``. Here the served directory is an MLflow model, and :func:`check_layout` refuses a
  URI without ``MLmodel`` and ``requirements.txt`` (what MLServer's MLflow runtime and the serving
  image need) before anything is deployed.
* F2 ``S3 credentials order`` - in ``stacks/flavors/seldon.py`` (the deployer).
* F3 ``custom spec .to_dict()`` - only ZenML's custom-class step hits it; this path renders its own
  predictors (the serving image in ``componentSpecs``) and never calls it, so it is avoided, not patched.
* F4 ``optional fields`` - ``secret``/``kubernetes_secret_name`` (deployer config) and
  :class:`SeldonStatus` ``conditions`` get defaults, so the operator's status parses.
* F5 ``model resources`` - ZenML puts resources on the Seldon engine (``engineResources``); they
  belong to the model container (``componentSpecs[].spec.containers[classifier]``).
"""

from __future__ import annotations

import os
import re
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from zenml.integrations.seldon.seldon_client import (
    SeldonClient,
    SeldonClientError,
    SeldonDeployment,
    SeldonDeploymentComponentSpecs,
    SeldonDeploymentMetadata,
    SeldonDeploymentNotFoundError,
    SeldonDeploymentPredictiveUnit,
    SeldonDeploymentPredictor,
    SeldonDeploymentSpec,
    SeldonDeploymentStatus,
    SeldonResourceRequirements,
)
from zenml.integrations.seldon.services.seldon_deployment import SeldonDeploymentConfig, SeldonDeploymentService
from zenml.models.v2.misc.service import ServiceType

from portable_mlops.errors import UserFacingError
from portable_mlops.serving.images import MODEL_DIR, MODEL_NAME, parallel_workers

GROUP, VERSION, PLURAL = "machinelearning.seldon.io", "v1", "seldondeployments"
FLAVOR = "pmlops_seldon"
#: The container (graph node) name of the model in every predictor; also the model's name in MLServer.
NODE = MODEL_NAME
#: Files the serving image needs at the model URI (F1): checked before deploying.
LAYOUT = ("MLmodel", "requirements.txt")
#: Seldon Core v1's ports of a predictive unit's container (HTTP, gRPC); MLServer's metrics port.
HTTP_PORT, GRPC_PORT, METRICS_PORT = 9000, 9500, 6000


class SeldonError(UserFacingError, RuntimeError):
    """A Seldon deployment cannot be rendered or rolled out as asked."""


# --- the SeldonDeployment resource, with what ZenML's models leave out -------------------------------


class SeldonStatus(SeldonDeploymentStatus):
    """F4: the operator reports ``state`` and ``address`` before (or without) ``conditions``."""

    conditions: list[Any] = Field(default_factory=list)  # type: ignore[assignment]


class SeldonPredictor(SeldonDeploymentPredictor):
    """A predictor with its share of the traffic (a canary is a second predictor)."""

    traffic: int | None = None
    labels: dict[str, str] | None = None


class SeldonSpec(SeldonDeploymentSpec):
    predictors: list[SeldonPredictor]  # type: ignore[assignment]


class SeldonManifest(SeldonDeployment):
    """A SeldonDeployment that keeps traffic splits and parses an operator status without conditions."""

    spec: SeldonSpec
    status: SeldonStatus | None = None  # type: ignore[assignment]


class PredictorConfig(BaseModel):
    """One predictor of the SeldonDeployment: which registry version it serves and its traffic share."""

    model_config = ConfigDict(extra="forbid")

    name: str
    registry_version: str
    model_uri: str
    #: The MLServer image built from this version's requirements (``serving.images.serving_image``).
    image: str
    traffic: int = Field(100, ge=0, le=100)


class PortableSeldonConfig(SeldonDeploymentConfig):
    """ZenML's Seldon service config plus the predictors (main and canary) and F4 defaults."""

    implementation: str = "MLSERVER"
    parameters: list[Any] | None = None  # type: ignore[assignment]
    resources: SeldonResourceRequirements | None = None
    secret_name: str | None = None
    predictors: list[PredictorConfig] = Field(default_factory=list)
    #: The version taking the main predictor's traffic (what ``served_version`` reports).
    registry_model_version: str = ""
    #: Processes that predict in each model container (``serving.images.parallel_workers``). None: a
    #: deployment recorded before this was (its MLServer runs a worker process), which ``same_spec``
    #: then redeploys.
    workers: int | None = None


def deployment_name(model_name: str) -> str:
    """The one SeldonDeployment name of a model: a DNS-1123 label, stable across versions."""
    return ("pmlops-" + re.sub(r"[^a-z0-9-]+", "-", model_name.lower())).strip("-")[:63]


def check_layout(listing: list[str]) -> None:
    """F1: the model URI must hold an MLflow model with its requirements (``listing``: its file names)."""
    missing = [name for name in LAYOUT if name not in listing]
    if missing:
        raise SeldonError(
            f"the served model needs {missing} at the model URI but found {sorted(listing)[:8]}; "
            "serve a model registered by this project's training pipeline"
        )


def export_model(model_name: str, version: str, model_uri: str, root: str | None = None) -> str:
    """Copy a registered MLflow model into the artifact store, where the storage initializer reads it.

    ``<root>/<model>/v<version>/`` (default root: ``<artifact store>/served-models``) gets the MLflow
    model directory, ``MLmodel`` last, so a directory with ``MLmodel`` is complete; an existing one is
    reused. The storage initializer reads it with the artifact store's credentials (F2).
    """
    import tempfile
    from pathlib import Path

    import mlflow
    from zenml.client import Client
    from zenml.io import fileio

    base = (root or f"{Client().active_stack.artifact_store.path}/served-models").rstrip("/")
    dest = f"{base}/{model_name}/v{version}"
    if not fileio.exists(f"{dest}/MLmodel"):
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=tmp))
            check_layout([p.name for p in local.iterdir()])
            files = sorted((p for p in local.rglob("*") if p.is_file()), key=lambda p: p.name == "MLmodel")
            for path in files:
                target = f"{dest}/{path.relative_to(local).as_posix()}"
                fileio.makedirs(target.rsplit("/", 1)[0])
                fileio.copy(str(path), target, overwrite=True)
    check_layout([str(name).rstrip("/").rsplit("/", 1)[-1] for name in fileio.listdir(dest)])
    return dest


def model_requirements(model_uri: str) -> str:
    """The ``requirements.txt`` a logged MLflow model carries (what its serving image is built from)."""
    from pathlib import Path

    import mlflow.pyfunc

    return Path(mlflow.pyfunc.get_model_dependencies(model_uri, format="pip")).read_text()


def container(image: str, resources: dict[str, Any] | None, workers: int | None = 1) -> dict[str, Any]:
    """The model container of a predictor: the serving image, MLServer told where the model is, which
    ports Seldon routes to and how many processes predict, and the model's resources (F5)."""
    env = {
        "MLSERVER_MODEL_NAME": MODEL_NAME,
        "MLSERVER_MODEL_IMPLEMENTATION": "mlserver_mlflow.MLflowRuntime",
        "MLSERVER_MODEL_URI": MODEL_DIR,
        "MLSERVER_HTTP_PORT": str(HTTP_PORT),
        "MLSERVER_GRPC_PORT": str(GRPC_PORT),
        "MLSERVER_METRICS_PORT": str(METRICS_PORT),
        "MLSERVER_PARALLEL_WORKERS": str(parallel_workers(workers)),
    }
    spec: dict[str, Any] = {"name": NODE, "image": image, "env": [{"name": k, "value": v} for k, v in env.items()]}
    if resources:
        spec["resources"] = resources
    return spec


def render(
    name: str,
    config: PortableSeldonConfig,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> SeldonManifest:
    """The SeldonDeployment for ``config``: one predictor per entry, traffic split, model resources (F5)."""
    if not config.predictors:
        raise SeldonError("a SeldonDeployment needs at least one predictor")
    if sum(p.traffic for p in config.predictors) != 100:
        raise SeldonError(f"traffic shares must add up to 100, got {[p.traffic for p in config.predictors]}")
    resources = (
        {k: v for k, v in config.resources.model_dump().items() if v}
        if config.resources and (config.resources.requests or config.resources.limits)
        else None
    )
    predictors = [
        SeldonPredictor(
            name=p.name,
            replicas=config.replicas,
            traffic=p.traffic if len(config.predictors) > 1 else None,
            labels={"registry_version": p.registry_version},
            graph=SeldonDeploymentPredictiveUnit(
                name=NODE,
                type="MODEL",
                modelUri=p.model_uri,
                envSecretRefName=config.secret_name,
                serviceAccountName=config.serviceAccountName,
            ),
            engineResources=None,
            componentSpecs=[
                SeldonDeploymentComponentSpecs(spec={"containers": [container(p.image, resources, config.workers)]})
            ],
        )
        for p in config.predictors
    ]
    manifest = SeldonManifest(
        metadata=SeldonDeploymentMetadata(name=name, labels=labels or {}, annotations=annotations or {}),
        spec=SeldonSpec(name=name, protocol="v2", predictors=predictors, replicas=config.replicas),
    )
    manifest.mark_as_managed_by_zenml()
    return manifest


def as_resource(manifest: SeldonManifest, namespace: str) -> dict[str, Any]:
    """The manifest as the Kubernetes API receives it (``kubectl apply -f`` takes this as YAML)."""
    body = manifest.model_dump(mode="json", exclude_none=True, exclude={"status"})
    body["metadata"]["namespace"] = namespace
    return body


# --- the client: ZenML's, parsing into the models above ----------------------------------------------


class PortableSeldonClient(SeldonClient):
    """ZenML's SeldonClient, reading SeldonDeployments into :class:`SeldonManifest` (F4, traffic)."""

    def _parse(self, item: dict[str, Any], name: str) -> SeldonManifest:
        try:
            deployment = SeldonManifest(**item)
        except ValidationError as exc:
            raise SeldonDeploymentNotFoundError(f"SeldonDeployment {name} could not be parsed: {exc}") from exc
        if not deployment.is_managed_by_zenml():
            raise SeldonDeploymentNotFoundError(f"SeldonDeployment {name} is not managed by ZenML")
        return deployment

    def get_deployment(self, name: str) -> SeldonManifest:
        from kubernetes.client.rest import ApiException

        try:
            item = self._custom_objects_api.get_namespaced_custom_object(
                group=GROUP, version=VERSION, namespace=self._namespace, plural=PLURAL, name=name
            )
        except ApiException as exc:
            if exc.status == 404:
                raise SeldonDeploymentNotFoundError(f"SeldonDeployment resource not found: {name}") from exc
            raise SeldonClientError(f"fetching SeldonDeployment {name} failed: {exc.status} {exc.reason}") from exc
        return self._parse(item, name)

    def find_deployments(
        self, name: str | None = None, labels: dict[str, str] | None = None, fields: dict[str, str] | None = None
    ) -> list[SeldonDeployment]:
        from kubernetes.client.rest import ApiException

        selector = {**(labels or {}), "app": "zenml"}
        fields = {"metadata.name": name} if name else (fields or {})
        try:
            response = self._custom_objects_api.list_namespaced_custom_object(
                group=GROUP,
                version=VERSION,
                namespace=self._namespace,
                plural=PLURAL,
                label_selector=",".join(f"{k}={v}" for k, v in selector.items()),
                field_selector=",".join(f"{k}={v}" for k, v in fields.items()) or None,
            )
        except ApiException as exc:
            raise SeldonClientError(f"listing SeldonDeployments failed: {exc.status} {exc.reason}") from exc
        found: list[SeldonDeployment] = []
        for item in response.get("items") or []:
            try:
                found.append(self._parse(item, item.get("metadata", {}).get("name", "?")))
            except SeldonDeploymentNotFoundError:
                continue
        return found


# --- the service ---------------------------------------------------------------------------------------


class PortableSeldonService(SeldonDeploymentService):
    """A model's SeldonDeployment as a ZenML service: render, create or merge-patch, predict.

    The resource is named after the model, not the service id, so a new service (a new deployment
    run) updates the running SeldonDeployment in place and its URL does not change.
    """

    SERVICE_TYPE = ServiceType(
        name="pmlops-seldon-deployment",
        type="model-serving",
        flavor=FLAVOR,
        description="Seldon Core v1 SeldonDeployment, MLServer (protocol v2), canary traffic splits (portable-mlops)",
        logo_url="https://public-flavor-logos.s3.eu-central-1.amazonaws.com/model_deployer/seldon.png",
    )

    config: PortableSeldonConfig

    @property
    def seldon_deployment_name(self) -> str:
        return deployment_name(self.config.model_name)

    def manifest(self) -> SeldonManifest:
        return render(
            self.seldon_deployment_name,
            self.config,
            labels=self._get_seldon_deployment_labels(),
            annotations=self.config.get_seldon_deployment_annotations(),
        )

    def provision(self) -> None:
        """Create the SeldonDeployment, or merge-patch it to this service's predictors."""
        client = self._get_client()
        manifest = self.manifest()
        try:
            client.get_deployment(name=manifest.name)
        except SeldonDeploymentNotFoundError:
            client.create_deployment(deployment=manifest)
        else:
            client.update_deployment(manifest)

    def predict_frame(self, frame: pd.DataFrame, timeout: float = 30.0) -> Any:
        """Predictions over the V2 inference protocol, columns named (ZenML's ``predict`` sends an unnamed
        ndarray in Seldon's own protocol, which the model's column signature rejects)."""
        from portable_mlops.serving.client import predict_v2

        url = self.prediction_url
        if url is None:
            raise SeldonError(f"SeldonDeployment {self.seldon_deployment_name} is not available")
        return predict_v2(url, frame, timeout)

    def predict(self, request: Any) -> Any:  # type: ignore[override]
        """ZenML's service interface: a DataFrame (names kept) or ZenML's JSON string of rows."""
        if isinstance(request, pd.DataFrame):
            return self.predict_frame(request)
        return super().predict(request)

    @property
    def prediction_url(self) -> str | None:
        if not self.is_running:
            return None
        from zenml.integrations.seldon.model_deployers.seldon_model_deployer import SeldonModelDeployer

        base = SeldonModelDeployer.get_active_model_deployer().config.base_url  # type: ignore[attr-defined]
        namespace = self._get_client().namespace
        return os.path.join(base, "seldon", namespace, self.seldon_deployment_name, f"v2/models/{MODEL_NAME}/infer")
