"""Reading compiled pipeline specs: the KFP IR YAML of the Kubeflow orchestrator and the JSON job of Vertex."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


def load_spec(path: Path) -> dict[str, Any]:
    """The compiled pipeline spec (KFP IR YAML, or Vertex JSON with the spec under ``pipelineSpec``)."""
    data = yaml.safe_load(path.read_text())
    return data.get("pipelineSpec", data)


def dag(spec: dict[str, Any]) -> dict[str, list[str]]:
    """Task name -> the tasks it depends on."""
    tasks = spec["root"]["dag"]["tasks"]
    return {name: sorted(task.get("dependentTasks", [])) for name, task in tasks.items()}


def container_of(spec: dict[str, Any], task: str) -> dict[str, Any]:
    """The executor container (image, command, args, env) of a task."""
    component = spec["root"]["dag"]["tasks"][task]["componentRef"]["name"]
    executor = spec["components"][component]["executorLabel"]
    return spec["deploymentSpec"]["executors"][executor]["container"]
