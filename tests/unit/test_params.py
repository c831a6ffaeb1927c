"""The parameter models: bad values are refused with a message that says how to fix them."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import portable_mlops.compat  # noqa: F401
from portable_mlops.params import (
    DataSource,
    DeployParams,
    EvaluationParams,
    GateParams,
    SearchParams,
    SliceSpec,
)
from tests.conftest import ROOT

TRAINING = ROOT / "configs" / "training.yaml"


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


def test_bad_rollout_settings_are_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 99"):
        DeployParams(canary_traffic=150)
    with pytest.raises(ValidationError, match=r"write e\.g\. cpu: 500m"):
        DeployParams(resources={"requests": {"cpu": "lots"}})
    with pytest.raises(ValidationError, match="unknown resources"):
        DeployParams(resources={"requests": {"gpu": "1"}})
