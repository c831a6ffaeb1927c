"""Run configs: one source of defaults, the command line's overrides, and unreadable files."""

from pathlib import Path

import pytest

from portable_mlops.cli.config import CONFIGS_DIR, apply_overrides, load_config, parameter_models, repeated_defaults
from portable_mlops.errors import UserFacingError
from portable_mlops.params import EvaluationParams, SplitParams
from tests.conftest import ROOT

TRAINING = ROOT / "configs" / "training.yaml"


def test_overrides_give_new_data_its_own_model(tmp_path: Path) -> None:
    config = load_config(TRAINING)
    out = apply_overrides(config, "data/churn.csv", "churned", None)
    assert out["parameters"]["source"] == {
        "uri": str(Path("data/churn.csv").resolve()),
        "target": "churned",
    }
    assert out["model"]["name"] == "churn_classifier"
    assert config["parameters"]["source"]["uri"] == "sklearn://breast_cancer"  # the original is untouched
    assert apply_overrides(config, None, None, "mine")["model"]["name"] == "mine"


def test_a_new_models_name_says_its_task_as_given_or_as_the_labels_make_it(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    config = load_config(TRAINING)
    prices = tmp_path / "prices.csv"
    pd.DataFrame({"x": np.arange(40.0), "price": np.linspace(1, 9, 40)}).to_csv(prices, index=False)
    out = apply_overrides(config, str(prices), "price", None)
    assert out["model"]["name"] == "prices_regressor" and "task" not in out["parameters"]["source"]
    assert out["model"]["tags"] == ["portable-mlops", "tabular", "regression"]
    given = apply_overrides(config, str(prices), "price", None, "classification")
    assert given["model"]["name"] == "prices_classifier" and given["parameters"]["source"]["task"] == "classification"
    assert apply_overrides(config, "sklearn://diabetes", "progression", None)["model"]["name"] == "diabetes_regressor"
    assert apply_overrides(config, str(prices), "missing", None)["model"]["name"] == "prices_classifier"


def test_missing_and_broken_config_files(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("parameters: [unclosed\n")
    with pytest.raises(UserFacingError, match="not valid YAML"):
        load_config(broken)


@pytest.mark.parametrize("kind", ["training", "deployment", "inference"])
def test_config_files_hold_only_what_differs_from_the_defaults(kind: str) -> None:
    models = parameter_models(kind)
    for group, values in (load_config(CONFIGS_DIR / f"{kind}.yaml").get("parameters") or {}).items():
        assert group in models, f"configs/{kind}.yaml: unknown parameter group '{group}'"
        models[group](**values)  # unknown fields and bad values raise
        assert repeated_defaults(models[group], values) == [], f"configs/{kind}.yaml repeats defaults of {group}"


def test_the_default_data_is_sliced_and_gated() -> None:
    evaluation = EvaluationParams(**load_config(CONFIGS_DIR / "training.yaml")["parameters"]["evaluation"])
    assert evaluation.slices.floor is not None and evaluation.slices.columns


def test_repeated_defaults_are_found_at_any_depth_and_unknown_fields_refused() -> None:
    from pydantic import ValidationError

    assert repeated_defaults(SplitParams, {"test_size": 0.25, "seed": 7}) == ["test_size"]
    nested = {"slices": {"min_rows": 20, "floor": 0.9}, "decay": {"shifts": [2, 0, 0.5, 1, 1.5]}}
    assert repeated_defaults(EvaluationParams, nested) == ["slices.min_rows", "decay.shifts"]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        EvaluationParams(**{"slices": {"colums": []}})


def test_docker_settings_hold_only_what_differs_from_zenml_defaults() -> None:
    from zenml.config import DockerSettings

    docker = load_config(CONFIGS_DIR / "docker.yaml")["settings"]["docker"]
    DockerSettings(**docker)
    assert repeated_defaults(DockerSettings, docker) == []
