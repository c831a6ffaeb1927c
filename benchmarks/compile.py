"""Seconds to compile each pipeline for Kubeflow, as ``python run.py --stack kubeflow`` does it.

The Kubeflow stack needs a ZenML server, an S3 store and MLflow: the same loopback servers the
remote-stack tests use (tests/remote/services.py). No KFP backend can run here, so run.py compiles,
writes the spec, fails to submit and exits 1 with its one-line error; the time to that exit is the
compile time a user waits for (imports, snapshot on the server, code upload, KFP compiler).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import spread

if TYPE_CHECKING:
    from tests.remote.services import Remote

PIPELINES = ("training", "deployment", "inference")

#: The deployment and inference pipelines run the champion: a model version in the production stage.
#: The benchmark registers an empty one on the server (nothing executes, so no artifacts are needed).
CHAMPION = """
from zenml.client import Client
from zenml.enums import ModelStages
client = Client()
client.create_model(name="breast_cancer_classifier")
version = client.create_model_version(model_name_or_id="breast_cancer_classifier", name="bench")
version.set_stage(ModelStages.PRODUCTION, force=True)
"""


def run(repeats: int) -> dict[str, Any]:
    """Start the loopback servers, register a champion, and time every pipeline's compile."""
    from tests.remote.services import remote_services

    with tempfile.TemporaryDirectory(prefix="pmlops-bench-kfp-") as root, remote_services(Path(root)) as remote:
        remote.python(CHAMPION)
        return compile_times(remote, PIPELINES, repeats)


def compile_times(remote: Remote, kinds: Sequence[str], repeats: int) -> dict[str, Any]:
    """Compile each pipeline ``repeats`` times on ``remote``; every compile must write a new spec."""
    out: dict[str, Any] = {}
    for kind in kinds:
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
