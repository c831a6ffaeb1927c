"""Faults on the local stack: a training run killed mid-step, two training runs at once.

(An endpoint process that dies is detected and restored by the deployment pipeline: see
test_serving.py::test_killed_endpoint_is_detected_and_restored_by_the_deployment_pipeline.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import ROOT
from tests.integration.conftest import champion, mlflow_client, registry_versions, run_cli

pytestmark = pytest.mark.integration
MODEL = "breast_cancer_classifier"


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}


def _versions_by_run() -> dict[str, list[str]]:
    """Registry versions of the model grouped by the ZenML run that registered them."""
    out: dict[str, list[str]] = {}
    for version in mlflow_client().search_model_versions(f"name='{MODEL}'"):
        out.setdefault(version.tags.get("zenml_pipeline_run_uuid", "?"), []).append(str(version.version))
    return out


def _group_alive(pgid: int) -> list[int]:
    alive = []
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return alive


def test_training_killed_mid_step_reruns_cleanly(first_run) -> None:
    before = registry_versions(MODEL)
    proc = subprocess.Popen(
        [sys.executable, "run.py", "--stack", "local", "--pipeline", "training", "--no-cache"],
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    seen = []
    deadline = time.time() + 300
    for line in proc.stdout:  # the step's own "has started" line, then kill in the middle of the search
        seen.append(line)
        if "train_candidates" in line and "has started" in line:
            time.sleep(1.0)
            os.killpg(proc.pid, signal.SIGKILL)
            break
        assert time.time() < deadline, "".join(seen[-20:])
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    time.sleep(0.5)
    assert _group_alive(proc.pid) == []  # nothing of the killed run keeps running
    assert registry_versions(MODEL) == before  # killed before registration: nothing registered

    again = run_cli("--pipeline", "training", "--no-cache")
    assert again.code == 0, again.stderr[-3000:]
    after = registry_versions(MODEL)
    assert len(after) == len(before) + 1 and set(before) < set(after)
    assert all(len(versions) == 1 for versions in _versions_by_run().values())  # one version per run
    assert champion(MODEL) is not None


def test_two_training_runs_at_once_both_succeed_and_alias_and_stage_agree(first_run) -> None:  # type: ignore[no-untyped-def]
    from zenml.client import Client
    from zenml.enums import ModelStages

    before = registry_versions(MODEL)
    procs = [
        subprocess.Popen(
            [sys.executable, "run.py", "--stack", "local", "--pipeline", "training", "--no-cache"],
            cwd=ROOT,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=900), p.communicate()) for p in procs]
    assert [code for code, _ in results] == [0, 0], [stderr[-1500:] for _, (_, stderr) in results]
    after = registry_versions(MODEL)
    assert len(after) == len(before) + 2 and len(set(after)) == len(after)
    assert all(len(versions) == 1 for versions in _versions_by_run().values())
    production = Client().get_model_version(MODEL, ModelStages.PRODUCTION)
    assert str(production.run_metadata["registry"]["version"]) == champion(MODEL)  # the alias and the stage agree
