"""MLflow registry look-ups the gate needs beyond ZenML's model-registry interface."""

from __future__ import annotations

from typing import Any

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from portable_mlops.errors import PromotionError


def version_by_alias(client: MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """The version of ``name`` that holds ``alias``, or None when the model or the alias does not exist."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        if exc.error_code in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"}:
            return None
        raise


def load_version(name: str, version: str) -> Any:
    """Load a registered scikit-learn model version; a failure names the version and the fix."""
    import mlflow.sklearn

    uri = f"models:/{name}/{version}"
    try:
        return mlflow.sklearn.load_model(uri)
    except Exception as exc:
        raise PromotionError(
            f"cannot load the champion {uri} ({type(exc).__name__}: {exc}); "
            "fix or remove its 'champion' alias in the MLflow registry, then re-run"
        ) from exc


def input_columns(model_uri: str) -> list[str]:
    """The input column names of a logged model's signature."""
    from mlflow.models import get_model_info

    signature = get_model_info(model_uri).signature
    if signature is None:
        raise PromotionError(f"model {model_uri} has no signature; retrain it with this project")
    return list(signature.inputs.input_names())


def active_registry() -> Any:
    """The active stack's model registry, with MLflow's global tracking and registry URIs set to it.

    ``models:/`` URIs and MLflow's own internal clients resolve through the global URIs, which
    ZenML's experiment tracker resets after each tracked step; set them before every registry call.
    """
    from zenml.client import Client

    from portable_mlops.errors import StackSetupError

    registry = Client().active_stack.model_registry
    if registry is None:
        raise StackSetupError("the active stack has no model registry; use a stack from stacks/ (--stack local)")
    if hasattr(registry, "configure_mlflow"):
        registry.configure_mlflow()
        # ZenML sets only the tracking URI (outside Databricks); a stray MLFLOW_REGISTRY_URI in the
        # environment would send registry calls to another server. The registry is the tracker's.
        import mlflow

        mlflow.set_registry_uri(mlflow.get_tracking_uri())
    return registry


def register_version(registry: Any, name: str, model_uri: str, description: str, tags: dict[str, str]) -> str:
    """Register a logged model (``models:/<model id>``) as a version of ``name``; return its number.

    A model that is already a version of ``name`` is not registered again: a re-run whose training
    was cached (same data, same config) gets the version it registered the first time.

    Goes through the stack's MLflow registry client, not ``register_model_version``: ZenML 0.98 sends
    neither the model id nor a source a remote MLflow 3 server accepts for a logged model, so remote
    registration fails (``Invalid model version source``); a local sqlite store happens to accept it.
    """
    from mlflow.exceptions import MlflowException

    client = registry.mlflow_client
    model_id = model_uri.removeprefix("models:/")
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name)
    for existing in client.search_model_versions(f"name = '{name}'"):
        if existing.source == model_uri or getattr(existing, "model_id", None) == model_id:
            return str(existing.version)
    logged = client.get_logged_model(model_id)
    version = client.create_model_version(
        name=name,
        source=model_uri,
        run_id=logged.source_run_id,
        tags=tags,
        description=description,
        model_id=model_id,
    )
    return str(version.version)
