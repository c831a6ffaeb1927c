"""Servers on loopback for the remote stacks: a ZenML server, an S3 server (moto) and MLflow, and a
Kubeflow stack (stacks/kubeflow.yaml with its endpoints pointed at them). Used by the remote-stack tests
(tests/remote/conftest.py) and the compile benchmark (benchmarks/compile.py). These are the real programs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
BUCKET = "pmlops-artifacts"
IMAGE = "registry.example.com/portable-mlops/portable-mlops:0.1.0"  # stacks/kubeflow.yaml + configs/docker.yaml


#: An empty directory given as ZenML's repository path: ZenML then finds no repository, so no client
#: of a test or benchmark reads or writes the checkout's ``.zen/config.yaml`` (its active stack is the
#: isolated ZENML_CONFIG_PATH's), and the source root stays the checkout (the main module's directory).
NO_REPOSITORY = Path(tempfile.gettempdir()) / "pmlops-no-zenml-repository"


def with_source_root(code: str) -> str:
    """``code`` for ``python -c``, first making the checkout ZenML's source root: without a ZenML
    repository (:data:`NO_REPOSITORY`) ZenML takes the main module's folder, and ``-c`` has none."""
    return f"from zenml.utils import source_utils; source_utils.set_custom_source_root({str(ROOT)!r})\n{code}"


def isolated_env(config_path: Path | None = None) -> dict[str, str]:
    """This process's environment without any ZenML or MLflow setting, analytics and browser off, and
    no ZenML repository (:data:`NO_REPOSITORY`); with ``config_path``, a ZenML config of its own there."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZENML_", "MLFLOW_"))}
    NO_REPOSITORY.mkdir(exist_ok=True)
    env.update(
        ZENML_ANALYTICS_OPT_IN="false",
        AUTO_OPEN_DASHBOARD="false",
        ZENML_AUTO_OPEN_DASHBOARD="false",
        WHYLOGS_NO_ANALYTICS="True",
        ZENML_REPOSITORY_PATH=str(NO_REPOSITORY),
    )
    if config_path is not None:
        env["ZENML_CONFIG_PATH"] = str(config_path)
    return env


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
    k8s_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    #: The values of the ZenML secrets pmlops-minio and pmlops-mlflow: random per session (moto accepts
    #: any key), so tests/remote/test_secrets_do_not_leak.py can look for them in everything the runs left.
    s3_key: str = field(default_factory=lambda: f"pmlops-key-{uuid.uuid4().hex}")
    s3_secret: str = field(default_factory=lambda: f"pmlops-secret-{uuid.uuid4().hex}")
    mlflow_username: str = field(default_factory=lambda: f"pmlops-user-{uuid.uuid4().hex}")
    mlflow_password: str = field(default_factory=lambda: f"pmlops-password-{uuid.uuid4().hex}")

    @property
    def secret_values(self) -> dict[str, str]:
        """What the ZenML secrets hold, by ``secret.key``."""
        return {
            "pmlops-minio.aws_access_key_id": self.s3_key,
            "pmlops-minio.aws_secret_access_key": self.s3_secret,
            "pmlops-mlflow.username": self.mlflow_username,
            "pmlops-mlflow.password": self.mlflow_password,
        }

    @property
    def kubeconfig(self) -> Path:
        """Where the Kubernetes API test double's kubeconfig goes (tests/remote/test_seldon_rollout.py)."""
        return self.root / "kubeconfig"

    def run(self, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        """``python run.py ARGS`` as a client of the ZenML server."""
        return subprocess.run(
            [sys.executable, "run.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def python(self, code: str) -> str:
        """Run Python code as a client of the ZenML server; return its stdout."""
        proc = subprocess.run(
            [sys.executable, "-c", with_source_root(code)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout

    def s3(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.s3_url,
            aws_access_key_id=self.s3_key,
            aws_secret_access_key=self.s3_secret,
            region_name="us-east-1",
        )


SETUP = """
import portable_mlops.compat
from zenml.client import Client
from portable_mlops.cli.stack_setup import ensure_stack
client = Client()
client.create_secret("pmlops-minio", values={"aws_access_key_id": %(s3_key)r, "aws_secret_access_key": %(s3_secret)r})
# a loopback MLflow server without auth ignores these; the client still sends them (basic auth)
client.create_secret("pmlops-mlflow", values={"username": %(mlflow_username)r, "password": %(mlflow_password)r})
print(ensure_stack("kubeflow", overrides={
    "pmlops-kubeflow-orchestrator": {"kubeflow_hostname": "%(kfp)s/pipeline"},
    "pmlops-minio-artifacts": {"client_kwargs": {"endpoint_url": "%(s3)s", "region_name": "us-east-1"}},
    "pmlops-remote-mlflow-tracker": {"tracking_uri": "%(mlflow)s"},
    "pmlops-seldon": {"kubernetes_context": "pmlops-test-double", "base_url": "%(k8s)s"},
}))
"""


@contextmanager
def remote_services(root: Path) -> Iterator[Remote]:
    """A ZenML server, moto's S3 server and an MLflow server on free loopback ports, and a Kubeflow
    stack (stacks/kubeflow.yaml with its endpoints pointed at them) registered on the ZenML server."""
    # nothing of this session's own ZenML or MLflow settings (earlier tests set MLFLOW_*_URI) leaks in
    base = isolated_env()
    base["PATH"] = f"{BIN}{os.pathsep}{base.get('PATH', '')}"
    zenml_port, s3_port, mlflow_port, kfp_port, k8s_port = (free_port() for _ in range(5))
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
            f"http://127.0.0.1:{k8s_port}",
        )
        remote.env = {
            **base,
            "ZENML_CONFIG_PATH": str(root / "client"),
            "ZENML_STORE_URL": remote.zenml_url,
            "KUBECONFIG": str(remote.kubeconfig),
        }
        wait_for(remote.zenml_url + "/health")
        wait_for(remote.s3_url)
        wait_for(remote.mlflow_url + "/health", seconds=120)
        remote.s3().create_bucket(Bucket=BUCKET)
        urls = {"kfp": remote.kfp_url, "s3": remote.s3_url, "mlflow": remote.mlflow_url, "k8s": remote.k8s_url}
        remote.python(
            SETUP
            % {
                **urls,
                "s3_key": remote.s3_key,
                "s3_secret": remote.s3_secret,
                "mlflow_username": remote.mlflow_username,
                "mlflow_password": remote.mlflow_password,
            }
        )
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
