"""A regression through ``run.py`` as a user runs it: scikit-learn's diabetes data as a CSV of one's own
(a numeric label, ``target``), trained, gated, deployed, scored, checked for drift, and the wrong task
refused. Nothing tells the pipelines it is a regression: the label does (``task: auto``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from portable_mlops.serving.client import predict_http
from tests.integration.conftest import Result, champion, mlflow_client, registry_versions, run_cli

pytestmark = pytest.mark.integration
MODEL = "diabetes_regressor"  # the name run.py gives diabetes.csv's model: its label makes a regression


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sklearn.datasets import load_diabetes

    path = tmp_path_factory.mktemp("regression") / "diabetes.csv"
    load_diabetes(as_frame=True).frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def loop(data: Path) -> Result:
    """The Quickstart's three pipelines on the regression data: train, deploy, score the file."""
    result = run_cli("--data", str(data), "--target", "target")
    assert result.code == 0, result.stderr[-3000:]
    return result


def endpoint_of(result: Result) -> str:
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("endpoint: http"))
    return line.split("endpoint: ")[1].strip()


def test_it_trains_gates_deploys_and_scores_numbers(loop: Result, data: Path) -> None:
    out = loop.stdout
    assert f"model '{MODEL}' version 1 (registry v1, regression): PROMOTED to champion" in out, out[-3000:]
    holdout = next(line for line in out.splitlines() if line.startswith("  holdout: "))
    values = dict(part.rsplit(" ", 1) for part in holdout.removeprefix("  holdout: ").split(", "))
    assert set(values) == {"mae", "r2", "rmse"} and 0.3 < float(values["r2"]) < 0.7 and 40 < float(values["rmse"]) < 70
    assert "  reference set: rmse " in out and "  under shift: rmse " in out
    assert "  scored 442 rows: predicted min " in out  # numbers, summed up by quartiles
    version = mlflow_client().get_model_version(MODEL, "1")
    assert version.tags["task"] == "regression" and champion(MODEL) == "1"
    # the endpoint answers numbers, the registered model's own predictions
    rows = pd.read_csv(data).drop(columns=["target"]).head(30)
    answered = np.asarray(predict_http(endpoint_of(loop), rows), dtype=float)
    import mlflow

    from portable_mlops.lifecycle.registry import load_version

    mlflow.set_tracking_uri(mlflow_client().tracking_uri)
    try:
        ours = load_version(MODEL, "1").predict(rows)
    finally:
        mlflow.set_tracking_uri(None)
    assert ours.dtype == np.float64 and np.unique(ours).size == 30
    np.testing.assert_allclose(answered, ours, rtol=1e-9)


def test_a_worse_regression_is_kept_as_challenger_the_lower_rmse_wins(loop: Result, data: Path, tmp_path: Path) -> None:
    """A heavily shrunk ridge (alpha 1000) still beats the mean (R2 above the floor 0) but has a higher RMSE
    on the same holdout: the champion, its alias and the endpoint stay."""
    config = yaml.safe_load(Path("configs/training.yaml").read_text())
    config["parameters"]["search"] = {"candidates": [{"family": "ridge", "grid": {"alpha": [1000.0]}}]}
    path = tmp_path / "shrunk.yaml"
    path.write_text(yaml.safe_dump(config))
    probe = pd.read_csv(data).drop(columns=["target"]).head(10)
    before = predict_http(endpoint_of(loop), probe).tolist()
    result = run_cli("--pipeline", "training", "--config", str(path), "--data", str(data), "--target", "target")
    assert result.code == 0, result.stderr[-3000:]
    assert "(registry v2, regression): kept as challenger (champion unchanged)" in result.stdout, result.stdout[-2000:]
    gate = next(line for line in result.stdout.splitlines() if line.startswith("  gate: "))
    found = re.match(r"  gate: rmse (\d+\.\d+) on the reference set falls behind the champion's (\d+\.\d+) by ", gate)
    assert found and float(found.group(1)) > float(found.group(2)), gate  # a higher error is behind
    assert champion(MODEL) == "1" and registry_versions(MODEL) == ["1", "2"]
    assert predict_http(endpoint_of(loop), probe).tolist() == before


def test_a_drifted_labelled_batch_is_scored_reported_and_trained_on_as_a_regression(
    loop: Result, data: Path, tmp_path: Path
) -> None:
    """The batch's labels come in 18 rounded values: by the rule alone a classification; the model's
    task (its champion's) decides, for the scoring and for the retraining the drift triggers."""
    from portable_mlops.data.batches import shift_columns

    frame = pd.read_csv(data)
    batch = frame.sample(150, random_state=3).reset_index(drop=True)
    shift_columns(batch, ["bmi", "s5"], 2.0, np.random.default_rng(0), frame)
    batch["target"] = (batch["target"] / 20).round() * 20
    assert batch["target"].nunique() <= 20
    path = tmp_path / "drifted.csv"
    batch.to_csv(path, index=False)
    result = run_cli(
        "--pipeline",
        "inference",
        "--data",
        str(path),
        "--target",
        "target",
        "--model-name",
        MODEL,
        "--retrain-on-drift",
    )
    assert result.code == 0, result.stderr[-3000:]
    assert "  scored 150 rows: predicted min " in result.stdout
    drift = next(line for line in result.stdout.splitlines() if "DRIFT in" in line)
    assert "bmi" in drift and "s5" in drift, drift
    assert "expected rmse " in result.stdout  # the champion's error at this batch's shift, from its holdout
    assert f"retraining '{MODEL}'" in result.stdout, result.stdout[-2000:]
    assert re.search(r"\(registry v\d+, regression\): (PROMOTED|kept as challenger)", result.stdout), result.stdout[
        -2000:
    ]


def test_settings_of_the_other_task_are_refused_before_anything_is_trained(
    loop: Result, data: Path, tmp_path: Path
) -> None:
    config = yaml.safe_load(Path("configs/training.yaml").read_text())
    config["parameters"]["gate"] = {"metric": "roc_auc"}
    path = tmp_path / "auc.yaml"
    path.write_text(yaml.safe_dump(config))
    before = (champion(MODEL), registry_versions(MODEL))
    result = run_cli("--pipeline", "training", "--config", str(path), "--data", str(data), "--target", "target")
    assert result.code == 1, result.stdout[-1500:]
    assert result.last_error_line == (
        "error: gate.metric is roc_auc, a metric of classification, but this is a regression; set gate.metric to "
        "one of rmse, mae, r2 or leave it out"
    )
    assert "Skipping step train_candidates" in result.stdout  # validate_data refused it: nothing was trained
    assert (champion(MODEL), registry_versions(MODEL)) == before


def test_the_champion_loads_in_an_environment_of_its_own_requirements(loop: Result, tmp_path: Path) -> None:
    from tests.images import model_requirements_at
    from tests.integration.test_model_travels import LOAD, model_env

    tracking = mlflow_client().tracking_uri
    uri = f"models:/{MODEL}@champion"
    env = model_env(model_requirements_at(tracking, uri))
    columns = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    rows = pd.DataFrame(np.random.default_rng(1).normal(0, 0.05, (20, 10)), columns=columns)
    rows_file = tmp_path / "rows.json"
    rows.to_json(rows_file, orient="split", index=False)
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    proc = subprocess.run(
        [str(env / "bin" / "python"), "-I", str(script), str(rows_file), uri],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "MLFLOW_TRACKING_URI": str(tracking)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    theirs = np.asarray([float(p) for p in json.loads(proc.stdout.strip().splitlines()[-1])["predictions"]])
    import mlflow

    from portable_mlops.lifecycle.registry import load_version

    mlflow.set_tracking_uri(tracking)
    try:
        ours = load_version(MODEL, champion(MODEL) or "").predict(rows)
    finally:
        mlflow.set_tracking_uri(None)
    np.testing.assert_allclose(theirs, ours, rtol=1e-6)  # the rows went through JSON (pandas keeps 10 digits)


@pytest.mark.parametrize(
    ("task", "target", "expected"),
    [
        (
            "classification",
            "target",
            "error: target column 'target' holds 214 distinct numbers, a continuous quantity, but the task is "
            "classification (at most 20 distinct numbers make classes); train a regression with --task regression "
            "(or source.task: regression), or bin the numbers into classes first",
        ),
        (
            "auto",
            "label",
            "error: target column 'label' makes a classification, but model 'diabetes_regressor' is a regression "
            "(its champion's task); train these data under their own --model-name, or fix the column",
        ),
        (
            "regression",
            "label",
            "error: target column 'label' holds text ('high', 'low'), but the task is regression, which needs numbers; "
            "train a classifier with --task classification (or source.task: classification), or fix the column",
        ),
    ],
)
def test_a_task_the_label_contradicts_stops_before_anything_changes(
    loop: Result, data: Path, tmp_path: Path, task: str, target: str, expected: str
) -> None:
    frame = pd.read_csv(data)
    frame["label"] = np.where(frame["target"] > frame["target"].median(), "high", "low")
    path = tmp_path / "diabetes.csv"
    frame.to_csv(path, index=False)
    before = (champion(MODEL), registry_versions(MODEL))
    result = run_cli(
        "--pipeline", "training", "--data", str(path), "--target", target, "--task", task, "--model-name", MODEL
    )
    assert result.code == 1, result.stdout[-1500:]
    assert result.last_error_line == expected
    assert (champion(MODEL), registry_versions(MODEL)) == before
