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
    return registry
