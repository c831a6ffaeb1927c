"""A test double of a Kubeflow Pipelines backend: runs a compiled pipeline's containers as processes.

What a KFP backend does with a compiled ``PipelineSpec`` is, per task in DAG order, start the
executor's container image with its command, args and env. This double does the same with local
processes: the executor's exact ``command`` (``python`` mapped to this interpreter), ``args`` and
``env`` (KFP placeholders filled in), a fresh working directory and a fresh ZenML config directory per
task, as a fresh pod would have. It does not pull or run images, schedule, retry, or isolate network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass
class TaskResult:
    """How one task's process ended."""

    task: str
    returncode: int
    output: str


def load_spec(path: Path) -> dict[str, Any]:
    """The compiled pipeline spec (KFP IR YAML, or Vertex JSON with the spec under ``pipelineSpec``)."""
    data = yaml.safe_load(path.read_text())
    return data.get("pipelineSpec", data)


def dag(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Task name -> the tasks it depends on."""
    tasks = spec["root"]["dag"]["tasks"]
    return {name: sorted(task.get("dependentTasks", [])) for name, task in tasks.items()}


def topological_order(edges: dict[str, list[str]]) -> list[str]:
    """Tasks in an order that runs every task after all it depends on (ties by name)."""
    done: list[str] = []
    pending = dict(edges)
    while pending:
        ready = sorted(t for t, deps in pending.items() if all(d in done for d in deps))
        if not ready:
            raise ValueError(f"cycle among {sorted(pending)}")
        done.append(ready[0])
        del pending[ready[0]]
    return done


def container_of(spec: dict[str, Any], task: str) -> dict[str, Any]:
    """The executor container (image, command, args, env) of a task."""
    component = spec["root"]["dag"]["tasks"][task]["componentRef"]["name"]
    executor = spec["components"][component]["executorLabel"]
    return spec["deploymentSpec"]["executors"][executor]["container"]


def private_app_dir(pod: str) -> list[str]:
    """A command prefix that gives the process its own ``/app`` (a bind mount in a new mount namespace).

    ZenML's step entrypoint changes to ``/app`` and downloads the code to ``/app/code``, as in its
    images. A fresh pod has its own; here each task gets ``<pod>/app`` mounted there. Needs root and
    ``unshare``; without them the tasks share the host's ``/app`` (one test run at a time).
    """
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return []
    os.makedirs("/app", exist_ok=True)
    os.makedirs(os.path.join(pod, "app"), exist_ok=True)
    script = 'mount --bind "$0" /app && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, os.path.join(pod, "app")]


def _fill(value: str, job_name: str) -> str:
    return value.replace("{{$.pipeline_job_name}}", job_name)


class KfpExecutorTestDouble:
    """Runs every task of a compiled spec as a local process, in DAG order; stops at the first failure."""

    def __init__(self, spec: dict[str, Any], job_name: str, base_env: dict[str, str], timeout: int = 600) -> None:
        self.spec, self.job_name, self.base_env, self.timeout = spec, job_name, base_env, timeout

    def run(self) -> list[TaskResult]:
        results = []
        for task in topological_order(dag(self.spec)):
            container = container_of(self.spec, task)
            command = [sys.executable if part == "python" else part for part in container["command"]]
            args = [_fill(a, self.job_name) for a in container.get("args", [])]
            with tempfile.TemporaryDirectory(prefix=f"pod-{task}-") as pod:
                env = {**self.base_env, **{e["name"]: _fill(str(e["value"]), self.job_name) for e in container["env"]}}
                env["ZENML_CONFIG_PATH"] = os.path.join(pod, ".zenconfig")
                env["HOME"] = pod
                proc = subprocess.run(
                    private_app_dir(pod) + command + args,
                    cwd=pod,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=self.timeout,
                )
            results.append(TaskResult(task, proc.returncode, proc.stdout + proc.stderr))
            if proc.returncode != 0:
                break
        return results
