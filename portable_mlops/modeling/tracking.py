"""Logging candidates to MLflow: parameters, scores and the model with signature and input example."""

from __future__ import annotations

import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature

from portable_mlops.modeling import estimators

#: Packages a served model needs, pinned to what trained it: given explicitly, MLflow does not spend
#: seconds inferring them.
SERVING_PACKAGES = ("scikit-learn", "xgboost", "pandas", "numpy", "scipy", "cloudpickle")


def _installed(name: str) -> str:
    try:
        return f"{name}=={version(name)}"
    except Exception:  # noqa: BLE001 - xgboost may be installed as xgboost-cpu
        return f"{name}=={version(name + '-cpu')}"


def pip_requirements() -> list[str]:
    """Exact pins of the serving packages, as installed here."""
    return [_installed(name) for name in SERVING_PACKAGES]


#: The model's own code, shipped as its ``code_paths``: the estimators module and its two package
#: ``__init__`` files, which import only what :data:`SERVING_PACKAGES` lists (``.importlinter`` checks it).
MODEL_CODE = (
    "portable_mlops/__init__.py",
    "portable_mlops/modeling/__init__.py",
    "portable_mlops/modeling/estimators.py",
)


def model_code(into: Path) -> Path:
    """Copy the model's own code (:data:`MODEL_CODE`) under ``into``; return the package directory
    to pass as ``code_paths`` (MLflow puts its parent on ``sys.path`` when it loads the model)."""
    root = Path(estimators.__file__).resolve().parents[2]
    for relative in MODEL_CODE:
        target = into / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target)
    return into / "portable_mlops"


def log_candidate(
    family: str, model: Any, params: dict[str, Any], metrics: dict[str, float], X: pd.DataFrame
) -> tuple[str, str]:
    """Log one candidate as a nested MLflow run; return its run id and model URI (``models:/<id>``)."""
    example = X.dropna().head(5) if len(X.dropna()) else X.head(5)
    signature = infer_signature(example, model.predict(example))
    with mlflow.start_run(run_name=family, nested=True) as run, tempfile.TemporaryDirectory() as code:
        mlflow.log_params({"family": family, **params})
        mlflow.log_metrics(metrics)
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=signature,
            input_example=example,
            pip_requirements=pip_requirements(),
            code_paths=[str(model_code(Path(code)))],
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        )
    return run.info.run_id, str(info.model_uri)


def source_run_id(model_uri: str) -> str:
    """The MLflow run that logged the model at ``model_uri`` (``models:/<model id>``)."""
    return str(mlflow.get_logged_model(model_uri.removeprefix("models:/")).source_run_id)
