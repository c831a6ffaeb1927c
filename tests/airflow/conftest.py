"""A real Apache Airflow for the airflow stack's tests: started in the session's folder, stopped after.

Airflow runs from its own environment (``.venv-airflow``, ``airflow/requirements.lock``; ``make test``
installs it), on 127.0.0.1 and a free port, with podman's Docker-compatible API as the DockerOperator's
engine. Every step runs in a container of the project's step image; the model endpoint is a container
of the model's serving image. Both images are built (or reused) by ``tests/images.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from images import build, podman
from portable_mlops.cli import airflow_runs
from portable_mlops.serving.images import serving_image
from tests.conftest import ROOT
from tests.integration.conftest import Result
from tests.remote.services import isolated_env, with_source_root

#: Where the stack file names the step image and the serving images (its container registry).
REGISTRY = "registry.example.com/portable-mlops"
STEP_IMAGE = f"{REGISTRY}/portable-mlops:0.1.0"
AIRFLOW_VENV = ROOT / ".venv-airflow"


@dataclass
class AirflowSite:
    """The running Airflow, the ZenML config the runs use, and how to run ``run.py`` against them."""

    state: Any
    home: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: int = 1800) -> Result:
        proc = subprocess.run(
            [sys.executable, "run.py", "--stack", "airflow", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def python(self, code: str) -> Any:
        """Run ``code`` (which prints JSON) in a fresh interpreter on the runs' ZenML config; its output."""
        proc = subprocess.run(
            [sys.executable, "-c", with_source_root("import portable_mlops.compat\n" + code)],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])


def our_containers(env: dict[str, str], stores: Path) -> list[str]:
    """Names of the containers (running or not) the airflow runs made: the steps' (the DockerOperator mounts
    the ZenML config's local ``stores`` at their own path) and the endpoints' (they carry the serving label).
    Other tests' containers (another pytest-xdist worker's) are not counted."""
    from portable_mlops.serving.containers import LABEL

    proc = subprocess.run(["podman", "ps", "-a", "--format", "json"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return [
        name
        for container in json.loads(proc.stdout or "[]")
        if LABEL in (container.get("Labels") or {}) or str(stores) in (container.get("Mounts") or [])
        for name in container["Names"]
    ]


@pytest.fixture(scope="session")
def airflow_venv() -> Path:
    """Airflow's own environment; created from its lock when missing (as ``make test`` does)."""
    if not (AIRFLOW_VENV / ".installed").exists():
        subprocess.run(["make", "-s", str(AIRFLOW_VENV.relative_to(ROOT) / ".installed")], cwd=ROOT, check=True)
    return AIRFLOW_VENV


@pytest.fixture(scope="session")
def airflow_images(podman_env: dict[str, str], step_image: str) -> dict[str, str]:
    """The step image under the name the stack's container registry gives it, and the serving image of
    every model the step image trains (``make airflow-up`` builds the same two)."""
    podman.tag(step_image, STEP_IMAGE, podman_env)
    requirements = build.step_model_requirements()
    serving = serving_image(REGISTRY, requirements)
    podman.tag(build.build_serving(podman_env, requirements).ref, serving, podman_env)
    return {"step": STEP_IMAGE, "serving": serving}


@pytest.fixture(scope="module")
def airflow_site(
    tmp_path_factory: pytest.TempPathFactory,
    airflow_venv: Path,
    airflow_images: dict[str, str],
    podman_env: dict[str, str],
) -> Iterator[AirflowSite]:
    """A local Airflow (``airflow/local_airflow.py start --podman``) and a ZenML config of its own.

    After the module: the endpoints the runs started are stopped, Airflow and its podman API are
    stopped, and no process of Airflow's and no container of the runs may be left."""
    la = airflow_runs.local_airflow()
    root = tmp_path_factory.mktemp("airflow")
    home = root / "home"
    stores = root / "zenml" / "local_stores"  # the local stores of the ZenML config below (isolated_env)
    before = set(our_containers(podman_env, stores))
    previous = os.environ.get("CONTAINERS_CONF")
    os.environ["CONTAINERS_CONF"] = podman_env["CONTAINERS_CONF"]  # for the podman API Airflow starts
    try:
        state = la.start(home, venv=airflow_venv, podman=True)
    finally:
        if previous is None:
            os.environ.pop("CONTAINERS_CONF")
        else:
            os.environ["CONTAINERS_CONF"] = previous
    env = {
        **isolated_env(root / "zenml"),
        "PMLOPS_AIRFLOW_HOME": str(home),
        "DOCKER_HOST": state.docker_host,  # the host reaches the endpoint containers as the steps do
        "CONTAINERS_CONF": podman_env["CONTAINERS_CONF"],
    }
    site = AirflowSite(state, home, env)
    try:
        yield site
    finally:
        subprocess.run(
            [sys.executable, "-m", "portable_mlops.cli.endpoints"], cwd=ROOT, env=env, capture_output=True, timeout=300
        )
        la.stop(home)
    assert not any(la._alive(pid) for pid in state.pids), "an Airflow process outlived stop()"
    left = set(our_containers(podman_env, stores)) - before
    assert not left, f"containers left behind by the airflow runs: {sorted(left)}"
