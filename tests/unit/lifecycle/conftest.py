"""A real MLflow registry (sqlite) with registered versions, for the lifecycle tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest


@pytest.fixture
def stages(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """The ZenML stages the champion module sets, as (registry version, stage), in order (the models of
    these tests live in MLflow only)."""
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "portable_mlops.lifecycle.champion.set_stage", lambda model, version, stage: seen.append((version, stage))
    )
    return seen


@dataclass
class Registry:
    """The stack registry's MLflow client over a sqlite store, and helpers to register versions."""

    client: Any
    name: str = "m"

    def log(self, model: Any) -> str:
        """Log a model (no registration); return its ``models:/<id>`` URI."""
        import mlflow

        with mlflow.start_run():
            return str(mlflow.sklearn.log_model(model, name="model", pip_requirements=[]).model_uri)

    @property
    def stack_registry(self) -> Any:
        return SimpleNamespace(mlflow_client=self.client)

    def register(self, coef: float) -> str:
        """Log and register a model that predicts class 1 when ``coef * x > 0``; return its version."""
        import mlflow
        from sklearn.linear_model import LogisticRegression

        X, y = np.linspace(-1, 1, 40).reshape(-1, 1), np.array([0] * 20 + [1] * 20)
        return str(mlflow.register_model(self.log(LogisticRegression().fit(coef * X, y)), self.name).version)

    def alias(self, alias: str) -> str | None:
        from portable_mlops.lifecycle.registry import version_by_alias

        found = version_by_alias(self.client, self.name, alias)
        return str(found.version) if found else None


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield Registry(mlflow.MlflowClient(uri, uri))
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
