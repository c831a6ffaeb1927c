"""Configs and stack files: schema, overrides, and that they name real ZenML flavors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

import portable_mlops.compat  # noqa: F401
from portable_mlops.cli.config import load_config
from portable_mlops.params import (
    DataSource,
    DeployParams,
    EvaluationParams,
    GateParams,
    SearchParams,
    SliceSpec,
    SplitParams,
    ValidationParams,
)
from portable_mlops.serving.seldon import (
    PortableSeldonConfig,
    PredictorConfig,
    SeldonError,
    render,
)
from tests.conftest import ROOT

TRAINING = ROOT / "configs" / "training.yaml"


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


pytestmark = pytest.mark.seldon


def config_for(predictors: list[tuple[str, str, int]], **params: Any) -> PortableSeldonConfig:
    deploy = DeployParams(**params)
    from zenml.integrations.seldon.seldon_client import SeldonResourceRequirements

    return PortableSeldonConfig(
        model_name="breast_cancer_classifier",
        replicas=deploy.replicas,
        resources=SeldonResourceRequirements(**deploy.resources.model_dump()),
        secret_name="zenml-seldon-core-store",
        predictors=[
            PredictorConfig(name=n, registry_version=v, model_uri=f"s3://bucket/served-models/m/v{v}", traffic=t)
            for n, v, t in predictors
        ],
    )


def test_bad_rollout_settings_are_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 99"):
        DeployParams(canary_traffic=150)
    with pytest.raises(ValidationError, match=r"write e\.g\. cpu: 500m"):
        DeployParams(resources={"requests": {"cpu": "lots"}})
    with pytest.raises(ValidationError, match="unknown resources"):
        DeployParams(resources={"requests": {"gpu": "1"}})
    with pytest.raises(SeldonError, match="add up to 100"):
        render("pmlops-m", config_for([("main", "1", 90), ("canary", "2", 20)]))
