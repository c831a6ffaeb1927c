"""Servers the project starts listen on loopback only: the ZenML dashboard (``make dashboard``), the
MLflow UI (``make mlflow-ui``) and the MLflow model endpoint of the local stack's model deployer.

Each is started through the project's own code path, and the listening sockets on its port are read
from the kernel (psutil): every one must be bound to 127.0.0.1 or ::1, none to a wildcard address.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests

from portable_mlops.cli import dashboard
from tests.conftest import ROOT
from tests.security.credentials import tracked_files

pytestmark = pytest.mark.security

LOOPBACK = {"127.0.0.1", "::1"}
WILDCARD = "0.0." + "0.0"  # in pieces, so that the grep below does not find this file


def listening(port: int) -> set[str]:
    """The local addresses with a listening TCP socket on ``port``."""
    return {c.laddr.ip for c in psutil.net_connections(kind="inet") if c.status == "LISTEN" and c.laddr.port == port}


def wait_listening(port: int, seconds: float = 120) -> set[str]:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if listening(port):
            time.sleep(1)  # uvicorn/gunicorn may add sockets (IPv6) right after the first one
            return listening(port)
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on port {port} after {seconds} s")


def test_listening_check_sees_a_wildcard_bind() -> None:
    """The check can fail: a socket bound to all interfaces is seen as such."""
    import socket

    with socket.socket() as sock:
        sock.bind((WILDCARD, 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert listening(port) == {WILDCARD}
        assert not listening(port) <= LOOPBACK


def test_no_tracked_file_binds_all_interfaces() -> None:
    hits = []
    for name in tracked_files(ROOT):
        path = ROOT / name
        if path.is_file() and name != "requirements.lock":
            text = path.read_bytes().decode("utf-8", errors="replace")
            hits += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if WILDCARD in line]
    assert not hits, f"binding to all interfaces in: {hits}"


# The dashboard's loopback bind is checked on the server the browser tests start
# (tests/browser/test_dashboard.py::test_dashboard_listens_on_loopback_only): a second ZenML server
# here cost half a minute of suite time.


def test_mlflow_ui_listens_on_loopback_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.remote.services import free_port

    # the active stack's local tracking store, as mlflow_store() finds it on the local stack
    monkeypatch.setattr(dashboard, "mlflow_store", lambda: (f"sqlite:///{tmp_path / 'mlflow.db'}", str(tmp_path)))
    port = free_port()
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # as `dashboard mlflow` runs it
    process = subprocess.Popen(
        dashboard.mlflow_ui_command(port),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        addresses = wait_listening(port)
        assert addresses and addresses <= LOOPBACK, addresses
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture
def local_stack_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local stack (stacks/local.yaml) as the active stack of this process and its daemons, through
    ZENML_ACTIVE_STACK_ID, so the repository's .zen stays as it is."""
    from zenml.client import Client

    from portable_mlops.cli.stack_setup import ensure_stack

    name = ensure_stack("local", activate=False)
    monkeypatch.setenv("ZENML_ACTIVE_STACK_ID", str(Client().get_stack(name).id))
    yield


def test_mlflow_model_endpoint_listens_on_loopback_only(tmp_path: Path, local_stack_env: None) -> None:
    """ZenML's MLFlowDeploymentService serves with ``host="localhost"`` (not configurable): the
    endpoint the deploy step starts from the config of portable_mlops.serving.deployers binds loopback."""
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression
    from zenml.integrations.mlflow.services import MLFlowDeploymentService

    from portable_mlops.serving.deployers import Target, plan_for

    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    mlflow.sklearn.save_model(model, str(tmp_path / "model"))
    target = Target(
        "security_check", "1", str(tmp_path / "model"), "deployment", "deploy_model", workers=1, timeout=120
    )
    service: Any = MLFlowDeploymentService(uuid=uuid.uuid4(), config=plan_for("mlflow", target).config)
    service.start(timeout=120)
    try:
        assert service.is_running, service.status
        port = int(service.endpoint.status.port)
        addresses = wait_listening(port)
        assert addresses and addresses <= LOOPBACK, addresses
        answer = requests.post(
            service.prediction_url, json={"dataframe_split": {"columns": ["x"], "data": [[3.0]]}}, timeout=30
        )
        assert answer.status_code == 200, answer.text[:300]
    finally:
        service.stop(timeout=60, force=True)
