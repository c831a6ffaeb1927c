"""The Seldon deployer's fixes (each shown as a flaw in ZenML 0.98's class and absent in ours), the
rendered SeldonDeployment against the CRD's openAPIV3Schema, and the rollout planner."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

import portable_mlops.compat  # noqa: F401
from portable_mlops.params import DeployParams
from portable_mlops.serving.seldon import (
    PortableSeldonConfig,
    PredictorConfig,
    SeldonError,
    SeldonManifest,
    as_resource,
    check_layout,
    deployment_name,
    render,
)
from tests.conftest import ROOT

pytestmark = pytest.mark.seldon


CRD = ROOT.parent / "shared" / "schemas" / "seldondeployments_crd_v1.18.2.yaml"


@pytest.fixture(scope="module")
def crd() -> Any:
    if not CRD.is_file():
        pytest.skip(f"the SeldonDeployment CRD is not at {CRD} (../shared/schemas)")
    from tests.remote.k8s_api_double import crd_validator

    return crd_validator(CRD)


def config_for(predictors: list[tuple[str, str, int]], **params: Any) -> PortableSeldonConfig:
    deploy = DeployParams(**params)
    from zenml.integrations.seldon.seldon_client import SeldonResourceRequirements

    return PortableSeldonConfig(
        model_name="breast_cancer_classifier",
        replicas=deploy.replicas,
        resources=SeldonResourceRequirements(**deploy.resources.model_dump()),
        workers=deploy.workers,
        secret_name="zenml-seldon-core-store",
        predictors=[
            PredictorConfig(
                name=n,
                registry_version=v,
                model_uri=f"s3://bucket/served-models/m/v{v}",
                image=f"registry.example.com/pmlops-mlserver:v{v}",
                traffic=t,
            )
            for n, v, t in predictors
        ],
    )


def test_f4_a_status_without_conditions_parses_here_and_not_in_zenml() -> None:
    from zenml.integrations.seldon.seldon_client import SeldonDeployment

    manifest = render("pmlops-m", config_for([("main", "1", 100)]))
    resource = {**manifest.model_dump(mode="json", exclude_none=True), "status": {"state": "Available"}}
    with pytest.raises(ValidationError, match="conditions"):
        SeldonDeployment(**resource)
    assert SeldonManifest(**resource).is_available()


def test_f1_layout_is_checked_before_anything_is_deployed() -> None:
    check_layout(["MLmodel", "model.pkl", "requirements.txt", "code"])
    with pytest.raises(SeldonError, match=r"needs \['MLmodel', 'requirements.txt'\] at the model URI"):
        check_layout(["artifact.pkl"])  # what ZenML's sklearn materializer writes
    with pytest.raises(SeldonError, match=r"needs \['requirements.txt'\]"):
        check_layout(["MLmodel", "model.pkl"])  # the serving image is built from the model's requirements


def test_f3_zenml_custom_spec_is_a_dict_so_to_dict_fails_and_our_path_never_builds_one() -> None:
    from zenml.integrations.seldon.seldon_client import create_seldon_core_custom_spec

    spec = create_seldon_core_custom_spec("s3://b/m", "image:1", None, ["python"])
    assert isinstance(spec, dict) and not hasattr(spec, "to_dict")  # ZenML's step calls spec.to_dict()
    rendered = render("pmlops-m", config_for([("main", "1", 100)])).model_dump(mode="json", exclude_none=True)
    (container,) = rendered["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    assert container["image"] == "registry.example.com/pmlops-mlserver:v1"  # rendered here, not by ZenML's step


def test_f5_resources_go_to_the_model_container_not_the_engine() -> None:
    from zenml.integrations.seldon.seldon_client import SeldonDeployment, SeldonResourceRequirements

    zenml = SeldonDeployment.build(name="m", engineResources=SeldonResourceRequirements(requests={"cpu": "1"}))
    assert zenml.spec.predictors[0].engineResources.requests == {"cpu": "1"}  # the Seldon engine, not the model
    ours = render("pmlops-m", config_for([("main", "1", 100)], resources={"requests": {"cpu": "2"}, "limits": {}}))
    predictor = ours.model_dump(mode="json", exclude_none=True)["spec"]["predictors"][0]
    assert "engineResources" not in predictor
    (container,) = predictor["componentSpecs"][0]["spec"]["containers"]
    assert container["name"] == "classifier" and container["resources"] == {"requests": {"cpu": "2"}}


@pytest.mark.parametrize(
    "predictors",
    [[("main", "1", 100)], [("main", "1", 90), ("canary", "2", 10)]],
    ids=["champion", "canary-90-10"],
)
def test_rendered_manifest_is_valid_against_the_crd(crd: Any, predictors: list[tuple[str, str, int]]) -> None:
    config = config_for(
        predictors, replicas=3, resources={"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
    )
    resource = as_resource(render(deployment_name(config.model_name), config, labels={"app": "zenml"}), "models")
    assert list(crd.iter_errors(resource)) == []
    assert resource["metadata"] == {
        "name": "pmlops-breast-cancer-classifier",
        "namespace": "models",
        "labels": {"app": "zenml"},
        "annotations": {},
    }
    got = [(p["name"], p["graph"]["modelUri"], p.get("traffic"), p["replicas"]) for p in resource["spec"]["predictors"]]
    expected_traffic = [t if len(predictors) > 1 else None for _, _, t in predictors]
    assert got == [
        (n, f"s3://bucket/served-models/m/v{v}", t, 3)
        for (n, v, _), t in zip(predictors, expected_traffic, strict=True)
    ]
    for predictor, (_, version, _) in zip(resource["spec"]["predictors"], predictors, strict=True):
        (container,) = predictor["componentSpecs"][0]["spec"]["containers"]
        assert container["resources"] == {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
        assert container["image"] == f"registry.example.com/pmlops-mlserver:v{version}"  # each version's own image
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["MLSERVER_MODEL_NAME"] == predictor["graph"]["name"] == "classifier"
        assert (env["MLSERVER_MODEL_URI"], env["MLSERVER_HTTP_PORT"]) == ("/mnt/models", "9000")
        assert env["MLSERVER_PARALLEL_WORKERS"] == "0"  # one process: predictions in MLServer's own
        assert predictor["graph"]["envSecretRefName"] == "zenml-seldon-core-store"
    assert resource["spec"]["protocol"] == "v2"


def test_more_workers_start_that_many_mlserver_worker_processes_in_each_container(crd: Any) -> None:
    resource = as_resource(render("pmlops-m", config_for([("main", "1", 100)], workers=3)), "models")
    assert list(crd.iter_errors(resource)) == []
    (container,) = resource["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    assert {e["name"]: e["value"] for e in container["env"]}["MLSERVER_PARALLEL_WORKERS"] == "3"


def test_the_schema_check_can_fail(crd: Any) -> None:
    resource = as_resource(render("pmlops-m", config_for([("main", "1", 100)])), "models")
    resource["spec"]["predictors"][0]["replicas"] = "three"
    del resource["spec"]["predictors"][0]["graph"]["name"]
    messages = [e.message for e in crd.iter_errors(resource)]
    assert any("'three' is not of type 'integer'" in m for m in messages) and any(
        "'name' is a required" in m for m in messages
    )


def test_deployment_name_is_a_stable_dns_label() -> None:
    assert deployment_name("Breast_Cancer classifier") == "pmlops-breast-cancer-classifier"
    assert len(deployment_name("x" * 100)) <= 63


def test_traffic_shares_must_add_up_to_100() -> None:
    with pytest.raises(SeldonError, match="add up to 100"):
        render("pmlops-m", config_for([("main", "1", 90), ("canary", "2", 20)]))
