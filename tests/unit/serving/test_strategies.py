"""Blue/green deployment logic, driven through a test double of a ZenML model deployer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from zenml.models.v2.misc.service import ServiceType

from portable_mlops.serving.deployers import DeploymentError, Plan, model_servers
from portable_mlops.serving.strategies import blue_green, in_place


@dataclass
class FakeService:
    """Test double of a ZenML deployment service."""

    model_name: str
    url: str
    running: bool = True
    uuid: uuid.UUID = field(default_factory=uuid.uuid4)
    applied: int = 0
    #: The flavor of the deployer that started it (ZenML's MLflow server's, by default).
    flavor: str = "mlflow"

    @property
    def SERVICE_TYPE(self) -> ServiceType:  # noqa: N802 (a class attribute on ZenML's services)
        return ServiceType(name=f"{self.flavor}-deployment", type="model-serving", flavor=self.flavor)

    def start(self, timeout: int) -> None:
        """Re-apply this service's spec (what an in-place rollback does)."""
        self.applied += 1

    @property
    def config(self) -> Any:
        return type("Config", (), {"model_name": self.model_name, "registry_model_version": "1"})()

    @property
    def is_running(self) -> bool:
        return self.running

    @property
    def status(self) -> Any:
        return type("Status", (), {"last_error": "" if self.running else "port in use"})()

    @property
    def prediction_url(self) -> str:
        return self.url

    def get_logs(self, follow: bool = False, tail: int | None = None) -> list[str]:
        return ["boom"]


class FakeDeployer:
    """Test double of a ZenML model deployer: keeps services in a list, records deletions. Like ZenML's,
    its ``find_model_server()`` lists every service in the store, whichever deployer started it."""

    flavor = "mlflow"

    def __init__(self, services: list[FakeService], start_ok: bool = True) -> None:
        self.services = services
        self.start_ok = start_ok
        self.deleted: list[uuid.UUID] = []

    def find_model_server(self, **_: Any) -> list[FakeService]:
        return list(self.services)

    def start(self, deployer: FakeDeployer, plan: Plan, timeout: int) -> FakeService:
        """Stands in for ``start_new_service``: always a new service, never an existing one."""
        service = FakeService(plan.config["model_name"], f"http://127.0.0.1:{9000 + len(self.services)}", self.start_ok)
        self.services.append(service)
        return service

    def delete_model_server(self, service_uuid: uuid.UUID, timeout: int, force: bool) -> None:
        self.deleted.append(service_uuid)
        self.services = [s for s in self.services if s.uuid != service_uuid]


PLAN = Plan({"model_name": "m"}, "mlflow")


def test_new_service_replaces_old_after_smoke_check() -> None:
    old = FakeService("m", "http://127.0.0.1:9000")
    other = FakeService("other-model", "http://127.0.0.1:9100")
    deployer = FakeDeployer([old, other])
    new = blue_green(deployer, PLAN, "m", smoke=lambda s: None, timeout=5, start=deployer.start)
    assert deployer.deleted == [old.uuid]
    assert model_servers(deployer, "m") == [new] and other in deployer.services


def test_another_deployers_endpoint_is_neither_this_deployers_nor_replaced() -> None:
    """After ``zenml stack set``: the store still lists the other stack's endpoint of the same model."""
    other_stack = FakeService("m", "http://127.0.0.1:9200", flavor="pmlops_mlserver")
    old = FakeService("m", "http://127.0.0.1:9000")
    deployer = FakeDeployer([other_stack, old])
    assert model_servers(deployer, "m") == [old]
    new = blue_green(deployer, PLAN, "m", smoke=lambda s: None, timeout=5, start=deployer.start)
    assert deployer.deleted == [old.uuid] and other_stack in deployer.services
    assert model_servers(deployer, "m") == [new]


def test_failed_smoke_check_keeps_the_old_service() -> None:
    old = FakeService("m", "http://127.0.0.1:9000")
    deployer = FakeDeployer([old])

    def smoke(service: Any) -> None:
        raise RuntimeError("wrong answers")

    with pytest.raises(DeploymentError, match=r"wrong answers.*previous endpoint http://127.0.0.1:9000 keeps serving"):
        blue_green(deployer, PLAN, "m", smoke, timeout=5, start=deployer.start)
    assert deployer.services == [old] and len(deployer.deleted) == 1


def test_service_that_does_not_start_is_removed() -> None:
    deployer = FakeDeployer([], start_ok=False)
    with pytest.raises(DeploymentError, match=r"did not start: port in use.*no previous endpoint"):
        blue_green(deployer, PLAN, "m", smoke=lambda s: None, timeout=5, start=deployer.start)
    assert deployer.services == []


class FakeClient:
    """Test double of ``zenml.client.Client`` for in-place rollouts: records deleted service records."""

    records_deleted: list[uuid.UUID] = []

    def delete_service(self, service_id: uuid.UUID) -> None:
        FakeClient.records_deleted.append(service_id)


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> list[uuid.UUID]:
    monkeypatch.setattr("zenml.client.Client", FakeClient)
    FakeClient.records_deleted = []
    return FakeClient.records_deleted


def test_in_place_update_retires_only_the_old_record(records: list[uuid.UUID]) -> None:
    old = FakeService("m", "http://ingress/seldon/ns/pmlops-m")
    deployer = FakeDeployer([old])
    new = in_place(deployer, PLAN, "m", smoke=lambda s: None, timeout=5, start=deployer.start)
    assert records == [old.uuid] and deployer.deleted == []  # the resource itself is not deleted
    assert old.applied == 0 and new in deployer.services


def test_in_place_failed_smoke_check_applies_the_previous_spec_again(records: list[uuid.UUID]) -> None:
    old = FakeService("m", "http://ingress/seldon/ns/pmlops-m")
    deployer = FakeDeployer([old])

    def smoke(service: Any) -> None:
        raise RuntimeError("wrong answers")

    with pytest.raises(
        DeploymentError, match=r"wrong answers.*previous spec was applied again and serves at http://ingress"
    ):
        in_place(deployer, PLAN, "m", smoke, timeout=5, start=deployer.start)
    assert old.applied == 1 and deployer.deleted == []
    assert len(records) == 1 and records[0] != old.uuid  # the new record goes, the old one stays


def test_in_place_first_deployment_that_fails_is_deleted(records: list[uuid.UUID]) -> None:
    deployer = FakeDeployer([], start_ok=False)
    with pytest.raises(DeploymentError, match=r"did not become available.*nothing was serving before"):
        in_place(deployer, PLAN, "m", smoke=lambda s: None, timeout=5, start=deployer.start)
    assert deployer.services == [] and len(deployer.deleted) == 1
