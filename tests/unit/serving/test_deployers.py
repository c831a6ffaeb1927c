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


@pytest.mark.parametrize("kind", ["container", "seldon"])
def test_an_mlserver_service_recorded_without_workers_is_redeployed_and_one_with_them_kept(kind: str) -> None:
    """Services recorded before ``workers`` was (their MLServer runs a worker process) differ from a plan
    for the same version, so the next deployment replaces them; a recorded ``workers`` equal to the
    plan's keeps the service."""
    from types import SimpleNamespace

    from portable_mlops.serving.containers import MLServerContainerConfig
    from portable_mlops.serving.deployers import Plan, same_spec
    from portable_mlops.serving.seldon import PortableSeldonConfig

    if kind == "container":
        fields = {"model_uri": "models:/m/3", "model_dir": "/m", "image": "i", "container_name": "c"}
        fields |= {"port": 1, "grpc_port": 2, "metrics_port": 3}
        config_class: type = MLServerContainerConfig
    else:
        fields, config_class = {}, PortableSeldonConfig
    fields |= {"name": "m-v3", "model_name": "m", "model_version": "3", "registry_model_version": "3"}
    stored = config_class.model_validate_json(config_class(**fields).model_dump_json(exclude={"workers"}))
    assert stored.workers is None
    plan = Plan(config_class(**fields, workers=1), None)
    assert not same_spec(SimpleNamespace(config=stored), plan)
    recorded = config_class.model_validate_json(config_class(**fields, workers=1).model_dump_json())
    assert same_spec(SimpleNamespace(config=recorded), plan)
