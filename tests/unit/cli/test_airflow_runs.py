"""Runs on the airflow stack: what a step gets to reach the container engine, and the refusal without Airflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from portable_mlops.cli import airflow_runs
from portable_mlops.errors import UserFacingError


def test_steps_get_the_local_stores_and_the_engine_socket_at_their_host_paths() -> None:
    from zenml.config.global_config import GlobalConfiguration

    stores = GlobalConfiguration().local_stores_path
    args, env = airflow_runs.engine_access("unix:///srv/airflow/podman.sock", {"network_mode": "host"})
    assert args["network_mode"] == "host"  # the stack's operator_args are kept
    assert args["mounts"] == [
        {"Target": stores, "Source": stores, "Type": "bind", "ReadOnly": False},
        {"Target": "/srv/airflow/podman.sock", "Source": "/srv/airflow/podman.sock", "Type": "bind", "ReadOnly": False},
    ]
    assert env == {"DOCKER_HOST": "unix:///srv/airflow/podman.sock"}


def test_a_tcp_engine_needs_no_socket_mount_and_no_engine_means_the_default_socket() -> None:
    args, env = airflow_runs.engine_access("tcp://10.0.0.5:2375", {})
    assert [m["Target"] for m in args["mounts"]] == [args["mounts"][0]["Source"]]
    assert env == {"DOCKER_HOST": "tcp://10.0.0.5:2375"}
    args, env = airflow_runs.engine_access(None, {})
    assert args["mounts"][-1]["Source"] == "/var/run/docker.sock"
    assert env == {"DOCKER_HOST": "unix:///var/run/docker.sock"}


def test_without_a_running_local_airflow_the_run_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match=r"needs a running local Airflow in .*; start it: make airflow-up"):
        airflow_runs.prepare({"settings": {}}, "training", home=tmp_path)
