"""A real ZenML server with its dashboard, started the way a user starts it (``make dashboard``), the
Quickstart's pipelines run against it through ``run.py``, and the MLflow UI on the tracking store.

Everything lives in a temporary ``ZENML_CONFIG_PATH`` and listens on free loopback ports; the server,
the model endpoint and the MLflow UI are stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.browser.chromium import BINARY, Chromium
from tests.conftest import ROOT
from tests.remote.services import free_port, isolated_env, wait_for, with_source_root
from tests.security.test_loopback import listening

#: Where the screenshots are kept (git-ignored); each test prints the paths it wrote.
SCREENSHOTS = ROOT / "test-output" / "screenshots"


@dataclass
class Dashboard:
    """A ZenML server on loopback and the environment of a client connected to it."""

    url: str
    config: Path
    env: dict[str, str] = field(default_factory=dict)

    def command(self, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        """``python ARGS`` in the repository as a client of this server."""
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def python(self, code: str) -> str:
        proc = self.command("-c", with_source_root(code), timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return proc.stdout


@dataclass
class Runs:
    """The Quickstart's three runs, as run.py reported them."""

    stdout: str
    names: dict[str, str]  # pipeline -> run name
    urls: dict[str, str]  # pipeline -> dashboard URL of the run
    drift_report: str  # artifact version id of the inference run's drift report
    model: str


def _kill_daemon(config: Path) -> None:
    """End the server daemon this test started if ``zenml logout`` left it running (by its pid file)."""
    pid_file = config / "zen_server" / "daemon" / "service.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


@pytest.fixture(scope="session")
def workdir() -> Iterator[Path]:
    """The session's own temporary directory. Not pytest's ``tmp_path_factory``: a concurrent pytest
    session keeps only the three newest base directories and can delete this one under the server."""
    root = Path(tempfile.mkdtemp(prefix="pmlops-browser-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dashboard(workdir: Path) -> Iterator[Dashboard]:
    """``python -m portable_mlops.cli.dashboard start --port <free>`` in a fresh ZenML config; after the
    session ``... dashboard stop`` must leave nothing listening on the port."""
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is absent: install Debian's chromium (apt-get install -y chromium); .ci/run does")
    root = workdir
    env = isolated_env(root / "zenml")
    port = free_port()
    board = Dashboard(f"http://127.0.0.1:{port}", root / "zenml", env)
    try:
        started = board.command("-m", "portable_mlops.cli.dashboard", "start", "--port", str(port), timeout=300)
        assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-3000:]
        assert f"ZenML dashboard: {board.url}" in started.stdout, started.stdout
        wait_for(board.url + "/health")
        yield board
    finally:
        board.command("-m", "portable_mlops.cli.endpoints", timeout=300)  # the endpoint of the deployment run
        board.command("-m", "portable_mlops.cli.dashboard", "stop", timeout=300)
        still = listening(port)
        _kill_daemon(board.config)
        assert not still, f"the dashboard still listens on {still} after `dashboard stop`"


FIND_DRIFT_REPORT = """
import contextlib
import json
from zenml.client import Client
run = Client().get_pipeline_run(%r)
print(json.dumps({"drift_report": str(run.steps["detect_drift"].outputs["drift_report"][0].id)}))
"""


@pytest.fixture(scope="session")
def runs(dashboard: Dashboard) -> Runs:
    """``python run.py --stack local``: train, deploy, score a batch, recorded through the server."""
    result = dashboard.command("run.py", "--stack", "local")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    names = dict(re.findall(r"^\[(\w+)\] run '([^']+)'", result.stdout, re.MULTILINE))
    urls = dict(re.findall(r"^\[(\w+)\] run .*?\n(?:  .*\n)*?  dashboard: (\S+)", result.stdout, re.MULTILINE))
    assert set(names) == {"training", "deployment", "inference"}, result.stdout
    assert set(urls) == set(names), f"run.py printed no dashboard link for some runs:\n{result.stdout}"
    run_id = urls["inference"].rsplit("/", 1)[1]
    found = json.loads(dashboard.python(FIND_DRIFT_REPORT % run_id).strip().splitlines()[-1])
    model = re.search(r"model '([^']+)' version", result.stdout)
    assert model, result.stdout
    return Runs(result.stdout, names, urls, found["drift_report"], model.group(1))


@pytest.fixture(scope="session")
def mlflow_ui(dashboard: Dashboard, runs: Runs, workdir: Path) -> Iterator[str]:
    """``python -m portable_mlops.cli.dashboard mlflow --port <free>`` (what ``make mlflow-ui`` runs)."""
    port = free_port()
    log = workdir / "mlflow-ui.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "portable_mlops.cli.dashboard", "mlflow", "--port", str(port)],
        cwd=ROOT,
        env=dashboard.env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", seconds=120)
        assert f"MLflow UI: http://127.0.0.1:{port}" in log.read_text(), log.read_text()[-2000:]
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def browser(workdir: Path) -> Iterator[Chromium]:
    """A headless chromium with a fresh profile for one test."""
    chromium = Chromium(workdir / "chromium.log")
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
