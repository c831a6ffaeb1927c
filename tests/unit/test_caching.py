"""A re-run on unchanged data reuses the expensive steps and registers nothing twice."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from portable_mlops.materializers.frame import HashedPandasMaterializer, frame_hash
from tests.conftest import mixed_frame


def test_equal_frames_hash_equal_and_any_change_is_seen() -> None:
    frame = mixed_frame(50)
    assert frame_hash(frame) == frame_hash(mixed_frame(50))
    changed_cell = frame.copy()
    changed_cell.loc[3, "age"] += 1
    renamed = frame.rename(columns={"age": "years"})
    retyped = frame.astype({"age": "float32"})
    reordered = frame.iloc[::-1]
    hashes = {frame_hash(f) for f in (frame, changed_cell, renamed, retyped, reordered)}
    assert len(hashes) == 5


def test_materializer_hashes_frames_only(tmp_path: Path) -> None:
    materializer = HashedPandasMaterializer(uri=str(tmp_path))
    assert materializer.compute_content_hash(mixed_frame(10)) == frame_hash(mixed_frame(10))
    assert materializer.compute_content_hash(pd.Series([1, 2])) is None


def test_the_same_model_is_registered_once(tmp_path: Path) -> None:
    import mlflow
    from sklearn.linear_model import LogisticRegression

    from portable_mlops.registry import register_version

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
