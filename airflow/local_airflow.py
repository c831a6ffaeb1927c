"""A local Apache Airflow for the ``airflow`` stack: start, stop, health, and waiting for a DAG run.

Plain Python on the standard library only (no zenml, no airflow import), so that both the project's
environment (``run.py`` waiting for a run) and Airflow's own environment (``.venv-airflow``, locked in
``airflow/requirements.lock``) can use it.

What :func:`start` runs is what ``airflow standalone`` runs (SQLite, LocalExecutor, SimpleAuthManager;
API server, scheduler, DAG processor, triggerer) from Airflow's virtual environment, in one process
group of its own, without the log servers (they bind every interface), with settings for one machine:

* the API server on ``127.0.0.1`` and a free port, and ``AIRFLOW__API__BASE_URL`` plus
  ``AIRFLOW__CORE__EXECUTION_API_SERVER_URL`` pointing at that port (without them the task runner
  calls the default port and tasks fail with "Connection refused");
* ``parallelism`` matched to the cores (the default 32 starts 32 LocalExecutor workers of ~130 MB);
* ``[dag_processor] refresh_interval`` of a few seconds (default 300 s: a new DAG zip would wait up to
  five minutes to be seen);
* no example DAGs, new DAGs unpaused;
* ``DOCKER_HOST`` (when given) for the DockerOperator, e.g. podman's Docker-compatible socket.

Containers removed after success is a DockerOperator argument (``auto_remove="success"``), set with
the orchestrator's ``operator_args`` in ``stacks/airflow.yaml``, not an Airflow setting.

Command line (``start`` prints JSON with url, dags folder, pid, user and password file)::

    .venv-airflow/bin/python airflow/local_airflow.py start --home /tmp/airflow-home [--port N]
        [--podman | --docker-host unix:///run/podman.sock] [--parallelism N]
    .venv-airflow/bin/python airflow/local_airflow.py status --home /tmp/airflow-home
    .venv-airflow/bin/python airflow/local_airflow.py wait --home /tmp/airflow-home --dag-id ID
    .venv-airflow/bin/python airflow/local_airflow.py stop --home /tmp/airflow-home
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: Airflow's own virtual environment (``uv venv`` + ``uv pip sync airflow/requirements.lock``).
DEFAULT_VENV = Path(os.environ.get("PMLOPS_AIRFLOW_VENV", HERE.parent / ".venv-airflow"))
#: Written into AIRFLOW_HOME by :func:`start`; what :func:`status` and :func:`stop` read.
STATE_FILE = "local_airflow.json"
PASSWORD_FILE = "simple_auth_manager_passwords.json.generated"
#: DAG run states after which nothing more happens.
TERMINAL_STATES = frozenset({"success", "failed"})


class AirflowError(RuntimeError):
    """Airflow did not start, did not answer, or a DAG did not appear or finish in time (one line)."""


@dataclass(frozen=True)
class LocalAirflow:
    """A running local Airflow: where it answers, where it reads DAGs, who may call it."""

    home: str
    url: str
    port: int
    dags_folder: str
    pid: int
    username: str
    password: str
    log: str
    docker_host: str | None = None
    started_seconds: float = 0.0
    #: Every component's pid; the first (the API server) leads the process group.
    pids: list[int] = field(default_factory=list)

    def client(self) -> AirflowClient:
        """A REST client of this Airflow, logged in as its admin."""
        return AirflowClient(self.url, self.username, self.password)


@dataclass(frozen=True)
class TaskResult:
    """One task instance of a DAG run as the REST API reports it."""

    task_id: str
    state: str | None
    start_date: str | None
    end_date: str | None
    duration: float | None
    try_number: int = 0


@dataclass(frozen=True)
class DagRunResult:
    """How a DAG run ended: its state, the ids of the tasks that failed, of those that never ran
    because an upstream task failed, each failed task's error (``ExcType: message`` from its log;
    for a ZenML step that raised, the DockerOperator only says the container exited non-zero: the
    step's own exception is on the ZenML run), and every task's timing."""

    dag_id: str
    run_id: str
    state: str
    failed_tasks: list[str]
    upstream_failed: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    tasks: list[TaskResult] = field(default_factory=list)
    start_date: str | None = None
    end_date: str | None = None


# --------------------------------------------------------------------------------------------- settings
def free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def airflow_env(
    home: Path,
    port: int,
    *,
    venv: Path = DEFAULT_VENV,
    parallelism: int | None = None,
    docker_host: str | None = None,
    refresh_interval: int = 5,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment ``airflow standalone`` runs with (see the module docstring for each setting).

    ``base`` (default: ``os.environ``) is kept, except other ``AIRFLOW__*`` settings, ``AIRFLOW_HOME``
    and ``VIRTUAL_ENV``, so a developer's own Airflow configuration cannot leak in. The venv's ``bin``
    goes first on PATH: standalone starts its components as ``airflow <component>`` from PATH.
    """
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if not k.startswith("AIRFLOW") and k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }
    url = f"http://127.0.0.1:{port}"
    cores = parallelism or os.cpu_count() or 2
    env.update(
        {
            "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(cores),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(cores),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__BASE_URL": url,
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": str(refresh_interval),
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
            "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORD_FILE),
            "NO_COLOR": "1",
        }
    )
    if docker_host:
        env["DOCKER_HOST"] = docker_host
    return env


# --------------------------------------------------------------------------------------------- REST
class AirflowClient:
    """A small client of Airflow 3's REST API (``/api/v2``) with a SimpleAuthManager JWT."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 30.0, retries: int = 3) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout = timeout
        self.retries = retries
        self._token: str | None = None

    def _request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        """One call; a timeout, a refused connection or a 5xx is retried ``retries`` times (the API
        server has one worker and answers slowly while task runners start on a busy machine)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    raw = response.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                if exc.code < 500 or attempt == self.retries:
                    raise
            except OSError:  # URLError, timeouts, refused connections
                if attempt == self.retries:
                    raise
            time.sleep(min(2.0**attempt, 10.0))
        raise AssertionError("unreachable")

    def token(self) -> str:
        """A JWT from ``POST /auth/token`` (cached; Airflow's default lifetime is 24 h)."""
        if self._token is None:
            answer = self._request(
                "POST", "/auth/token", {"username": self.username, "password": self.password}, auth=False
            )
            self._token = str(answer["access_token"])
        return self._token

    def get(self, path: str, **params: Any) -> Any:
        """``GET /api/v2<path>`` with query parameters; the decoded JSON answer."""
        query = f"?{urllib.parse.urlencode(params, doseq=True)}" if params else ""
        return self._request("GET", f"/api/v2{path}{query}")

    def health(self) -> dict[str, Any]:
        """``GET /api/v2/monitor/health`` (no login needed)."""
        return dict(self._request("GET", "/api/v2/monitor/health", auth=False))

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        """The DAG as Airflow knows it, or None when it has not been parsed (yet)."""
        try:
            return dict(self.get(f"/dags/{urllib.parse.quote(dag_id)}"))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise

    def import_errors(self) -> list[dict[str, Any]]:
        """DAG files Airflow failed to parse (file name and stack trace)."""
        return list(self.get("/importErrors").get("import_errors", []))

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """The DAG's runs, oldest first."""
        return list(self.get(f"/dags/{urllib.parse.quote(dag_id)}/dagRuns", order_by="id").get("dag_runs", []))

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """The task instances of one DAG run."""
        path = f"/dags/{urllib.parse.quote(dag_id)}/dagRuns/{urllib.parse.quote(run_id)}/taskInstances"
        return list(self.get(path).get("task_instances", []))

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> list[dict[str, Any]]:
        """The structured log events of one task try (Airflow 3 answers a list of JSON events)."""
        path = (
            f"/dags/{urllib.parse.quote(dag_id)}/dagRuns/{urllib.parse.quote(run_id)}"
            f"/taskInstances/{urllib.parse.quote(task_id)}/logs/{try_number}"
        )
        content = self.get(path, full_content="true").get("content", [])
        return [event for event in content if isinstance(event, dict)]

    def task_error(self, dag_id: str, run_id: str, task_id: str, try_number: int) -> str | None:
        """``ExcType: message`` of the exception a task try failed with, from its log; None if absent."""
        for event in reversed(self.task_log(dag_id, run_id, task_id, try_number)):
            for detail in event.get("error_detail") or []:
                return f"{detail.get('exc_type')}: {detail.get('exc_value')}"
        return None


def healthy(health: Mapping[str, Any]) -> bool:
    """True when the metadatabase, scheduler, triggerer and DAG processor all report healthy."""
    parts = ("metadatabase", "scheduler", "triggerer", "dag_processor")
    return all((health.get(part) or {}).get("status") == "healthy" for part in parts)


def wait_until_healthy(url: str, timeout: float = 180.0, pids: Sequence[int] = ()) -> float:
    """Poll the health endpoint until every component is healthy; return the seconds it took."""
    client = AirflowClient(url, "", "", timeout=5.0, retries=0)
    start = time.monotonic()
    last: Any = "no answer"
    while time.monotonic() - start < timeout:
        for pid in pids:
            _reap(pid)
            if not _alive(pid):
                raise AirflowError(f"an Airflow component (pid {pid}) exited before Airflow was healthy")
        try:
            last = client.health()
            if healthy(last):
                return time.monotonic() - start
        except (OSError, ValueError) as exc:
            last = exc
        time.sleep(0.5)
    raise AirflowError(f"Airflow at {url} was not healthy within {timeout:.0f} s (last: {last})")


def docker_ping(socket_path: Path, timeout: float = 1.0) -> bool:
    """True when a Docker-compatible API at ``socket_path`` answers ``GET /_ping`` with 200."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(socket_path))
            conn.sendall(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
            return conn.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def wait_for_socket(socket_path: Path, timeout: float = 30.0) -> None:
    """Wait until the Docker-compatible API at ``socket_path`` answers."""
    deadline = time.monotonic() + timeout
    while not docker_ping(socket_path):
        if time.monotonic() > deadline:
            raise AirflowError(f"no Docker-compatible API answered on {socket_path} within {timeout:.0f} s")
        time.sleep(0.2)


# --------------------------------------------------------------------------------------------- start / stop
def read_password(home: Path, username: str = "admin", timeout: float = 30.0) -> str:
    """The generated password of ``username`` (SimpleAuthManager writes ``{user: password}`` JSON)."""
    path = home / PASSWORD_FILE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file():
            try:
                return str(json.loads(path.read_text())[username])
            except (ValueError, KeyError):
                pass
        time.sleep(0.2)
    raise AirflowError(f"no password for '{username}' in {path}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_state(home: Path) -> LocalAirflow | None:
    """The Airflow :func:`start` recorded in ``home``, or None."""
    path = home / STATE_FILE
    if not path.is_file():
        return None
    return LocalAirflow(**json.loads(path.read_text()))


#: The components ``airflow standalone`` runs, started one by one so that the scheduler and the
#: triggerer can be told ``--skip-serve-logs``: their log servers bind every interface (host "") on
#: fixed ports 8793/8794 in Airflow 3.3.2, and with the LocalExecutor the API server reads task logs
#: from the files anyway. The API server comes first: it leads the process group.
COMPONENTS: tuple[tuple[str, ...], ...] = (
    ("api-server",),
    ("scheduler", "--skip-serve-logs"),
    ("dag-processor",),
    ("triggerer", "--skip-serve-logs"),
)


def start(
    home: Path,
    *,
    port: int | None = None,
    venv: Path = DEFAULT_VENV,
    docker_host: str | None = None,
    podman: bool = False,
    parallelism: int | None = None,
    timeout: float = 180.0,
) -> LocalAirflow:
    """Start a standalone Airflow in ``home`` on 127.0.0.1 and wait until it is healthy.

    What ``airflow standalone`` does, without its log servers (:data:`COMPONENTS`): ``airflow db
    migrate`` (SQLite in ``home``), then the API server, scheduler, DAG processor and triggerer, all
    in one new process group led by the API server, their output in ``home/standalone.log`` (which
    holds the generated admin password: it is made readable by its owner only). The state (pids,
    url, password) goes to ``home/local_airflow.json``. An Airflow already started in ``home`` and
    still alive is returned as it is. Raises :class:`AirflowError` (after stopping what it started)
    when it is not healthy within ``timeout`` seconds.

    With ``podman`` a ``podman system service --time=0 unix://<home>/podman.sock`` (the
    Docker-compatible API) joins the group and becomes the DockerOperator's ``DOCKER_HOST``; it gets
    this process's environment, so set ``CONTAINERS_CONF`` first where podman needs it
    (``images/podman.py``'s ``podman_env()``). It stops with Airflow.
    """
    home = home.resolve()
    current = read_state(home)
    if current is not None and _alive(current.pid):
        return current
    airflow = venv / "bin" / "airflow"
    if not airflow.is_file():
        raise AirflowError(
            f"{airflow} not found: create Airflow's environment first "
            f"(uv venv {venv} && uv pip sync --python {venv}/bin/python airflow/requirements.lock)"
        )
    (home / "dags").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    socket_path = home / "podman.sock"
    if podman:
        docker_host = f"unix://{socket_path}"
        socket_path.unlink(missing_ok=True)
    env = airflow_env(home, port, venv=venv, parallelism=parallelism, docker_host=docker_host)
    log = home / "standalone.log"
    log.touch(mode=0o600)
    log.chmod(0o600)
    began = time.monotonic()
    with log.open("ab") as out:
        migrate = subprocess.run(
            [str(airflow), "db", "migrate"], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        if migrate.returncode != 0:
            raise AirflowError(f"airflow db migrate failed ({migrate.returncode}): see {log}")
        pids: list[int] = []
        try:
            for component in COMPONENTS:
                process = subprocess.Popen(
                    [str(airflow), *component],
                    cwd=home,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    # the first leads a new process group, the others join it (a group cannot span
                    # sessions, so no new session: the group is in the background of the caller's)
                    process_group=pids[0] if pids else 0,
                )
                pids.append(process.pid)
            if podman:
                service = subprocess.Popen(
                    ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
                    env=dict(os.environ),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    process_group=pids[0],
                )
                pids.append(service.pid)
        except BaseException:
            if pids:
                _kill_group(pids[0])
            raise
    url = f"http://127.0.0.1:{port}"
    state = LocalAirflow(
        home=str(home),
        url=url,
        port=port,
        dags_folder=str(home / "dags"),
        pid=pids[0],
        username="admin",
        password="",
        log=str(log),
        docker_host=docker_host,
        pids=pids,
    )
    _write_state(home, state)
    try:
        wait_until_healthy(url, timeout, pids)
        if podman:
            wait_for_socket(socket_path, timeout)
        password = read_password(home)
    except BaseException:
        stop(home)
        raise
    state = LocalAirflow(**{**asdict(state), "password": password, "started_seconds": time.monotonic() - began})
    _write_state(home, state)
    return state


def _write_state(home: Path, state: LocalAirflow) -> None:
    path = home / STATE_FILE
    path.touch(mode=0o600)
    path.chmod(0o600)
    path.write_text(json.dumps(asdict(state), indent=2))


def stop(home: Path, timeout: float = 30.0) -> bool:
    """Stop the Airflow :func:`start` started in ``home``: its whole process group, nothing else.

    SIGTERM to the group (every component shuts down on it), then SIGKILL after ``timeout``
    seconds. Returns False when nothing was recorded in ``home``.
    """
    home = home.resolve()
    state = read_state(home)
    if state is None:
        return False
    pgid = state.pid  # the API server leads the group of every component
    stopped = False
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            stopped = True
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _group_alive(pgid):
                stopped = True
                break
            time.sleep(0.2)
        if stopped:
            break
    for pid in state.pids or [state.pid]:
        _reap(pid)
    (home / STATE_FILE).unlink(missing_ok=True)
    return True


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _group_alive(pgid: int) -> bool:
    """True while any process of group ``pgid`` exists (zombies included until reaped)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie leader (our own child, not yet reaped) keeps the group "alive"
    _reap(pgid)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def status(home: Path) -> dict[str, Any]:
    """What runs in ``home``: the recorded state (without the password), whether its process lives,
    and the health endpoint's answer."""
    state = read_state(home.resolve())
    if state is None:
        return {"running": False, "home": str(home)}
    out: dict[str, Any] = {k: v for k, v in asdict(state).items() if k != "password"}
    out["running"] = _alive(state.pid)
    try:
        out["health"] = state.client().health()
        out["healthy"] = healthy(out["health"])
    except (OSError, ValueError) as exc:
        out["health"], out["healthy"] = str(exc), False
    return out


# --------------------------------------------------------------------------------------------- DAG runs
def wait_for_dag(client: AirflowClient, dag_id: str, timeout: float = 120.0, poll: float = 1.0) -> dict[str, Any]:
    """Wait until Airflow has parsed ``dag_id``; an import error of its file fails at once."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dag = client.dag(dag_id)
        if dag is not None:
            return dag
        for error in client.import_errors():
            if dag_id in str(error.get("filename", "")):
                trace = str(error.get("stack_trace", "")).strip().splitlines()
                raise AirflowError(f"Airflow cannot import DAG {dag_id}: {trace[-1] if trace else error}")
        time.sleep(poll)
    raise AirflowError(f"DAG {dag_id} did not appear in Airflow within {timeout:.0f} s (is it in the dags folder?)")


def wait_for_dag_run(
    client: AirflowClient,
    dag_id: str,
    run_id: str | None = None,
    *,
    timeout: float = 3600.0,
    poll: float = 2.0,
    appear_timeout: float = 120.0,
) -> DagRunResult:
    """Wait until a run of ``dag_id`` finishes; return its state and failed task ids.

    Without ``run_id`` the DAG's first run is taken (ZenML's DAGs are ``@once``: the scheduler
    creates exactly one run as soon as the DAG is parsed). Raises :class:`AirflowError` when the
    DAG or its run does not appear within ``appear_timeout`` or the run does not end in ``timeout``.
    """
    wait_for_dag(client, dag_id, appear_timeout, poll)
    deadline = time.monotonic() + timeout
    appear = time.monotonic() + appear_timeout
    run: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        runs = client.dag_runs(dag_id)
        matching = [r for r in runs if run_id is None or r["dag_run_id"] == run_id]
        if matching:
            run = matching[0]
            if run["state"] in TERMINAL_STATES:
                break
        elif time.monotonic() > appear:
            raise AirflowError(f"no run of DAG {dag_id} within {appear_timeout:.0f} s of the DAG being parsed")
        time.sleep(poll)
    else:
        state = run["state"] if run else "absent"
        raise AirflowError(f"the run of DAG {dag_id} did not finish within {timeout:.0f} s (state {state})")
    assert run is not None
    tasks = [
        TaskResult(
            t["task_id"],
            t.get("state"),
            t.get("start_date"),
            t.get("end_date"),
            t.get("duration"),
            int(t.get("try_number") or 0),
        )
        for t in client.task_instances(dag_id, run["dag_run_id"])
    ]
    failed = sorted(t.task_id for t in tasks if t.state == "failed")
    errors: dict[str, str] = {}
    for task in tasks:
        if task.state == "failed" and task.try_number:
            try:
                error = client.task_error(dag_id, run["dag_run_id"], task.task_id, task.try_number)
            except (OSError, ValueError):
                error = None
            if error:
                errors[task.task_id] = error
    return DagRunResult(
        dag_id=dag_id,
        run_id=run["dag_run_id"],
        state=run["state"],
        failed_tasks=failed,
        upstream_failed=sorted(t.task_id for t in tasks if t.state == "upstream_failed"),
        errors=errors,
        tasks=tasks,
        start_date=run.get("start_date"),
        end_date=run.get("end_date"),
    )


# --------------------------------------------------------------------------------------------- CLI
def main(argv: Sequence[str] | None = None) -> int:
    """``start|stop|status|wait --home DIR``; prints JSON; exit 1 with ``error: ...`` on failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("start", "stop", "status", "wait"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--home", type=Path, required=True, help="AIRFLOW_HOME (created when missing)")
        if name == "start":
            cmd.add_argument("--port", type=int, default=None, help="API port (default: a free one)")
            cmd.add_argument("--docker-host", default=None, help="DOCKER_HOST for the DockerOperator")
            cmd.add_argument(
                "--podman", action="store_true", help="also run podman's API at HOME/podman.sock as DOCKER_HOST"
            )
            cmd.add_argument("--parallelism", type=int, default=None, help="default: the number of cores")
            cmd.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="Airflow's virtual environment")
            cmd.add_argument("--timeout", type=float, default=180.0)
        if name == "wait":
            cmd.add_argument("--dag-id", required=True)
            cmd.add_argument("--run-id", default=None)
            cmd.add_argument("--timeout", type=float, default=3600.0)
    args = parser.parse_args(argv)
    try:
        if args.cmd == "start":
            state = start(
                args.home,
                port=args.port,
                venv=args.venv,
                docker_host=args.docker_host,
                podman=args.podman,
                parallelism=args.parallelism,
                timeout=args.timeout,
            )
            shown = {k: v for k, v in asdict(state).items() if k != "password"}
            shown["password_file"] = str(Path(state.home) / PASSWORD_FILE)
            print(json.dumps(shown))
        elif args.cmd == "stop":
            print(json.dumps({"stopped": stop(args.home)}))
        elif args.cmd == "status":
            print(json.dumps(status(args.home)))
        else:
            found = read_state(args.home.resolve())
            if found is None:
                raise AirflowError(f"no Airflow started in {args.home}")
            result = wait_for_dag_run(found.client(), args.dag_id, args.run_id, timeout=args.timeout)
            print(json.dumps(asdict(result)))
            return 0 if result.state == "success" else 1
    except (AirflowError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
