"""A logged candidate carries its own code and nothing else of the project."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from portable_mlops.modeling.estimators import build_candidate
from portable_mlops.modeling.tracking import MODEL_CODE, log_candidate, pip_requirements


@pytest.fixture
def tracking(tmp_path: Path):  # type: ignore[no-untyped-def]
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        yield tmp_path
    finally:
        mlflow.set_tracking_uri(None)


def test_the_model_ships_only_its_own_code_and_pins_its_requirements(tracking: Path, mixed) -> None:  # type: ignore[no-untyped-def]
    X, y = mixed.drop(columns=["label"]), mixed["label"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, y)
    with mlflow.start_run():
        _, uri = log_candidate("logistic_regression", model, {"C": 1.0}, {"cv_roc_auc": 0.9}, X)
    local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(tracking / "model")))
    shipped = sorted(str(p.relative_to(local / "code")) for p in (local / "code").rglob("*.py"))
    assert shipped == sorted(MODEL_CODE)
    requirements = (local / "requirements.txt").read_text().split()
    assert requirements[0].startswith("mlflow==") and sorted(requirements[1:]) == sorted(pip_requirements())
    assert not any(r.startswith(("zenml", "whylogs", "fairlearn", "pydantic")) for r in requirements)
    loaded = mlflow.pyfunc.load_model(uri)
    assert list(loaded.predict(X.head(5))) == list(model.predict(X.head(5)))
