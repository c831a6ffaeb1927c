"""Serving cost: the deployed endpoint's latency and throughput against in-process ``predict``."""

from __future__ import annotations

import json
import re
from typing import Any

from benchmarks.common import ROOT, check, spread
from benchmarks.training import MODEL, pipeline
from benchmarks.workspace import Workspace


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


def run(space: Workspace, repeats: int, requests: int, batches: int, clients: int = 8) -> dict[str, Any]:
    """Serial and concurrent single-row requests and 1,000-row batches, ``repeats`` times."""
    url = deploy(space)
    results = []
    for _ in range(repeats):
        args = ["--url", url, "--requests", str(requests), "--clients", str(clients), "--batches", str(batches)]
        out = check(space.python("-m", "benchmarks.serving_client", *args), "the serving client")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))

    def series(*path: str) -> dict[str, Any]:
        values = []
        for result in results:
            value: Any = result
            for key in path:
                value = value[key]
            values.append(float(value))
        return spread(values)

    failures = sum(r[k]["failures"] for r in results for k in ("serial", "concurrent", "batches"))
    return {
        "endpoint": "MLflow scoring server (local MLflow model deployer)",
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
        "in_process_single_row_per_s": series("in_process", "single_row_per_s"),
        "in_process_single_row_p99_ms": series("in_process", "single_row_p99_ms"),
        "in_process_batch_rows_per_s": series("in_process", "batch_rows_per_s"),
    }
