"""Servers on loopback for the remote-stack tests: a ZenML server, an S3 server (moto) and MLflow.

No Kubernetes API server, KFP backend or cloud can run on these machines. The compiled Kubeflow
pipelines run with KFP's own local runner (kfp.local's DockerRunner) in containers of the real step
image, through podman (images/kfp_local.py names its three small workarounds); the Kubernetes API is
a test double (k8s_api_double.py). These servers are the real programs.
"""

from __future__ import annotations

import contextlib
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.remote.services import IMAGE, Remote, remote_services
from tests.remote.specs import load_spec


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
def kubeflow_image(step_image: str, podman_env: dict[str, str]) -> str:
    """The step image under the name the compiled specs give it (configs/docker.yaml + the stack's registry)."""
    from images import podman

    podman.tag(step_image, IMAGE, podman_env)
    return IMAGE


@dataclass
class ContainerRun:
    """How a compiled pipeline ended in containers: raised or not, and everything the containers printed."""

    failure: str | None
    output: str


def run_in_containers(spec: Path, remote: Remote, podman_env: dict[str, str], name: str) -> ContainerRun:
    """Run a compiled Kubeflow pipeline with kfp.local's DockerRunner over podman, every task in a container
    of the step image on the host network (the loopback servers are the cluster's services).

    What a cluster gives its pods besides the spec is given here: the Kubernetes credentials the Seldon
    deployer uses (a kubeconfig under the pipeline root, which kfp.local mounts into every container,
    and ``KUBECONFIG`` naming it; in a cluster the pod's service account). The containers' output is kept
    as ``pod-logs/<name>.log`` (what ``kubectl logs`` would show; read by test_secrets_do_not_leak.py).
    """
    from images import kfp_local, podman

    root = remote.root / "kfp-root"
    root.mkdir(exist_ok=True)
    kubeconfig = root / "kubeconfig"
    if remote.kubeconfig.exists():
        shutil.copyfile(remote.kubeconfig, kubeconfig)
    out, failure = io.StringIO(), None
    with podman.podman_service(podman_env) as docker_host, contextlib.redirect_stdout(out):
        try:
            kfp_local.run_compiled_pipeline(
                spec, docker_host, root, network_mode="host", environment={"KUBECONFIG": str(kubeconfig)}
            )
        except RuntimeError as exc:
            failure = str(exc)
    logs = remote.root / "pod-logs"
    logs.mkdir(exist_ok=True)
    (logs / f"{name}.log").write_text(out.getvalue())
    return ContainerRun(failure, out.getvalue())


def newest_run(remote: Remote, pipeline: str) -> dict[str, Any]:
    """The newest run of ``pipeline`` on the ZenML server: status, steps and their status, run id."""
    import json

    out = remote.python(
        "import json, portable_mlops.compat\n"
        "from zenml.client import Client\n"
        f"run = Client().list_pipeline_runs(pipeline={pipeline!r}, sort_by='desc:created', size=1).items[0]\n"
        "print(json.dumps({'status': run.status.value, 'orchestrator_run_id': run.orchestrator_run_id,"
        " 'steps': {n: s.status.value for n, s in run.steps.items()}}))"
    )
    return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.fixture(scope="session")
def executed(training_spec, remote: Remote, podman_env: dict[str, str], kubeflow_image: str) -> str:
    """Run the compiled training spec in containers (kfp.local + podman); return the KFP job name."""
    result = run_in_containers(training_spec[0], remote, podman_env, "training")
    assert result.failure is None, f"{result.failure}\n{result.output[-4000:]}"
    run = newest_run(remote, "training")
    assert run["status"] == "completed", run
    return str(run["orchestrator_run_id"])
