"""The Seldon deployer's fixes (each shown as a flaw in ZenML 0.98's class and absent in ours), the
rendered SeldonDeployment against the CRD's openAPIV3Schema, and the rollout planner."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

import portable_mlops.compat  # noqa: F401
from portable_mlops.params import DeployParams
from portable_mlops.rollout import Live, RolloutError, plan_rollout
from portable_mlops.seldon import (
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
NOW = datetime.now()


@pytest.fixture(scope="module")
def crd() -> Any:
    if not CRD.is_file():
        pytest.skip(f"the SeldonDeployment CRD is not at {CRD} (../shared/schemas)")
    from tests.remote.k8s_api_double import crd_validator

    return crd_validator(CRD)


def s3_store(key: str | None = "AKEY", secret: str | None = "SKEY") -> Any:
    from zenml.enums import StackComponentType
    from zenml.integrations.s3.artifact_stores import S3ArtifactStore
    from zenml.integrations.s3.flavors import S3ArtifactStoreConfig

    config = S3ArtifactStoreConfig(
        path="s3://bucket", key=key, secret=secret, client_kwargs={"endpoint_url": "http://minio:9000"}
    )
    return S3ArtifactStore(
        name="s3",
        id=uuid4(),
        config=config,
        flavor="s3",
        type=StackComponentType.ARTIFACT_STORE,
        user=None,
        created=NOW,
        updated=NOW,
    )


def deployer(cls: Any, config: Any) -> Any:
    from zenml.enums import StackComponentType

    return cls(
        name="seldon",
        id=uuid4(),
        config=config,
        flavor="seldon",
        type=StackComponentType.MODEL_DEPLOYER,
        user=None,
        created=NOW,
        updated=NOW,
    )


def with_store(monkeypatch: pytest.MonkeyPatch, store: Any) -> None:
    from zenml.client import Client

    monkeypatch.setattr(Client, "active_stack", property(lambda self: SimpleNamespace(artifact_store=store)))


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


# --- F2: S3 credentials order ---------------------------------------------------------------------------


def test_f2_zenml_writes_env_auth_for_an_s3_store_with_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from zenml.integrations.seldon.flavors.seldon_model_deployer_flavor import SeldonModelDeployerConfig
    from zenml.integrations.seldon.model_deployers import SeldonModelDeployer

    with_store(monkeypatch, s3_store())
    zenml = deployer(
        SeldonModelDeployer, SeldonModelDeployerConfig(base_url="http://x", secret=None, kubernetes_secret_name=None)
    )
    values = zenml._convert_artifact_store_secret().get_values()
    # the flaw: (key, secret, token, region) unpacked as (region, key, secret, token) -> no key pair found
    assert values.get("rclone_config_s3_env_auth") is True and not values.get("rclone_config_s3_access_key_id")


def test_f2_fixed_the_store_key_pair_and_endpoint_reach_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from stacks.flavors.seldon import PortableSeldonDeployer, PortableSeldonDeployerConfig

    with_store(monkeypatch, s3_store())
    values = (
        deployer(PortableSeldonDeployer, PortableSeldonDeployerConfig(base_url="http://x"))
        ._convert_artifact_store_secret()
        .get_values()
    )
    assert values["rclone_config_s3_access_key_id"] == "AKEY"
    assert values["rclone_config_s3_secret_access_key"] == "SKEY"
    assert values["rclone_config_s3_env_auth"] is False
    assert values["rclone_config_s3_endpoint"] == "http://minio:9000" and values["rclone_config_s3_provider"] == "Minio"


def test_f2_fixed_a_store_without_keys_falls_back_to_env_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    from stacks.flavors.seldon import PortableSeldonDeployer, PortableSeldonDeployerConfig

    with_store(monkeypatch, s3_store(key=None, secret=None))
    values = (
        deployer(PortableSeldonDeployer, PortableSeldonDeployerConfig(base_url="http://x"))
        ._convert_artifact_store_secret()
        .get_values()
    )
    assert values["rclone_config_s3_env_auth"] is True


# --- F4: optional fields ---------------------------------------------------------------------------------


def test_f4_zenml_config_requires_both_secret_settings_and_ours_does_not() -> None:
    from zenml.integrations.seldon.flavors.seldon_model_deployer_flavor import SeldonModelDeployerConfig

    from stacks.flavors.seldon import PortableSeldonDeployerConfig

    with pytest.raises(ValidationError, match="secret"):
        SeldonModelDeployerConfig(base_url="http://x")
    config = PortableSeldonDeployerConfig(base_url="http://x")
    assert config.secret is None and config.kubernetes_secret_name is None


def test_f4_a_status_without_conditions_parses_here_and_not_in_zenml() -> None:
    from zenml.integrations.seldon.seldon_client import SeldonDeployment

    manifest = render("pmlops-m", config_for([("main", "1", 100)]))
    resource = {**manifest.model_dump(mode="json", exclude_none=True), "status": {"state": "Available"}}
    with pytest.raises(ValidationError, match="conditions"):
        SeldonDeployment(**resource)
    assert SeldonManifest(**resource).is_available()


# --- F1, F3, F5, F6 ------------------------------------------------------------------------------------


def test_f1_layout_is_checked_before_anything_is_deployed() -> None:
    check_layout("MLFLOW_SERVER", ["MLmodel", "model.pkl", "requirements.txt"])
    with pytest.raises(SeldonError, match=r"MLFLOW_SERVER needs \['MLmodel'\]"):
        check_layout("MLFLOW_SERVER", ["artifact.pkl"])  # what ZenML's sklearn materializer writes
    with pytest.raises(SeldonError, match="not one this project serves"):
        check_layout("TENSORFLOW_SERVER", ["saved_model.pb"])


def test_f3_zenml_custom_spec_is_a_dict_so_to_dict_fails_and_our_path_never_builds_one() -> None:
    from zenml.integrations.seldon.seldon_client import create_seldon_core_custom_spec

    spec = create_seldon_core_custom_spec("s3://b/m", "image:1", None, ["python"])
    assert isinstance(spec, dict) and not hasattr(spec, "to_dict")  # ZenML's step calls spec.to_dict()
    rendered = render("pmlops-m", config_for([("main", "1", 100)])).model_dump(mode="json", exclude_none=True)
    containers = rendered["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    assert all("image" not in c for c in containers)  # the prepackaged server's own image


def test_f5_resources_go_to_the_model_container_not_the_engine() -> None:
    from zenml.integrations.seldon.seldon_client import SeldonDeployment, SeldonResourceRequirements

    zenml = SeldonDeployment.build(name="m", engineResources=SeldonResourceRequirements(requests={"cpu": "1"}))
    assert zenml.spec.predictors[0].engineResources.requests == {"cpu": "1"}  # the Seldon engine, not the model
    ours = render("pmlops-m", config_for([("main", "1", 100)], resources={"requests": {"cpu": "2"}, "limits": {}}))
    predictor = ours.model_dump(mode="json", exclude_none=True)["spec"]["predictors"][0]
    assert "engineResources" not in predictor
    assert predictor["componentSpecs"][0]["spec"]["containers"] == [
        {"name": "classifier", "resources": {"requests": {"cpu": "2"}}}
    ]


def test_f6_no_image_builder_is_demanded_for_prepackaged_servers() -> None:
    from zenml.integrations.seldon.flavors.seldon_model_deployer_flavor import SeldonModelDeployerConfig
    from zenml.integrations.seldon.model_deployers import SeldonModelDeployer

    from stacks.flavors.seldon import PortableSeldonDeployer, PortableSeldonDeployerConfig

    zenml = deployer(
        SeldonModelDeployer, SeldonModelDeployerConfig(base_url="x", secret=None, kubernetes_secret_name=None)
    )
    assert zenml.validator is not None
    assert deployer(PortableSeldonDeployer, PortableSeldonDeployerConfig(base_url="x")).validator is None


def test_f7_the_secret_goes_with_the_last_service_that_uses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from zenml.integrations.seldon.flavors.seldon_model_deployer_flavor import SeldonModelDeployerConfig
    from zenml.integrations.seldon.model_deployers import SeldonModelDeployer

    from stacks.flavors.seldon import PortableSeldonDeployer, PortableSeldonDeployerConfig

    deleted: list[str] = []
    client = SimpleNamespace(delete_secret=deleted.append)
    service = SimpleNamespace(uuid=1, config=SimpleNamespace(secret_name="s"), stop=lambda timeout, force: None)
    other = SimpleNamespace(uuid=2, config=SimpleNamespace(secret_name="s"))
    cases = [
        (
            SeldonModelDeployer,
            SeldonModelDeployerConfig(base_url="x", secret=None, kubernetes_secret_name=None),
            [service],
            [],
        ),
        (PortableSeldonDeployer, PortableSeldonDeployerConfig(base_url="x"), [service], ["s"]),
        (PortableSeldonDeployer, PortableSeldonDeployerConfig(base_url="x"), [service, other], []),
    ]
    for cls, config, servers, expected in cases:
        monkeypatch.setattr(cls, "find_model_server", lambda self, servers=servers, **_: servers)
        monkeypatch.setattr(cls, "seldon_client", property(lambda self: client))
        deleted.clear()
        deployer(cls, config).perform_delete_model(service)
        assert deleted == expected, cls.__name__  # ZenML's counts the service being deleted: never removed


# --- manifests against the CRD schema -------------------------------------------------------------------


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
    container = resource["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"][0]
    assert container["resources"] == {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
    assert resource["spec"]["predictors"][0]["graph"]["envSecretRefName"] == "zenml-seldon-core-store"


def test_the_schema_check_can_fail(crd: Any) -> None:
    resource = as_resource(render("pmlops-m", config_for([("main", "1", 100)])), "models")
    resource["spec"]["predictors"][0]["replicas"] = "three"
    del resource["spec"]["predictors"][0]["graph"]["name"]
    messages = [e.message for e in crd.iter_errors(resource)]
    assert any("'three' is not of type 'integer'" in m for m in messages) and any(
        "'name' is a required" in m for m in messages
    )


def test_the_secret_renders_as_rclone_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ZenML's client turns the converted secret into: upper-cased, base64, None dropped."""
    import base64

    from kubernetes import client as k8s

    from stacks.flavors.seldon import PortableSeldonDeployer, PortableSeldonDeployerConfig

    with_store(monkeypatch, s3_store())
    values = (
        deployer(PortableSeldonDeployer, PortableSeldonDeployerConfig(base_url="x"))
        ._convert_artifact_store_secret()
        .get_values()
    )
    data = {k.upper(): base64.b64encode(str(v).encode()).decode() for k, v in values.items() if v is not None}
    secret = k8s.ApiClient().sanitize_for_serialization(
        k8s.V1Secret(metadata=k8s.V1ObjectMeta(name="zenml-seldon-core-x"), type="Opaque", data=data)
    )
    decoded = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert decoded["RCLONE_CONFIG_S3_TYPE"] == "s3" and decoded["RCLONE_CONFIG_S3_ACCESS_KEY_ID"] == "AKEY"
    assert "RCLONE_CONFIG_S3_SESSION_TOKEN" not in decoded


def test_bad_rollout_settings_are_refused_with_the_fix() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 99"):
        DeployParams(canary_traffic=150)
    with pytest.raises(ValidationError, match=r"write e\.g\. cpu: 500m"):
        DeployParams(resources={"requests": {"cpu": "lots"}})
    with pytest.raises(ValidationError, match="unknown resources"):
        DeployParams(resources={"requests": {"gpu": "1"}})
    with pytest.raises(SeldonError, match="add up to 100"):
        render("pmlops-m", config_for([("main", "1", 90), ("canary", "2", 20)]))


def test_deployment_name_is_a_stable_dns_label() -> None:
    assert deployment_name("Breast_Cancer classifier") == "pmlops-breast-cancer-classifier"
    assert len(deployment_name("x" * 100)) <= 63


# --- the rollout planner ----------------------------------------------------------------------------------


def test_rollout_transitions() -> None:
    assert plan_rollout("deploy", "1", "2", None, Live("1", "2"), 10).versions == ["1"]
    canary = plan_rollout("canary", "1", "2", None, Live("1"), 10)
    assert (canary.main, canary.canary, canary.canary_traffic, canary.new_champion) == ("1", "2", 10, None)
    promote = plan_rollout("promote", "1", "2", None, Live("1", "2"), 10)
    assert (promote.main, promote.canary, promote.new_champion) == ("2", None, "2")
    undo_canary = plan_rollout("rollback", "1", "2", None, Live("1", "2"), 10)
    assert (undo_canary.main, undo_canary.new_champion) == ("1", None)
    undo_promotion = plan_rollout("rollback", "2", None, "1", Live("2"), 10)
    assert (undo_promotion.main, undo_promotion.new_champion) == ("1", "1")


@pytest.mark.parametrize(
    ("action", "challenger", "previous", "live", "message"),
    [
        ("canary", None, None, Live("1"), "no challenger to canary"),
        ("canary", "1", None, Live("1"), "no challenger to canary"),
        ("promote", "2", None, Live("1"), "no canary is live to promote"),
        ("rollback", None, None, Live("1"), "nothing to roll back"),
        ("upgrade", None, None, Live("1"), "unknown rollout"),
    ],
)
def test_impossible_rollouts_say_why(
    action: str, challenger: str | None, previous: str | None, live: Live, message: str
) -> None:
    with pytest.raises(RolloutError, match=message):
        plan_rollout(action, "1", challenger, previous, live, 10)


def test_local_mlflow_deployer_refuses_a_canary_with_the_fix() -> None:
    from portable_mlops.deployment import DeploymentError, Target, plan_for

    target = Target("m", "1", "models:/m/1", "deployment", "deploy_model", 1, 10, canary_version="2", canary_traffic=10)
    with pytest.raises(DeploymentError, match="needs a deployer that splits traffic"):
        plan_for("mlflow", target)


def test_stack_files_carry_the_seldon_deployer_without_credentials() -> None:
    import yaml

    for name in ("kubeflow", "vertex"):
        data = yaml.safe_load((ROOT / "stacks" / f"{name}.yaml").read_text())
        (component,) = data["components"]["model_deployer"]
        assert component["flavor"] == "pmlops_seldon"
        assert {"kubernetes_namespace", "base_url"} <= set(component["configuration"])
        assert not {"secret", "kubernetes_secret_name"} & set(component["configuration"])
