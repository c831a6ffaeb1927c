"""Blue/green deployment logic, driven through a test double of a ZenML model deployer."""

from __future__ import annotations

import pytest

import portable_mlops.compat  # noqa: F401
from portable_mlops.serving.deployers import DeploymentError, Target, plan_for


def test_unknown_deployer_flavor_names_the_supported_ones() -> None:
    target = Target("m", "1", "models:/x", "p", "s", 1, 5)
    with pytest.raises(DeploymentError, match=r"flavor 'bentoml' is not supported; use one of \['mlflow'"):
        plan_for("bentoml", target)


def test_mlflow_plan_points_at_the_registry_version() -> None:
    plan = plan_for("mlflow", Target("m", "3", "models:/m-1", "deployment", "deploy_model", 1, 60))
    assert plan.config.registry_model_version == "3" and plan.config.model_uri == "models:/m-1"
    assert plan.config.model_name == "m"


pytestmark = pytest.mark.seldon


def test_local_mlflow_deployer_refuses_a_canary_with_the_fix() -> None:
    from portable_mlops.serving.deployers import DeploymentError, Target, plan_for

    target = Target("m", "1", "models:/m/1", "deployment", "deploy_model", 1, 10, canary_version="2", canary_traffic=10)
    with pytest.raises(DeploymentError, match="needs a deployer that splits traffic"):
        plan_for("mlflow", target)
