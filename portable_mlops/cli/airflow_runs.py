"""Runs on the ``airflow`` stack: ZenML writes a DAG and returns at once; the run is waited for here.

ZenML's Airflow orchestrator (``submit_pipeline``) writes ``<dag_id>.zip`` into the dags folder and
returns without a run id. Airflow parses the zip and, the schedule being ``@once`` with a start date in
the past, runs it once. So the command line names the DAG itself (``settings.orchestrator.dag_id``),
writes it into the running local Airflow's dags folder (``settings.orchestrator.dag_output_dir``), and
then waits for that DAG's run through Airflow's REST API (``airflow/local_airflow.py``).
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from portable_mlops.errors import UserFacingError

ROOT = Path(__file__).resolve().parents[2]
#: Where ``make airflow-up`` starts Airflow (AIRFLOW_HOME); its dags folder is ``<home>/dags``.
AIRFLOW_HOME = Path(os.environ.get("PMLOPS_AIRFLOW_HOME", ROOT / ".airflow"))
#: How long a pipeline's DAG run may take before the command line gives up waiting.
RUN_TIMEOUT = float(os.environ.get("PMLOPS_AIRFLOW_RUN_TIMEOUT", "3600"))


def local_airflow() -> ModuleType:
    """``airflow/local_airflow.py``, loaded by path (the folder ``airflow`` must not pass for a package
    called ``airflow`` in an environment that has the real one)."""
    name = "pmlops_local_airflow"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "airflow" / "local_airflow.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before running it: its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def running_airflow(home: Path = AIRFLOW_HOME) -> Any:
    """The local Airflow started in ``home`` (its url, dags folder, credentials), or a one-line error."""
    la = local_airflow()
    state = la.read_state(home)
    if state is None or not la.status(home).get("healthy"):
        raise UserFacingError(f"the airflow stack needs a running local Airflow in {home}; start it: make airflow-up")
    return state


def engine_access(docker_host: str | None, operator_args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The DockerOperator arguments and step environment that let a step reach the container engine
    Airflow runs it with (the model deployer starts serving containers there).

    ``mounts`` replaces what ZenML's DAG sets for ``local: true``, so ZenML's local stores mount is
    listed again beside the engine's socket, both at their host paths; ``DOCKER_HOST`` names the socket.
    """
    from zenml.config.global_config import GlobalConfiguration

    stores = GlobalConfiguration().local_stores_path
    socket = (docker_host or "unix:///var/run/docker.sock").removeprefix("unix://")
    mounts = [{"Target": stores, "Source": stores, "Type": "bind", "ReadOnly": False}]
    if docker_host is None or docker_host.startswith("unix://"):
        mounts.append({"Target": socket, "Source": socket, "Type": "bind", "ReadOnly": False})
    return {**operator_args, "mounts": mounts}, {"DOCKER_HOST": docker_host or f"unix://{socket}"}


def prepare(config: dict[str, Any], kind: str, home: Path = AIRFLOW_HOME) -> tuple[dict[str, Any], str]:
    """``config`` with this run's DAG id, the running Airflow's dags folder and the container engine's
    socket for the steps; and the DAG id."""
    from zenml.client import Client

    state = running_airflow(home)
    dag_id = f"{kind}_{uuid.uuid4().hex[:16]}"
    settings = dict(config.get("settings") or {})
    orchestrator: Any = Client().active_stack.orchestrator
    operator_args, environment = engine_access(state.docker_host, dict(orchestrator.config.operator_args))
    settings["orchestrator"] = {
        **(settings.get("orchestrator") or {}),
        "dag_id": dag_id,
        "dag_output_dir": state.dags_folder,
        "operator_args": operator_args,
    }
    return {**config, "settings": settings, "environment": {**(config.get("environment") or {}), **environment}}, dag_id


def wait(dag_id: str, home: Path = AIRFLOW_HOME, timeout: float = RUN_TIMEOUT) -> Any:
    """Wait for the run of ``dag_id`` in the local Airflow; its ``DagRunResult``."""
    la = local_airflow()
    try:
        return la.wait_for_dag_run(running_airflow(home).client(), dag_id, timeout=timeout)
    except la.AirflowError as exc:
        raise UserFacingError(f"Airflow: {exc}") from exc


def failure_line(kind: str, result: Any) -> str:
    """One line for a DAG run that failed before ZenML could record why (e.g. the image is missing)."""
    task = result.failed_tasks[0] if result.failed_tasks else "?"
    error = result.errors.get(task, "no error in its log")
    return f"the {kind} run failed in Airflow (DAG {result.dag_id}, task {task}): {error}"
