"""Where to look at runs: the local ZenML dashboard and the MLflow UI, one command each.

    python -m portable_mlops.cli.dashboard start [--port P]   # ZenML server + dashboard on 127.0.0.1 (DASHBOARD_PORT)
    python -m portable_mlops.cli.dashboard stop               # stop it; the client goes back to the local database
    python -m portable_mlops.cli.dashboard mlflow [--port P]  # MLflow UI on the local tracking store (MLFLOW_UI_PORT)

``start`` runs ``zenml login --local`` on a free or chosen loopback port, so pipelines run from this
ZenML config while it is up are recorded through the server and appear on its dashboard. The local
server uses the same database as the client, so earlier runs are there too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import click

from portable_mlops.errors import UserFacingError

HOST = "127.0.0.1"
DASHBOARD_DEFAULT_PORT = 8237  # ZenML's own default
MLFLOW_DEFAULT_PORT = 5000  # MLflow's own default
BIN = Path(sys.executable).parent


class DashboardError(UserFacingError, RuntimeError):
    """The dashboard or the MLflow UI could not be started or stopped."""


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether nothing listens on ``host:port`` right now."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def choose_port(requested: int | None, default: int, variable: str, command: str) -> int:
    """``requested`` if it is free (an error says how to pick another if not); else ``default`` if
    free; else any free port."""
    if requested is not None:
        if not 1 <= requested <= 65535:
            raise DashboardError(
                f"port {requested} is not a TCP port; choose one in 1-65535: {command} {variable}=8240"
            )
        if not port_is_free(requested):
            raise DashboardError(
                f"port {requested} on {HOST} is in use by another process; choose another "
                f"({command} {variable}=<port>) or leave {variable} unset for a free one"
            )
        return requested
    if port_is_free(default):
        return default
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _env_port(variable: str) -> int | None:
    value = os.environ.get(variable, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise DashboardError(
            f"{variable}={value!r} is not a port number; set a number such as 8240, or unset it"
        ) from None


def local_server() -> Any | None:
    """The local ZenML server deployment of this ZenML config if it is running, else None."""
    from zenml.utils.server_utils import get_local_server

    server = get_local_server()
    return server if server is not None and server.is_running else None


def server_url() -> str | None:
    """The URL of the ZenML server the client is connected to, or None for a local database."""
    from zenml.client import Client
    from zenml.enums import StoreType

    store = Client().zen_store
    return str(store.url) if store.type == StoreType.REST else None


def run_url(run: Any) -> str | None:
    """The dashboard page of a pipeline run, when the client is connected to a server."""
    base = server_url()
    return f"{base}/projects/{run.project.name}/runs/{run.id}" if base else None


def skip_onboarding(url: str, timeout: float = 60) -> None:
    """Mark the default user's onboarding as done, so the first visit shows runs, not a form."""
    import requests

    body = {
        "full_name": "portable-mlops",
        "email_opted_in": False,
        "user_metadata": {"finished_onboarding_survey": True},
    }
    deadline = time.time() + timeout
    while True:
        try:
            response = requests.put(f"{url}/api/v1/current-user", json=body, timeout=10)
            response.raise_for_status()
            return
        except requests.RequestException as exc:
            if time.time() > deadline:
                raise DashboardError(
                    f"the ZenML server at {url} did not accept the onboarding update ({exc}); "
                    "see its logs: zenml logs --local"
                ) from exc
            time.sleep(1)


def _zenml(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTO_OPEN_DASHBOARD": "false", "ZENML_AUTO_OPEN_DASHBOARD": "false"}
    return subprocess.run(
        [str(BIN / "zenml"), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def _last_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in (proc.stderr + proc.stdout).splitlines() if line.strip()]
    return lines[-1] if lines else f"exit code {proc.returncode}"


def start_dashboard(port: int | None = None) -> str:
    """Start the local ZenML server with its dashboard on loopback (or reuse a running one), connect
    the client to it, skip the onboarding form; return the dashboard URL."""
    running = local_server()
    if running is not None and (port is None or running.config.port == port):
        port = int(running.config.port)
    else:
        if running is not None:
            stop_dashboard()
        port = choose_port(port, DASHBOARD_DEFAULT_PORT, "DASHBOARD_PORT", "make dashboard")
    proc = _zenml("login", "--local", "--port", str(port), "--ip-address", HOST)
    if proc.returncode != 0:
        raise DashboardError(
            f"zenml login --local --port {port} failed: {_last_line(proc)}; see the server logs: zenml logs --local"
        )
    url = f"http://{HOST}:{port}"
    skip_onboarding(url)
    return url


def stop_dashboard() -> bool:
    """Stop the local ZenML server; the client returns to the local database. False if none ran."""
    if local_server() is None:
        return False
    proc = _zenml("logout", "--local")
    if proc.returncode != 0:
        raise DashboardError(f"zenml logout --local failed: {_last_line(proc)}")
    return True


def mlflow_store() -> tuple[str, str]:
    """The active stack's MLflow tracking URI and, for a local store, its artifact directory."""
    from zenml.client import Client

    from portable_mlops.errors import StackSetupError

    tracker = Client().active_stack.experiment_tracker
    if tracker is None or tracker.flavor != "mlflow":
        raise StackSetupError(
            "the active stack has no MLflow experiment tracker; activate the local stack: python run.py --stack local"
        )
    uri = str(tracker.get_tracking_uri())  # type: ignore[attr-defined]
    artifacts = str(tracker.local_path or "") if hasattr(tracker, "local_path") else ""
    return uri, artifacts


def mlflow_ui_command(port: int) -> list[str]:
    """The ``mlflow ui`` command line for the active stack's local tracking store."""
    uri, artifacts = mlflow_store()
    if not uri.startswith("sqlite:") and not uri.startswith("file:"):
        raise DashboardError(
            f"the active stack tracks to an MLflow server ({uri}); open that URL instead of a local MLflow UI"
        )
    command = [str(BIN / "mlflow"), "ui", "--backend-store-uri", uri, "--host", HOST, "--port", str(port)]
    command += ["--workers", "1"]
    if artifacts:
        command += ["--default-artifact-root", artifacts]
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The local ZenML dashboard and the MLflow UI (both on 127.0.0.1)."""


def _fail(exc: UserFacingError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@cli.command()
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1. Default: DASHBOARD_PORT, 8237 or a free one.")
def start(port: int | None) -> None:
    """Start the ZenML server with its dashboard and connect this client to it."""
    try:
        url = start_dashboard(port if port is not None else _env_port("DASHBOARD_PORT"))
    except UserFacingError as exc:
        _fail(exc)
        return
    click.echo(f"ZenML dashboard: {url}")
    click.echo("  pipelines run from here now appear there; stop it with: make dashboard-stop")


@cli.command()
def stop() -> None:
    """Stop the local ZenML server started by ``start``."""
    try:
        stopped = stop_dashboard()
    except UserFacingError as exc:
        _fail(exc)
        return
    click.echo("ZenML dashboard stopped" if stopped else "no local ZenML server is running")


@cli.command()
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1. Default: MLFLOW_UI_PORT, 5000 or a free one.")
def mlflow(port: int | None) -> None:
    """Serve the MLflow UI on the active stack's local tracking store until Ctrl+C."""
    try:
        port = choose_port(
            port if port is not None else _env_port("MLFLOW_UI_PORT"),
            MLFLOW_DEFAULT_PORT,
            "MLFLOW_UI_PORT",
            "make mlflow-ui",
        )
        command = mlflow_ui_command(port)
    except UserFacingError as exc:
        _fail(exc)
        return
    click.echo(f"MLflow UI: http://{HOST}:{port}  (tracking store {command[4]}; Ctrl+C stops it)", err=False)
    sys.stdout.flush()
    try:
        # a viewer for one person: one worker, no background job runner
        sys.exit(subprocess.call(command, env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    cli()
