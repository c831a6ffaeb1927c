"""Configs and stack files: schema, overrides, and that they name real ZenML flavors."""

from pathlib import Path

import pytest

from portable_mlops.cli.config import apply_overrides, load_config
from portable_mlops.errors import UserFacingError
from tests.conftest import ROOT

TRAINING = ROOT / "configs" / "training.yaml"


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
