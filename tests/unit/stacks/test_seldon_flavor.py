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

pytestmark = pytest.mark.seldon


NOW = datetime.now()


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


def test_f4_zenml_config_requires_both_secret_settings_and_ours_does_not() -> None:
    from zenml.integrations.seldon.flavors.seldon_model_deployer_flavor import SeldonModelDeployerConfig

    from stacks.flavors.seldon import PortableSeldonDeployerConfig

    with pytest.raises(ValidationError, match="secret"):
        SeldonModelDeployerConfig(base_url="http://x")
    config = PortableSeldonDeployerConfig(base_url="http://x")
    assert config.secret is None and config.kubernetes_secret_name is None


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
