"""Configs and stack files: schema, overrides, and that they name real ZenML flavors."""

import re

import pytest

from portable_mlops.cli.stack_setup import SECRET_REFERENCE, stack_file
from portable_mlops.errors import UserFacingError

CREDENTIAL_KEY = re.compile(r"(^|_)(key|secret|token|password|username|credentials?)$")


def test_credential_check_catches_a_plain_value() -> None:
    assert CREDENTIAL_KEY.search("tracking_password") and CREDENTIAL_KEY.search("secret")
    assert not SECRET_REFERENCE.fullmatch("hunter2") and SECRET_REFERENCE.fullmatch("{{pmlops-minio.key}}")
    assert not CREDENTIAL_KEY.search("kubeflow_namespace") and not CREDENTIAL_KEY.search("tracking_uri")


def test_unknown_stack_names_the_choices() -> None:
    with pytest.raises(UserFacingError, match=r"choose one of: .*local"):
        stack_file("minikube")
