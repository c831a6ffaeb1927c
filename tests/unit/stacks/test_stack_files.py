"""The Seldon deployer's fixes (each shown as a flaw in ZenML 0.98's class and absent in ours), the
rendered SeldonDeployment against the CRD's openAPIV3Schema, and the rollout planner."""

from __future__ import annotations

import re

import pytest
import yaml

import portable_mlops.compat  # noqa: F401
from portable_mlops.cli.stack_setup import SECRET_REFERENCE, STACKS_DIR, read_stack
from tests.conftest import ROOT

pytestmark = pytest.mark.seldon


def test_stack_files_carry_the_seldon_deployer_without_credentials() -> None:
    import yaml

    for name in ("kubeflow", "vertex"):
        data = yaml.safe_load((ROOT / "stacks" / f"{name}.yaml").read_text())
        (component,) = data["components"]["model_deployer"]
        assert component["flavor"] == "pmlops_seldon"
        assert {"kubernetes_namespace", "base_url"} <= set(component["configuration"])
        assert not {"secret", "kubernetes_secret_name"} & set(component["configuration"])


CREDENTIAL_KEY = re.compile(r"(^|_)(key|secret|token|password|username|credentials?)$")


def test_stack_files_use_registered_flavors_and_no_secrets() -> None:
    from zenml.client import Client
    from zenml.enums import StackComponentType

    from portable_mlops.cli.stack_setup import ensure_flavors

    ensure_flavors()  # the project's own flavors (stacks/flavors), registered as ensure_stack does
    ensure_flavors()  # idempotent
    client = Client()
    for path in STACKS_DIR.glob("*.yaml"):
        data = read_stack(path)
        for kind, specs in data["components"].items():
            for spec in specs:
                assert spec["type"] == kind
                flavors = {f.name for f in client.get_flavors_by_type(StackComponentType(kind))}
                assert spec["flavor"] in flavors, f"{path.name}: {kind} flavor {spec['flavor']} unknown"
        for specs in data["components"].values():
            for spec in specs:
                for key, value in (spec.get("configuration") or {}).items():
                    if CREDENTIAL_KEY.search(key):
                        assert SECRET_REFERENCE.fullmatch(str(value)), f"{path.name}: {key} is not a secret reference"


def test_local_stack_file_matches_export_format() -> None:
    data = yaml.safe_load((STACKS_DIR / "local.yaml").read_text())
    assert set(data) == {"components", "stack_name", "zenml_version"}
    kinds = set(data["components"])
    assert {
        "orchestrator",
        "artifact_store",
        "experiment_tracker",
        "model_registry",
        "data_validator",
        "model_deployer",
    } <= kinds
