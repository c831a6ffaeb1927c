"""No credentials anywhere in the repository: every git-tracked file is scanned, and the stack files
hold credentials only as ZenML secret references, checked against ZenML's own secret fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from portable_mlops.cli.stack_setup import STACKS_DIR, read_stack
from tests.conftest import ROOT
from tests.security.credentials import Allowed, scan_files, scan_text, tracked_files

pytestmark = pytest.mark.security

#: Findings that are not credentials, each with its reason. Keep it narrow: a file and a line fragment.
#: Empty today: the remote tests' secrets are random per session (tests/remote/conftest.py), the test
#: doubles make their tokens at run time, and docs show placeholders (<key>, ...).
ALLOWED: list[Allowed] = []


def test_no_tracked_file_holds_a_credential() -> None:
    files = tracked_files(ROOT)
    assert any(f.startswith("stacks/") for f in files) and "README.md" in files and "run.py" in files
    findings, used = scan_files(ROOT, files, ALLOWED)
    assert not findings, "credentials in the repository (use a ZenML secret reference {{name.key}}):\n" + "\n".join(
        map(str, findings)
    )
    assert set(ALLOWED) <= used, f"allow-list entries that no longer match anything: {set(ALLOWED) - used}"


# Built from pieces ("%C" is ":" and "%E" is "=" at run time), so that this file itself holds none of them.
AKIA = "AKIA" + "Z7Q4" * 4
PRIVATE = "-----BEGIN " + "RSA PRIVATE KEY-----"
_PLANTED = {
    "stacks/leaky.yaml": f"artifact_store%C\n  configuration%C\n    key%C {AKIA}\n    secret%C 'wJalr/K7MDENG+bP'\n",
    "configs/leaky.yaml": "tracking_password%C hunter2\n",
    "portable_mlops/leaky.py": 'client %E connect(api_key%E"sk-live-0123456789")\nTOKEN %E "abc123"\n',
    "pyproject.toml": '[tool.leaky]\npassword %E "hunter2"\n',
    "docs/leaky.md": "    mlflow server --backend-store-uri postgresql%C//admin%Cs3cret@db%C5432/mlflow\n",
    "keys/id_rsa": f"{PRIVATE}\nMIIEow\n",
    "sa.json": '{"type"%C "service_account", "project_id"%C "p", "private_key_id"%C "' + "0f" * 20 + '"}',
    "run.sh": "curl -H 'Authorization%C Bearer " + "eyJhbGciOiJIUzI1NiJ9abc" + "' http%C//x\n",
    "README.md": "export AWS_SECRET_ACCESS_KEY%EwJalrXUtnFEMI\n",
}
PLANTED = {path: text.replace("%C", ":").replace("%E", "=") for path, text in _PLANTED.items()}
NOT_CREDENTIALS = {
    "stacks/ok.yaml": "key: '{{pmlops-minio.aws_access_key_id}}'\ntracking_password: '{{pmlops-mlflow.password}}'\n",
    "README.md": "zenml secret create pmlops-minio --aws_access_key_id=<key> --aws_secret_access_key=...\n",
    "portable_mlops/ok.py": "secret_name: str = config.secret_name\ntoken = secrets.token_hex(16)\n",
    "docs/ok.md": "the MLflow server at http://127.0.0.1:5000/ (no user:password@ part)\n",
    "docs/prose.md": "- Secret values reach components only through ZenML secrets: after a run, the token: none\n",
}


@pytest.mark.parametrize("path", sorted(PLANTED))
def test_scanner_flags_a_planted_credential(tmp_path: Path, path: str) -> None:
    """The scan can fail: each planted file (in tmp_path, never in the repository) is flagged."""
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(PLANTED[path])
    findings, _ = scan_files(tmp_path, [path], ALLOWED)
    assert findings, f"planted credential in {path} not found"


def test_scanner_flags_each_line_and_lets_references_and_placeholders_pass() -> None:
    assert len(scan_text("stacks/leaky.yaml", PLANTED["stacks/leaky.yaml"])) >= 2
    assert len(scan_text("portable_mlops/leaky.py", PLANTED["portable_mlops/leaky.py"])) == 2
    for path, text in NOT_CREDENTIALS.items():
        assert scan_text(path, text) == [], path


def test_an_allow_list_entry_needs_its_exact_place(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("password: moto-accepts-anything\n")
    (tmp_path / "b.yaml").write_text("password: moto-accepts-anything\n")
    allowed = [Allowed("a.yaml", "moto-accepts-anything", "a test double's fixed key")]
    findings, used = scan_files(tmp_path, ["a.yaml", "b.yaml"], allowed)
    assert [f.path for f in findings] == ["b.yaml"] and used == set(allowed)


def _secret_fields(component_type: str, flavor: str) -> set[str]:
    """The configuration fields ZenML itself marks as secret (``SecretField``) for a flavor."""
    from zenml.client import Client
    from zenml.enums import StackComponentType
    from zenml.stack.flavor import Flavor
    from zenml.utils.secret_utils import is_secret_field

    model = Client().get_flavor_by_name_and_type(flavor, StackComponentType(component_type))
    config_class = Flavor.from_model(model).config_class
    return {name for name, info in config_class.model_fields.items() if is_secret_field(info)}


def test_stack_files_give_every_secret_field_as_a_zenml_secret_reference() -> None:
    from zenml.utils.secret_utils import is_secret_reference

    from portable_mlops.cli.stack_setup import ensure_flavors, secret_references

    ensure_flavors()
    referenced = 0
    for path in sorted(STACKS_DIR.glob("*.yaml")):
        data = read_stack(path)
        for kind, specs in data["components"].items():
            for spec in specs:
                secret = _secret_fields(kind, spec["flavor"])
                for key, value in (spec.get("configuration") or {}).items():
                    if key in secret:
                        assert is_secret_reference(value), (
                            f"{path.name}: {spec['name']}.{key} must be {{{{secret.key}}}}"
                        )
                        referenced += 1
        assert set(secret_references(data)) <= {"pmlops-minio", "pmlops-mlflow"}, path.name
    # kubeflow: key, secret, tracking_username, tracking_password; vertex: tracking_username, tracking_password
    assert referenced == 6
    assert {"key", "secret", "token"} <= _secret_fields("artifact_store", "s3")
