"""Serving cost: the deployed endpoint's latency and throughput against in-process ``predict``.

Two endpoints of the same champion, measured with the same client: the local stack's (MLflow's scoring
server, started by ZenML's MLflow model deployer) and MLServer's (the runtime Seldon Core runs on the
Kubernetes stacks: the model's serving image, built from its own requirements, run by the project's
container deployer, ``stacks/flavors/mlserver.py``, through podman's Docker-compatible API).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from benchmarks.common import ROOT, check, spread
from benchmarks.training import MODEL, pipeline
from benchmarks.workspace import Workspace
from tests.remote.services import with_source_root

#: The stack of the MLServer endpoint: the local stack's components (its MLflow registry holds the
#: champion trained above), with the container deployer in place of ZenML's MLflow deployer.
MLSERVER_STACK = "pmlops-bench-mlserver"


def deploy(space: Workspace) -> str:
    """Deploy the benchmark model's champion through the deployment pipeline; return its URL. The model
    is trained first (a cached run when the training section already trained it), so ``--only serving``
    runs on its own."""
    pipeline(space, ROOT / "configs" / "training.yaml", fresh=False)
    result = check(space.run("--pipeline", "deployment", "--model-name", MODEL), "the deployment pipeline")
    found = re.search(r"endpoint: (http://\S+)", result.stdout)
    if not found:
        raise RuntimeError(f"no endpoint in the deployment summary:\n{result.stdout[-2000:]}")
    return found.group(1)


def measure(
    space: Workspace, url: str, repeats: int, requests: int, batches: int, clients: int, protocol: str
) -> dict[str, Any]:
    """Serial and concurrent single-row requests and 1,000-row batches against ``url``, ``repeats`` times
    (MLflow's server: the batches as the project's client sends them, Parquet, and as JSON)."""
    results = []
    for _ in range(repeats):
        args = ["--url", url, "--requests", str(requests), "--clients", str(clients), "--batches", str(batches)]
        out = check(
            space.python("-m", "benchmarks.serving_client", *args, "--protocol", protocol), "the serving client"
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))

    def series(*path: str) -> dict[str, Any]:
        values = []
        for result in results:
            value: Any = result
            for key in path:
                value = value[key]
            values.append(float(value))
        return spread(values)

    parts = ("serial", "concurrent", "batches", "batches_json")
    failures = sum(r[k]["failures"] for r in results for k in parts if k in r)
    json_batches = (
        {"batch_json_rows_per_s": series("batches_json", "rows_per_s")} if "batches_json" in results[0] else {}
    )
    return {
        "requests_per_repeat": requests,
        "failures": failures,
        "serial_requests_per_s": series("serial", "requests_per_s"),
        "serial_p50_ms": series("serial", "p50_ms"),
        "serial_p99_ms": series("serial", "p99_ms"),
        "concurrent_clients": clients,
        "concurrent_requests_per_s": series("concurrent", "requests_per_s"),
        "concurrent_p99_ms": series("concurrent", "p99_ms"),
        "batch_rows": 1000,
        "batch_rows_per_s": series("batches", "rows_per_s"),
        **json_batches,
        "in_process_single_row_per_s": series("in_process", "single_row_per_s"),
        "in_process_single_row_p99_ms": series("in_process", "single_row_p99_ms"),
        "in_process_batch_rows_per_s": series("in_process", "batch_rows_per_s"),
    }


def run(space: Workspace, repeats: int, requests: int, batches: int, clients: int = 8) -> dict[str, Any]:
    """The local stack's endpoint: MLflow's scoring server (MLflow's ``dataframe_split`` protocol)."""
    url = deploy(space)
    return {
        "endpoint": "MLflow scoring server (local MLflow model deployer)",
        **measure(space, url, repeats, requests, batches, clients, "mlflow"),
    }


@contextmanager
def mlserver_space(space: Workspace) -> Iterator[Workspace]:
    """``space`` with :data:`MLSERVER_STACK` active and podman's Docker-compatible API as ``DOCKER_HOST``
    (a service of this process, stopped on exit with the endpoints it served)."""
    from images import podman

    env = podman.podman_env(base=space.env)
    podman.check_podman(env)
    with podman.podman_service(env) as docker_host:
        code = (
            "from zenml.client import Client; "
            "from portable_mlops.cli.stack_setup import ensure_stack_data, read_stack, stack_file; "
            "data = read_stack(stack_file('local')); "
            f"data['stack_name'] = {MLSERVER_STACK!r}; "
            "data['components']['model_deployer'] = [{'configuration': {}, 'flavor': 'pmlops_mlserver', "
            "'name': 'pmlops-bench-mlserver', 'type': 'model_deployer'}]; "
            "print(Client().get_stack(ensure_stack_data(data, activate=False)).id)"
        )
        found = check(space.python("-c", with_source_root(code)), f"creating the stack {MLSERVER_STACK}")
        stack_id = found.stdout.strip().splitlines()[-1]
        inner = replace(space, env={**env, "ZENML_ACTIVE_STACK_ID": stack_id, "DOCKER_HOST": docker_host})
        try:
            yield inner
        finally:
            check(inner.python("-m", "portable_mlops.cli.endpoints"), "stopping the MLServer endpoint")


def run_mlserver(space: Workspace, repeats: int, requests: int, batches: int, clients: int = 8) -> dict[str, Any]:
    """The Kubernetes stacks' runtime on this machine: MLServer with its MLflow runtime in the champion's
    serving image (built from the model's requirements, as ``make serving-image`` builds it for Seldon),
    deployed by the deployment pipeline with the container deployer, asked over the V2 protocol."""
    pipeline(space, ROOT / "configs" / "training.yaml", fresh=False)
    build = ["-m", "images.build", "serving", "--model", f"models:/{MODEL}@champion", "--registry", "localhost"]
    check(space.python(*build), "the champion's serving image")
    with mlserver_space(space) as inner:
        url = deploy(inner)
        return {
            "endpoint": "MLServer 1.7.1, MLflow runtime, in the model's serving image (container deployer)",
            **measure(inner, url, repeats, requests, batches, clients, "v2"),
        }
