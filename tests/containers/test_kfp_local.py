"""KFP's own local runner on podman, with the three workarounds of images/kfp_local.py: a task's env from
the compiled spec reaches its container (placeholders resolved), a task that exits non-zero fails the
pipeline and its dependants never start, and no container is left behind."""

# No `from __future__ import annotations`: kfp reads the component signatures' annotations as objects.
import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from kfp import compiler, dsl

from images import kfp_local, podman

pytestmark = pytest.mark.containers
JOB_NAME = "{{$.pipeline_job_name}}"

WRITE = r"""
import os, sys, pathlib
run_id, greeting = os.environ.get("KFP_RUN_ID", "<unset>"), os.environ.get("GREETING", "<unset>")
print(f"write-env: GREETING={greeting} KFP_RUN_ID={run_id}")
if greeting != "hello from the spec" or "{{" in run_id or run_id == "<unset>":
    sys.exit(5)
pathlib.Path(sys.argv[1]).parent.mkdir(parents=True, exist_ok=True)
pathlib.Path(sys.argv[1]).write_text(run_id)
"""
CHECK = r"""
import os, sys, pathlib
run_id, out = sys.argv[1], pathlib.Path(sys.argv[2])
print(f"check-inputs: parameter={run_id}")
if os.environ.get("KFP_RUN_ID") != run_id:
    sys.exit(6)
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("checked " + run_id)
"""


def compiled(image: str, into: Path) -> dict[str, Path]:
    """Two pipelines of container components, compiled with kfp's Compiler (only the YAML is run)."""

    @dsl.container_component
    def write_env(run_id: dsl.OutputPath(str)) -> dsl.ContainerSpec:  # type: ignore[valid-type]
        return dsl.ContainerSpec(image=image, command=["python", "-c", WRITE], args=[run_id])

    @dsl.container_component
    def check_inputs(run_id: str, verdict: dsl.OutputPath(str)) -> dsl.ContainerSpec:  # type: ignore[valid-type]
        return dsl.ContainerSpec(image=image, command=["python", "-c", CHECK], args=[run_id, verdict])

    @dsl.container_component
    def exit_three() -> dsl.ContainerSpec:
        return dsl.ContainerSpec(image=image, command=["sh", "-c", "echo exiting 3; exit 3"])

    def with_env(task: Any) -> Any:  # what ZenML's Kubeflow orchestrator does for every step
        task.set_env_variable("GREETING", "hello from the spec")
        task.set_env_variable("KFP_RUN_ID", "{{$.pipeline_job_name}}")
        return task

    @dsl.pipeline(name="pmlops-ok")
    def ok() -> str:
        first = with_env(write_env())
        return with_env(check_inputs(run_id=first.outputs["run_id"])).outputs["verdict"]

    @dsl.pipeline(name="pmlops-fail")
    def fail() -> None:
        first = with_env(write_env())
        boom = exit_three().after(first)
        with_env(check_inputs(run_id=first.outputs["run_id"])).after(boom)

    into.mkdir(parents=True, exist_ok=True)
    paths = {"ok": into / "ok.yaml", "fail": into / "fail.yaml"}
    compiler.Compiler().compile(ok, str(paths["ok"]))
    compiler.Compiler().compile(fail, str(paths["fail"]))
    return paths


def run(path: Path, docker_host: str, root: Path) -> tuple[str | None, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            kfp_local.run_compiled_pipeline(path, docker_host, root, network_mode="host")
        except RuntimeError as exc:
            return str(exc), out.getvalue()
    return None, out.getvalue()


def containers(env: dict[str, str], under: Path) -> set[str]:
    """Containers (running or not) that mount a folder under ``under``: kfp.local mounts the pipeline root
    into each task's container. Other tests' containers (another pytest-xdist worker's) are not counted."""
    listed = json.loads(podman._podman(["ps", "-a", "--format", "json"], env).stdout or "[]")
    return {
        name
        for container in listed
        if any(str(mount).startswith(str(under)) for mount in container.get("Mounts") or [])
        for name in container["Names"]
    }


def test_env_from_the_spec_reaches_the_task_and_a_failing_task_fails_the_pipeline(
    step_image: str, podman_env: dict[str, str], tmp_path: Path
) -> None:
    paths = compiled(step_image, tmp_path / "compiled")
    assert not containers(podman_env, tmp_path)
    with podman.podman_service(podman_env) as docker_host:
        failure, output = run(paths["ok"], docker_host, tmp_path / "root-ok")
        assert failure is None, output[-3000:]
        (verdict,) = (tmp_path / "root-ok").rglob("verdict")
        assert verdict.read_text().startswith("checked pmlops-ok-")  # KFP_RUN_ID resolved to the job's name
        failure, output = run(paths["fail"], docker_host, tmp_path / "root-fail")
    assert failure is not None and "exit-three" in failure  # exit 3 is a failed task, not a success
    assert "write-env: GREETING=hello from the spec" in output
    assert "check-inputs: parameter" not in output  # the dependant never started
    assert not containers(podman_env, tmp_path)  # every task's container removed


def test_env_moves_into_the_command_once_with_its_placeholders() -> None:
    spec = {
        "deploymentSpec": {
            "executors": {
                "exec-a": {
                    "container": {
                        "command": ["python", "-m", "x"],
                        "env": [{"name": "A", "value": "{{$.pipeline_job_name}}"}],
                    }
                },
                "exec-b": {"container": {"command": ["true"]}},
            }
        }
    }
    once = kfp_local.env_into_command([spec])
    twice = kfp_local.env_into_command(once)
    assert once[0]["deploymentSpec"]["executors"]["exec-a"]["container"]["command"] == [
        "env",
        f"A={JOB_NAME}",
        "python",
        "-m",
        "x",
    ]
    assert twice == once and once[0]["deploymentSpec"]["executors"]["exec-b"]["container"]["command"] == ["true"]
    assert spec["deploymentSpec"]["executors"]["exec-a"]["container"]["command"] == ["python", "-m", "x"]  # a copy
