"""Configs and stack files: schema, overrides, and that they name real ZenML flavors."""

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from portable_mlops.config import apply_overrides, load_config
from portable_mlops.errors import UserFacingError, message_of
from portable_mlops.params import (
    DataSource,
    EvaluationParams,
    GateParams,
    SearchParams,
    SliceSpec,
    SplitParams,
    ValidationParams,
)
from portable_mlops.stacks import SECRET_REFERENCE, STACKS_DIR, read_stack, stack_file
from tests.conftest import ROOT

TRAINING = ROOT / "configs" / "training.yaml"
CREDENTIAL_KEY = re.compile(r"(^|_)(key|secret|token|password|username|credentials?)$")


def test_training_config_parameters_validate() -> None:
    params = load_config(TRAINING)["parameters"]
    DataSource(**params["source"])
    SplitParams(**params["split"])
    SearchParams(**params["search"])
    ValidationParams(**params["validation"])
    evaluation = EvaluationParams(**params["evaluation"])
    assert evaluation.slices.floor is not None and evaluation.slices.columns  # the default data is sliced and gated
    GateParams(**params["gate"])


def test_bad_parameters_say_how_to_fix() -> None:
    with pytest.raises(ValidationError, match="repeats a family"):
        SearchParams(candidates=[{"family": "xgboost"}, {"family": "xgboost"}])
    with pytest.raises(ValidationError, match="list at least one value"):
        SearchParams(candidates=[{"family": "xgboost", "grid": {"max_depth": []}}])
    with pytest.raises(ValidationError):
        GateParams(margin=-0.1)
    with pytest.raises(ValidationError, match=r"use 0 \(per value\) or 2 or more bins"):
        SliceSpec(column="age", bins=1)
    with pytest.raises(ValidationError, match="names the label column 'y'; remove it"):
        DataSource(uri="data.csv", target="y", forbidden_features=["sex", "y"])
    with pytest.raises(ValidationError, match=r"unknown measures \[.latency.\]"):
        EvaluationParams(performance={"noise_floor": {"latency": 1.0}})


def test_overrides_give_new_data_its_own_model(tmp_path: Path) -> None:
    config = load_config(TRAINING)
    out = apply_overrides(config, "data/churn.csv", "churned", None)
    assert out["parameters"]["source"] == {
        "uri": str(Path("data/churn.csv").resolve()),
        "target": "churned",
        "forbidden_features": [],
    }
    assert out["model"]["name"] == "churn_classifier"
    assert config["parameters"]["source"]["uri"] == "sklearn://breast_cancer"  # the original is untouched
    assert apply_overrides(config, None, None, "mine")["model"]["name"] == "mine"


def test_missing_and_broken_config_files(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("parameters: [unclosed\n")
    with pytest.raises(UserFacingError, match="not valid YAML"):
        load_config(broken)


def test_stack_files_use_registered_flavors_and_no_secrets() -> None:
    from zenml.client import Client
    from zenml.enums import StackComponentType

    from portable_mlops.stacks import ensure_flavors

    ensure_flavors()  # the project's own flavors (stacks/flavors), registered as ensure_stack does
    ensure_flavors()  # idempotent
    client = Client()
    for path in STACKS_DIR.glob("*.yaml"):
        data = read_stack(path)
        for kind, specs in data["components"].items():
            for spec in specs:
                assert spec["type"] == kind
                flavors = {f.name for f in client.get_flavors_by_type(StackComponentType(kind))}
                assert spec["flavor"] in flavors, f"{path.name}: {kind} flavor {spec['flavor']} unknown"
        for specs in data["components"].values():
            for spec in specs:
                for key, value in (spec.get("configuration") or {}).items():
                    if CREDENTIAL_KEY.search(key):
                        assert SECRET_REFERENCE.fullmatch(str(value)), f"{path.name}: {key} is not a secret reference"


def test_credential_check_catches_a_plain_value() -> None:
    assert CREDENTIAL_KEY.search("tracking_password") and CREDENTIAL_KEY.search("secret")
    assert not SECRET_REFERENCE.fullmatch("hunter2") and SECRET_REFERENCE.fullmatch("{{pmlops-minio.key}}")
    assert not CREDENTIAL_KEY.search("kubeflow_namespace") and not CREDENTIAL_KEY.search("tracking_uri")


def test_unknown_stack_names_the_choices() -> None:
    with pytest.raises(UserFacingError, match=r"choose one of: .*local"):
        stack_file("minikube")


def test_message_of_keeps_our_errors_verbatim() -> None:
    assert message_of("portable_mlops.errors.DataValidationError", "column 'x' bad\ntrace", "s") == "column 'x' bad"
    assert message_of("builtins.KeyError", "'x'", "train") == "step 'train' failed: KeyError: 'x'"


def test_local_stack_file_matches_export_format() -> None:
    data = yaml.safe_load((STACKS_DIR / "local.yaml").read_text())
    assert set(data) == {"components", "stack_name", "zenml_version"}
    kinds = set(data["components"])
    assert {
        "orchestrator",
        "artifact_store",
        "experiment_tracker",
        "model_registry",
        "data_validator",
        "model_deployer",
    } <= kinds
