"""Fixtures for whole-pipeline tests: run.py as a user runs it, state read back through the APIs."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

LOCAL_STACK = "pmlops-local"


@dataclass
class Result:
    """How a run.py invocation ended."""

    code: int
    stdout: str
    stderr: str

    @property
    def last_error_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""


def run_cli(*args: str, timeout: int = 600) -> Result:
    """Run ``python run.py --stack local ARGS`` in the repository, sharing the session's ZenML config.

    ``--stack local`` every time (idempotent): the session's global ZenML config holds the active
    stack (no ZenML repository is used: tests/conftest.py), which other tests may switch.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}  # set by in-process checks
    stack = [] if "--stack" in args else ["--stack", "local"]
    proc = subprocess.run(
        [sys.executable, "run.py", *stack, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def save_as_logged(model: Any, X: Any, into: Path) -> Path:
    """Save a fitted candidate of ``X`` under ``into/model`` as the training pipeline logs one
    (``modeling.tracking.log_candidate``: signature, example, requirements, the model's own code)."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    from portable_mlops.modeling.tracking import model_code, pip_requirements

    example = X.dropna().head(5)
    saved = into / "model"
    mlflow.sklearn.save_model(
        model,
        str(saved),
        signature=infer_signature(example, model.predict(example)),
        input_example=example,
        pip_requirements=pip_requirements(),
        code_paths=[str(model_code(into / "code"))],
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
    )
    return saved


def mlflow_client() -> Any:
    """An MLflow client on the local stack's tracking store (the one the pipelines used)."""
    from mlflow import MlflowClient
    from zenml.client import Client
    from zenml.enums import StackComponentType
    from zenml.stack import StackComponent

    stack = Client().get_stack(LOCAL_STACK)
    model = stack.components[StackComponentType.EXPERIMENT_TRACKER][0]
    tracker = StackComponent.from_model(model)
    uri = tracker.get_tracking_uri()  # type: ignore[attr-defined]
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def champion(name: str) -> str | None:
    """The registry version holding the ``champion`` alias, or None."""
    from portable_mlops.lifecycle.registry import version_by_alias

    found = version_by_alias(mlflow_client(), name, "champion")
    return str(found.version) if found else None


def registry_versions(name: str) -> list[str]:
    """All registry versions of ``name``."""
    return sorted((str(v.version) for v in mlflow_client().search_model_versions(f"name='{name}'")), key=int)


@pytest.fixture(scope="session")
def first_run() -> Result:
    """The Quickstart's job: import the local stack and train the default model."""
    result = run_cli("--stack", "local", "--pipeline", "training")
    assert result.code == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="session", autouse=True)
def _no_orphan_services():
    """After the session, no endpoint started by the tests may keep running."""
    yield
    from portable_mlops.cli.endpoints import stop_all_endpoints

    stop_all_endpoints()
