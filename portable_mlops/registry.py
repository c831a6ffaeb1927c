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
