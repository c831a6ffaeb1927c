"""Seconds to compile each pipeline for Kubeflow, as ``python run.py --stack kubeflow`` does it.

The Kubeflow stack needs a ZenML server, an S3 store and MLflow: the same loopback servers the
remote-stack tests use (tests/remote/services.py). No KFP backend can run here, so run.py compiles,
writes the spec, fails to submit and exits 1 with its one-line error; the time to that exit is the
compile time a user waits for (imports, snapshot on the server, code upload, KFP compiler).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import spread

PIPELINES = ("training", "deployment", "inference")


def run(repeats: int) -> dict[str, Any]:
    """Compile each pipeline ``repeats`` times; every compile must write a new spec file."""
    from tests.remote.services import remote_services

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="pmlops-bench-kfp-") as root, remote_services(Path(root)) as remote:
        for kind in PIPELINES:
            seconds = []
            for _ in range(repeats):
                before = set(remote.root.glob("client/kubeflow/*/pipelines/*.yaml"))
                start = time.perf_counter()
                result = remote.run("--stack", "kubeflow", "--pipeline", kind)
                seconds.append(time.perf_counter() - start)
                written = set(remote.root.glob("client/kubeflow/*/pipelines/*.yaml")) - before
                if len(written) != 1 or "never started by the orchestrator" not in result.stderr:
                    raise RuntimeError(f"compiling {kind} did not write one spec:\n{result.stderr[-3000:]}")
            out[kind] = spread(seconds)
    return out
