"""Servers on loopback for the remote-stack tests: a ZenML server, an S3 server (moto) and MLflow.

No Kubernetes API server, KFP backend or cloud can run on these machines; what stands in for them is
named a test double (see kfp_executor_double.py). These servers are the real programs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
BUCKET = "pmlops-artifacts"


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {seconds} s")


@dataclass
class Remote:
    """Where the loopback servers are and the environment of a client that talks to them."""

    root: Path
    zenml_url: str
    s3_url: str
    mlflow_url: str
    kfp_url: str
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        """``python run.py ARGS`` as a client of the ZenML server."""
        return subprocess.run(
            [sys.executable, "run.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def python(self, code: str) -> str:
        """Run Python code as a client of the ZenML server; return its stdout."""
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout

    def s3(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_url,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            region_name="us-east-1",
        )


SETUP = """
import portable_mlops.compat
from zenml.client import Client
from portable_mlops.stacks import ensure_stack
client = Client()
client.create_secret("pmlops-minio", values={"aws_access_key_id": "test", "aws_secret_access_key": "test"})
client.create_secret("pmlops-mlflow", values={"username": "pmlops", "password": "unused-by-a-local-server"})
print(ensure_stack("kubeflow", overrides={
    "pmlops-kubeflow-orchestrator": {"kubeflow_hostname": "%(kfp)s/pipeline"},
    "pmlops-minio-artifacts": {"client_kwargs": {"endpoint_url": "%(s3)s", "region_name": "us-east-1"}},
    "pmlops-remote-mlflow-tracker": {"tracking_uri": "%(mlflow)s"},
}))
"""


@pytest.fixture(scope="session")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    """A ZenML server, moto's S3 server and an MLflow server on free loopback ports, and a Kubeflow
    stack (stacks/kubeflow.yaml with its endpoints pointed at them) registered on the ZenML server."""
    root = tmp_path_factory.mktemp("remote")
    base = {k: v for k, v in os.environ.items() if not k.startswith("ZENML_")}
    base.update(ZENML_ANALYTICS_OPT_IN="false", AUTO_OPEN_DASHBOARD="false", ZENML_AUTO_OPEN_DASHBOARD="false")
    base["PATH"] = f"{BIN}{os.pathsep}{base.get('PATH', '')}"
    zenml_port, s3_port, mlflow_port, kfp_port = free_port(), free_port(), free_port(), free_port()
    server_env = {**base, "ZENML_CONFIG_PATH": str(root / "server")}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run(
            [str(BIN / "zenml"), "login", "--local", "--port", str(zenml_port), "--ip-address", "127.0.0.1"],
            env=server_env,
            check=True,
            capture_output=True,
            timeout=180,
        )
        logs = root / "logs"
        logs.mkdir()
        processes.append(
            subprocess.Popen(
                [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)],
                stdout=(logs / "moto.log").open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        processes.append(
            subprocess.Popen(
                [
                    str(BIN / "mlflow"),
                    "server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(mlflow_port),
                    "--workers",
                    "1",
                    "--backend-store-uri",
                    f"sqlite:///{root / 'mlflow.db'}",
                    "--artifacts-destination",
                    str(root / "mlruns"),
                ],
                stdout=(logs / "mlflow.log").open("wb"),
                stderr=subprocess.STDOUT,
                env=base,
                start_new_session=True,
            )
        )
        remote = Remote(
            root,
            f"http://127.0.0.1:{zenml_port}",
            f"http://127.0.0.1:{s3_port}",
            f"http://127.0.0.1:{mlflow_port}",
            f"http://127.0.0.1:{kfp_port}",
        )
        remote.env = {**base, "ZENML_CONFIG_PATH": str(root / "client"), "ZENML_STORE_URL": remote.zenml_url}
        wait_for(remote.zenml_url + "/health")
        wait_for(remote.s3_url)
        wait_for(remote.mlflow_url + "/health", seconds=120)
        remote.s3().create_bucket(Bucket=BUCKET)
        remote.python(SETUP % {"kfp": remote.kfp_url, "s3": remote.s3_url, "mlflow": remote.mlflow_url})
        yield remote
    finally:
        for process in processes:  # each leads its own process group: end it with its children
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        subprocess.run([str(BIN / "zenml"), "logout", "--local"], env=server_env, capture_output=True, timeout=120)
