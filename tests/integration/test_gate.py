"""The gate cannot be fooled on the local stack, through ``run.py`` as a user runs it: data with wrong
labels never makes a champion (flipped labels stop before training; one class systematically relabelled
and a large share of random labels are trained, and refused on the model's reference set; a column the
reference set lacks stops before training too), each time
leaving the champion, its alias and stage, and the endpoint as they were, with a clear line saying
why; an override is recorded and printed; a rollback serves the previous champion again."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portable_mlops.serving.client import predict_http
from tests.catalogue import TARGET, default_frame
from tests.integration.conftest import champion, mlflow_client, registry_versions, run_cli

pytestmark = pytest.mark.integration
MODEL = "breast_cancer_classifier"


def flipped(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{TARGET: frame[TARGET].map({"benign": "malignant", "malignant": "benign"})})


def relabelled(frame: pd.DataFrame) -> pd.DataFrame:
    """The largest malignant tumours (a fifth of them, by worst area) labelled benign: a systematic error
    the label distribution barely shows (malignant 37% -> 30%)."""
    out = frame.copy()
    malignant = out[TARGET] == "malignant"
    cut = out.loc[malignant, "worst area"].quantile(0.8)
    out.loc[malignant & (out["worst area"] >= cut), TARGET] = "benign"
    return out


def random_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """40% of the rows given a random label."""
    out = frame.copy()
    rng = np.random.default_rng(0)
    rows = rng.choice(len(out), int(0.4 * len(out)), replace=False)
    out.loc[out.index[rows], TARGET] = rng.choice(["benign", "malignant"], len(rows))
    return out


def new_column(frame: pd.DataFrame) -> pd.DataFrame:
    """A column the model's reference set lacks: the gate could not judge a model that uses it."""
    return frame.assign(new_marker=np.random.default_rng(1).normal(size=len(frame)))


@pytest.fixture(scope="module")
def endpoint(first_run) -> str:  # type: ignore[no-untyped-def]
    result = run_cli("--pipeline", "deployment")
    assert result.code == 0, result.stderr[-3000:]
    found = re.search(r"endpoint: (http://\S+)", result.stdout)
    assert found, result.stdout[-2000:]
    return found.group(1)


def probe() -> pd.DataFrame:
    return default_frame().drop(columns=[TARGET]).head(25)


def state(endpoint: str) -> tuple[object, ...]:
    """The champion's alias, the ZenML production version's registry version, and what the endpoint answers."""
    from zenml.client import Client
    from zenml.enums import ModelStages

    production = Client().get_model_version(MODEL, ModelStages.PRODUCTION).run_metadata["registry"]["version"]
    return champion(MODEL), str(production), predict_http(endpoint, probe()).tolist()


@pytest.mark.parametrize(
    ("corrupt", "refused", "expected"),
    [
        (flipped, True, "label distribution within 0.15 of the reference set's"),
        (relabelled, False, "on the reference set falls behind the champion's"),
        (random_labels, False, "is below the floor min_score 0.9"),
        (new_column, True, "column 'new_marker': present in the model's reference set"),
    ],
    ids=["flipped", "one-class-relabelled", "random-labels", "column-not-in-reference"],
)
def test_data_with_wrong_labels_never_makes_a_champion(
    endpoint: str, tmp_path: Path, corrupt: object, refused: bool, expected: str
) -> None:
    path = tmp_path / "labels.csv"
    corrupt(default_frame()).to_csv(path, index=False)  # type: ignore[operator]
    before, versions = state(endpoint), registry_versions(MODEL)
    result = run_cli("--pipeline", "training", "--data", str(path), "--target", TARGET, "--model-name", MODEL)
    if refused:  # stopped before training: one line, nothing registered
        assert result.code == 1 and expected in result.last_error_line, result.last_error_line
        assert "replace the reference set" in result.last_error_line
        assert registry_versions(MODEL) == versions
    else:  # trained and registered, and kept as challenger with the reason in the summary
        assert result.code == 0, result.stderr[-3000:]
        assert "kept as challenger (champion unchanged)" in result.stdout
        gate = next(line for line in result.stdout.splitlines() if line.startswith("  gate: "))
        assert expected in gate, gate
        assert len(registry_versions(MODEL)) == len(versions) + 1
    assert state(endpoint) == before


def test_an_override_is_recorded_and_a_rollback_serves_the_previous_champion_again(endpoint: str) -> None:
    first = champion(MODEL)
    reason = "a weaker model on purpose, to try the rollback"
    weak = run_cli("--pipeline", "training", "--no-cache", "--override-gate", reason, "--config", str(weak_config()))
    assert weak.code == 0, weak.stderr[-3000:]
    assert "  GATE OVERRIDDEN by " in weak.stdout and reason in weak.stdout
    promoted = champion(MODEL)
    assert promoted != first
    tags = mlflow_client().get_model_version(MODEL, str(promoted)).tags
    assert tags["gate_override_reason"] == reason and tags["gate_override_refused_because"]
    deployed = run_cli("--pipeline", "deployment")
    assert deployed.code == 0, deployed.stderr[-3000:]
    back = run_cli("--pipeline", "deployment", "--rollout", "rollback")
    assert back.code == 0, back.stderr[-3000:]
    assert champion(MODEL) == first
    aliases = mlflow_client().get_registered_model(MODEL).aliases
    assert str(aliases["previous_champion"]) == str(promoted)
    url = re.search(r"endpoint: (http://\S+)", back.stdout).group(1)  # type: ignore[union-attr]
    import mlflow

    mlflow.set_tracking_uri(mlflow_client().tracking_uri)
    try:
        expected = [str(p) for p in mlflow.pyfunc.load_model(f"models:/{MODEL}/{first}").predict(probe())]
    finally:
        mlflow.set_tracking_uri(None)
    assert [str(p) for p in predict_http(url, probe())] == expected  # the endpoint serves the first champion


def weak_config() -> Path:
    """configs/training.yaml with a model too regularised to reach the floor."""
    import tempfile

    import yaml

    from tests.conftest import ROOT

    config = yaml.safe_load((ROOT / "configs" / "training.yaml").read_text())
    config["parameters"]["search"] = {"candidates": [{"family": "logistic_regression", "grid": {"C": [1e-6]}}]}
    path = Path(tempfile.mkdtemp()) / "weak.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
