"""A re-run on unchanged data reuses the expensive steps and registers nothing twice."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np


def test_the_same_model_is_registered_once(tmp_path: Path) -> None:
    import mlflow
    from sklearn.linear_model import LogisticRegression

    from portable_mlops.lifecycle.registry import register_version

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    try:
        X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
        with mlflow.start_run():
            first = mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="model").model_uri
            second = mlflow.sklearn.log_model(LogisticRegression(C=2).fit(X, y), name="model").model_uri
        registry = SimpleNamespace(mlflow_client=mlflow.MlflowClient(uri))
        versions = [register_version(registry, "m", u, "", {}) for u in (first, first, second, first)]
        assert versions == ["1", "1", "2", "1"]
        assert len(registry.mlflow_client.search_model_versions("name = 'm'")) == 2
    finally:
        mlflow.set_tracking_uri(None)
