"""The training pipeline end to end on the local stack, with an isolated ZenML config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, mixed_frame
from tests.integration.conftest import LOCAL_STACK, Result, champion, mlflow_client, registry_versions, run_cli

pytestmark = pytest.mark.integration
MODEL = "breast_cancer_classifier"


def test_first_run_registers_a_champion_in_mlflow_and_zenml(first_run: Result) -> None:
    from zenml.client import Client
    from zenml.enums import ModelStages

    assert "PROMOTED to champion" in first_run.stdout
    version = champion(MODEL)
    assert version is not None and version in registry_versions(MODEL)
    production = Client().get_model_version(MODEL, ModelStages.PRODUCTION)
    assert str(production.run_metadata["registry"]["version"]) == version
    assert production.get_artifact("model") is not None and production.get_artifact("data_profile") is not None
    mlflow_version = mlflow_client().get_model_version(MODEL, version)
    assert mlflow_version.tags["zenml_pipeline_name"] == "training"


def test_every_run_records_slices_shift_unused_features_and_performance(first_run: Result) -> None:
    from zenml.client import Client
    from zenml.enums import ModelStages

    assert "slices: worst accuracy" in first_run.stdout and "(floor 0.85)" in first_run.stdout
    assert "under shift: balanced_accuracy" in first_run.stdout and "performance: fit" in first_run.stdout
    metadata = Client().get_model_version(MODEL, ModelStages.PRODUCTION).run_metadata
    assert metadata["slices"]["worst"]["column"] in {"mean radius", "mean texture"}
    assert len(metadata["decay"]["values"]) == 5 and metadata["forbidden_features"]["configured"] == []
    measures = {"fit_seconds", "predict_ms_per_row", "train_peak_rss_mb", "model_size_mb"}
    assert set(metadata["performance"]["values"]) == measures
    run = mlflow_client().get_run(mlflow_client().get_model_version(MODEL, champion(MODEL)).run_id)
    for key in (*measures, "slice_accuracy_worst"):
        assert run.data.metrics[key] > 0, key
    assert "decay_balanced_accuracy_shift_2" in run.data.metrics


def test_stack_import_is_idempotent(first_run: Result) -> None:
    from zenml.client import Client

    from portable_mlops.cli.stack_setup import ensure_stack

    # run.py --stack local imported it for first_run; importing it again creates nothing
    assert ensure_stack("local", activate=False) == LOCAL_STACK
    client = Client()
    assert len(client.list_stacks(name=LOCAL_STACK).items) == 1
    expected = yaml.safe_load((ROOT / "stacks" / "local.yaml").read_text())["components"]
    stack = client.get_stack(LOCAL_STACK)
    assert {k.value: len(v) for k, v in stack.components.items()} == {k: len(v) for k, v in expected.items()}
    for specs in expected.values():
        assert len(client.list_stack_components(name=specs[0]["name"]).items) == 1


def test_worse_model_stays_challenger(first_run, tmp_path: Path) -> None:
    from zenml.client import Client
    from zenml.enums import ModelStages

    config = yaml.safe_load((ROOT / "configs" / "training.yaml").read_text())
    config["parameters"].setdefault("search", {})["candidates"] = [
        {"family": "logistic_regression", "grid": {"C": [1e-5]}}
    ]
    config["parameters"].setdefault("split", {})["test_size"] = 0.3
    path = tmp_path / "worse.yaml"
    path.write_text(yaml.safe_dump(config))
    before = champion(MODEL)
    production_before = Client().get_model_version(MODEL, ModelStages.PRODUCTION).id
    result = run_cli("--pipeline", "training", "--config", str(path))
    assert result.code == 0, result.stderr[-2000:]
    assert "kept as challenger" in result.stdout
    assert f"of champion v{before}" in result.stdout or f"against champion v{before}:" in result.stdout
    assert champion(MODEL) == before
    newest = registry_versions(MODEL)[-1]
    assert "challenger" in mlflow_client().get_model_version(MODEL, newest).aliases
    assert Client().get_model_version(MODEL, ModelStages.PRODUCTION).id == production_before


def test_user_csv_with_text_and_missing_values(first_run, tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    mixed_frame(300, seed=3).to_csv(path, index=False)
    result = run_cli("--pipeline", "training", "--data", str(path), "--target", "label")
    assert result.code == 0, result.stderr[-2000:]
    assert "model 'customers_classifier'" in result.stdout
    assert champion("customers_classifier") == "1"


def test_the_same_data_under_another_model_name_registers_that_model_and_a_rerun_reuses_it(first_run) -> None:
    copy = "breast_cancer_copy"
    versions_before, champion_before = registry_versions(MODEL), champion(MODEL)
    result = run_cli("--pipeline", "training", "--model-name", copy)
    assert result.code == 0, result.stderr[-2000:]
    assert f"model '{copy}' version 1 (registry v1, classification): PROMOTED to champion" in result.stdout
    assert champion(copy) == "1"
    assert (registry_versions(MODEL), champion(MODEL)) == (versions_before, champion_before)  # the other untouched
    again = run_cli("--pipeline", "training", "--model-name", copy)  # its champion is new: the gate runs again
    assert again.code == 0, again.stderr[-2000:]
    assert "gate: version 1 is already the champion" in again.stdout, again.stdout[-2000:]
    assert registry_versions(copy) == ["1"]  # the re-run registered nothing new
