"""Stack set-up: secret references, unknown stacks, and a stack imported before recognised by its hash."""

import re

import pytest

from portable_mlops.cli.stack_setup import SECRET_REFERENCE, read_stack, stack_file
from portable_mlops.errors import UserFacingError

CREDENTIAL_KEY = re.compile(r"(^|_)(key|secret|token|password|username|credentials?)$")


def test_credential_check_catches_a_plain_value() -> None:
    assert CREDENTIAL_KEY.search("tracking_password") and CREDENTIAL_KEY.search("secret")
    assert not SECRET_REFERENCE.fullmatch("hunter2") and SECRET_REFERENCE.fullmatch("{{pmlops-minio.key}}")
    assert not CREDENTIAL_KEY.search("kubeflow_namespace") and not CREDENTIAL_KEY.search("tracking_uri")


def test_unknown_stack_names_the_choices() -> None:
    with pytest.raises(UserFacingError, match=r"choose one of: .*local"):
        stack_file("minikube")


def test_a_stack_imported_before_is_recognised_by_its_hash_and_a_changed_file_is_refused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import copy

    from zenml.client import Client

    from portable_mlops.cli import stack_setup

    data = copy.deepcopy(read_stack(stack_file("local")))
    data["stack_name"] = "pmlops-hash-test"
    for specs in data["components"].values():
        for spec in specs:
            spec["name"] = f"hash-test-{spec['name']}"
    imports = []
    real = stack_setup.ensure_flavors
    monkeypatch.setattr(stack_setup, "ensure_flavors", lambda: imports.append(1) or real())
    assert stack_setup.ensure_stack_data(data, activate=False) == "pmlops-hash-test"
    assert stack_setup.ensure_stack_data(data, activate=False) == "pmlops-hash-test"
    assert imports == [1]  # the second time: recognised by the label, nothing imported or compared
    labels = Client().get_stack("pmlops-hash-test").labels
    assert labels[stack_setup.HASH_LABEL] == stack_setup.stack_hash(data)
    changed = copy.deepcopy(data)
    changed["components"]["artifact_store"][0]["configuration"] = {"path": "/elsewhere"}
    with pytest.raises(UserFacingError, match="imported from another version of its stack file; re-import it"):
        stack_setup.ensure_stack_data(changed, activate=False)
