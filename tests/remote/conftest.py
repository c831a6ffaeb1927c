"""Servers on loopback for the remote-stack tests: a ZenML server, an S3 server (moto) and MLflow.

No Kubernetes API server, KFP backend or cloud can run on these machines; what stands in for them is
named a test double (see kfp_executor_double.py). These servers are the real programs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.remote.kfp_executor_double import KfpExecutorTestDouble, dag, load_spec
from tests.remote.services import Remote, remote_services


@pytest.fixture(scope="session")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    """The loopback servers and the Kubeflow stack of :func:`tests.remote.services.remote_services`."""
    with remote_services(tmp_path_factory.mktemp("remote")) as remote:
        yield remote


def local_dag(kind: str) -> dict[str, list[str]]:
    """The pipeline's DAG as ZenML builds it from the pipeline code, with KFP's task names."""
    import pipelines
    from portable_mlops.cli.config import CONFIGS_DIR, load_config, parameter_models

    models = parameter_models(kind)
    parameters = load_config(CONFIGS_DIR / f"{kind}.yaml").get("parameters") or {}
    pipeline = getattr(pipelines, f"{kind}_pipeline")
    pipeline.prepare(**{name: models[name](**value) for name, value in parameters.items()})
    dash = lambda name: name.replace("_", "-")  # noqa: E731
    return {dash(name): sorted(dash(u) for u in inv.upstream_steps) for name, inv in pipeline.invocations.items()}


def compile_for_kubeflow(remote: Remote, kind: str) -> tuple[Path, dict[str, Any]]:
    """Run a pipeline on the Kubeflow stack; nothing listens at the KFP host, so it compiles and stops."""
    before = set(remote.root.glob("client/kubeflow/*/pipelines/*.yaml"))
    result = remote.run("--stack", "kubeflow", "--pipeline", kind)
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: the {kind} run") and "never started by the orchestrator" in last, last
    assert "kubeflow_hostname" in last
    new = set(remote.root.glob("client/kubeflow/*/pipelines/*.yaml")) - before
    assert len(new) == 1, new
    path = new.pop()
    return path, load_spec(path)


@pytest.fixture(scope="session")
def training_spec(remote: Remote) -> tuple[Path, dict[str, Any]]:
    return compile_for_kubeflow(remote, "training")


@pytest.fixture(scope="session")
def executed(training_spec, remote: Remote) -> str:
    """Run the compiled training spec with the KFP backend test double; return the job name."""
    job = f"training-{uuid.uuid4().hex[:8]}"
    results = KfpExecutorTestDouble(training_spec[1], job, remote.env).run()
    pod_logs = remote.root / "pod-logs"  # what `kubectl logs` would show; read by test_secrets_do_not_leak.py
    pod_logs.mkdir(exist_ok=True)
    for result in results:
        (pod_logs / f"{job}-{result.task}.log").write_text(result.output)
    failed = [r for r in results if r.returncode != 0]
    assert not failed, f"{failed[0].task} failed:\n{failed[0].output[-4000:]}"
    assert [r.task for r in results] == sorted(dag(training_spec[1]), key=[r.task for r in results].index)
    return job
