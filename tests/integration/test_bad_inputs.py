"""Bad input through ``run.py`` as a user runs it (the catalogue is in tests/catalogue.py).

Every refused case ends with exit 1 and one line that names the problem and the fix, and leaves the
registry (versions, champion alias), the ZenML production stage and the running endpoint as they
were. Cases that can be handled (extra columns; unseen categories, see tests/unit/data/test_validation.py)
are handled and said in the run's summary.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portable_mlops.serving.client import predict_http
from tests.catalogue import CATALOGUE, TARGET, csv_with, default_frame, set_values
from tests.integration.conftest import Result, champion, registry_versions, run_cli

pytestmark = pytest.mark.integration
MODEL = "breast_cancer_classifier"
#: One case per stage that refuses input: reading the file, preparing the frame (with a 1 MB value in
#: the message), validating against the champion. Every case of the catalogue runs through the same
#: functions in tests/unit/data/test_bad_input_catalogue.py; all of them fail before anything is trained or registered.
END_TO_END = ["truncated Parquet", "infinities"]


@pytest.fixture(scope="module")
def endpoint(first_run) -> str:
    result = run_cli("--pipeline", "deployment")
    assert result.code == 0, result.stderr[-3000:]
    found = re.search(r"endpoint: (http://\S+)", result.stdout)
    assert found, result.stdout[-2000:]
    return found.group(1)


def probe() -> pd.DataFrame:
    return default_frame().drop(columns=[TARGET]).head(25)


@pytest.mark.parametrize("case", END_TO_END)
def test_bad_training_data_is_refused_and_nothing_changes(endpoint: str, tmp_path: Path, case: str) -> None:
    name, content, expected = CATALOGUE[case]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = (champion(MODEL), registry_versions(MODEL), predict_http(endpoint, probe()).tolist())
    result = run_cli("--pipeline", "training", "--data", str(path), "--target", TARGET, "--model-name", MODEL)
    assert result.code == 1, (case, result.stdout[-1500:])
    line = result.last_error_line
    assert line.startswith("error: ") and expected in line, (case, line[:800])
    assert ";" in line and len(line) < 1000, line[:800]  # the problem; then the fix, on one line
    after = (champion(MODEL), registry_versions(MODEL), predict_http(endpoint, probe()).tolist())
    assert after == before, case


def test_bad_batch_is_refused_before_scoring_and_the_endpoint_keeps_serving(endpoint: str, tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_bytes(csv_with(set_values("mean area", np.inf, every=3)))
    expected = predict_http(endpoint, probe()).tolist()
    result = run_cli("--pipeline", "inference", "--data", str(path), "--target", TARGET, "--model-name", MODEL)
    assert result.code == 1 and "'mean area': values within" in result.last_error_line, result.last_error_line
    assert predict_http(endpoint, probe()).tolist() == expected


def test_extra_columns_are_ignored_when_scoring_and_said(endpoint: str, tmp_path: Path) -> None:
    frame = default_frame().drop(columns=[TARGET]).head(60).assign(note="free text", extra=1.0)
    path = tmp_path / "batch.csv"
    frame.to_csv(path, index=False)
    versions = registry_versions(MODEL)
    result: Result = run_cli("--pipeline", "inference", "--data", str(path), "--target", TARGET, "--model-name", MODEL)
    assert result.code == 0, result.stderr[-3000:]
    assert "note: columns not in the champion's training data: extra, note" in result.stdout
    assert "scored 60 rows" in result.stdout and registry_versions(MODEL) == versions
