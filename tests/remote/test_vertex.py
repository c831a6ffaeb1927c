"""The same pipelines compiled by ZenML's real Vertex AI orchestrator, validated offline.

No GCS or GCP can be reached here, so the stack under test is stacks/vertex.yaml with the artifact
store (moto's S3 instead of GCS; the code archive is uploaded there before compiling) and the MLflow
tracker and registry swapped for the Kubeflow test stack's loopback ones, and without the Cloud Build
image builder (it requires a GCS store; with skip_build it is not used anyway). The orchestrator, the
container registry and the validator are the ones in stacks/vertex.yaml. Submission needs GCP
credentials and fails; the compiled job is then built offline with anonymous credentials.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.protobuf import json_format

from tests.conftest import ROOT
from tests.remote.conftest import local_dag
from tests.remote.services import Remote
from tests.remote.specs import container_of, dag, load_spec

pytestmark = pytest.mark.kubeflow
VERTEX = yaml.safe_load((ROOT / "stacks" / "vertex.yaml").read_text())
IMAGE = VERTEX["components"]["container_registry"][0]["configuration"]["uri"] + "/portable-mlops:0.1.0"


@pytest.fixture(scope="module")
def vertex_stack(remote: Remote) -> str:
    kubeflow = yaml.safe_load((ROOT / "stacks" / "kubeflow.yaml").read_text())
    data = copy.deepcopy(VERTEX)
    data["stack_name"] = "pmlops-vertex-offline"
    for kind in ("artifact_store", "experiment_tracker", "model_registry", "model_deployer"):
        data["components"][kind] = [{"name": kubeflow["components"][kind][0]["name"], "flavor": "", "type": kind}]
    del data["components"]["image_builder"]  # Cloud Build requires a GCS artifact store
    remote.python(
        "import yaml, portable_mlops.compat\n"
        "from zenml.client import Client\n"
        "from zenml.enums import StackComponentType as T\n"
        "from portable_mlops.cli.stack_setup import ensure_flavors, _ensure_component\n"
        f"data = yaml.safe_load({yaml.safe_dump(data)!r})\n"
        "ensure_flavors(); c = Client()\n"
        "ids = {T(k): [c.get_stack_component(T(k), s['name']).id if not s['flavor'] else _ensure_component(c, T(k), s)"
        " for s in v] for k, v in data['components'].items()}\n"
        "c.create_stack(name=data['stack_name'], components=ids)\n"
    )
    return str(data["stack_name"])


def compile_for_vertex(remote: Remote, stack: str, kind: str) -> tuple[Path, dict[str, Any]]:
    before = set(remote.root.glob("client/vertex/*/pipelines/*.json"))
    remote.python(f"from zenml.client import Client; Client().activate_stack({stack!r})")
    # --no-cache: the Kubeflow runs before this one share its artifact store, and a run whose steps are all cached
    # is not compiled or submitted at all (ZenML finishes it on the client)
    result = remote.run("--pipeline", kind, "--no-cache")
    assert result.returncode == 1, result.stdout[-2000:]
    assert result.stderr.strip().splitlines()[-1].startswith("error: "), result.stderr[-2000:]
    new = set(remote.root.glob("client/vertex/*/pipelines/*.json")) - before
    assert len(new) == 1, (new, result.stderr[-2000:])
    path = new.pop()
    return path, load_spec(path)


@pytest.fixture(scope="module")
def vertex_training(remote: Remote, vertex_stack: str) -> tuple[Path, dict[str, Any]]:
    """The training job compiled once: checked below, then run in containers."""
    return compile_for_vertex(remote, vertex_stack, "training")


@pytest.mark.parametrize("kind", ["training", "deployment", "inference"])
def test_vertex_job_compiles_validates_and_builds_offline(
    remote: Remote, vertex_stack: str, kind: str, request: pytest.FixtureRequest
) -> None:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform
    from kfp.pipeline_spec import pipeline_spec_pb2

    if kind == "training":
        path, spec = request.getfixturevalue("vertex_training")
    else:
        request.getfixturevalue("executed")  # deployment and inference need a champion on the server
        path, spec = compile_for_vertex(remote, vertex_stack, kind)
    json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    assert dag(spec) == local_dag(kind)
    for task in dag(spec):
        container = container_of(spec, task)
        assert container["image"] == IMAGE
        assert container["command"][:3] == ["python", "-m", "zenml.entrypoints.entrypoint"]
    orchestrator = VERTEX["components"]["orchestrator"][0]["configuration"]
    job = aiplatform.PipelineJob(
        display_name=f"pmlops-{kind}",
        template_path=str(path),
        pipeline_root=orchestrator["pipeline_root"],
        project=orchestrator["project"],
        location=orchestrator["location"],
        credentials=AnonymousCredentials(),
        enable_caching=False,
    )
    request = job._gca_resource  # the PipelineJob request, built offline from the compiled template
    assert request.display_name == f"pmlops-{kind}"
    assert request.runtime_config.gcs_output_directory == orchestrator["pipeline_root"]
    assert set(request.pipeline_spec["root"]["dag"]["tasks"]) == set(dag(spec))


@pytest.mark.containers
def test_the_vertex_training_job_runs_in_containers_as_far_as_it_goes_offline(
    remote: Remote,
    vertex_training: tuple[Path, dict[str, Any]],
    podman_env: dict[str, str],
    step_image: str,
    request: pytest.FixtureRequest,
) -> None:
    """The Vertex job's pipeline IR, run like the Kubeflow spec: kfp.local, every task in a container of the
    step image (under the name the Vertex stack's registry gives it)."""
    from images import podman
    from tests.remote.conftest import newest_run, run_in_containers

    request.getfixturevalue("executed")  # the Kubeflow run first: the runs below are told apart by their stack
    podman.tag(step_image, IMAGE, podman_env)
    result = run_in_containers(vertex_training[0], remote, podman_env, "vertex-training")
    assert result.failure is None, f"{result.failure}\n{result.output[-4000:]}"
    run = newest_run(remote, "training")
    assert run["status"] == "completed" and set(run["steps"].values()) <= {"completed", "cached"}, run
