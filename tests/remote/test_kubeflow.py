"""The same pipelines on the Kubeflow stack: compiled by ZenML's real Kubeflow orchestrator, validated
strictly, and executed with KFP's own local runner in containers of the real step image (podman),
against real servers on loopback: training, deployment (Seldon through the Kubernetes API test double,
served by real MLServer containers) and inference; a failing step fails the run."""

from __future__ import annotations

import io
import json
import tarfile
from typing import Any

import pytest
import yaml
from google.protobuf import json_format

from tests.conftest import ROOT
from tests.remote.conftest import compile_for_kubeflow, local_dag
from tests.remote.services import BUCKET, IMAGE, Remote
from tests.remote.specs import container_of, dag

pytestmark = [pytest.mark.kubeflow, pytest.mark.containers]


def test_submission_failure_is_a_real_failure(training_spec) -> None:
    """compile_for_kubeflow asserts the non-zero exit and the one-line message; here: it compiled."""
    path, spec = training_spec
    assert path.suffix == ".yaml" and spec["pipelineInfo"]["name"].startswith("training")


def test_spec_parses_strictly_and_loads_as_a_component(training_spec) -> None:
    from kfp import components
    from kfp.pipeline_spec import pipeline_spec_pb2

    path, spec = training_spec
    json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    component = components.load_component_from_file(str(path))
    assert component.name == spec["pipelineInfo"]["name"]


def test_compiled_dag_equals_the_local_pipeline_dag(training_spec) -> None:
    assert dag(training_spec[1]) == local_dag("training")


def test_images_commands_and_env_are_what_the_configs_say(training_spec, remote: Remote) -> None:
    spec = training_spec[1]
    for task in dag(spec):
        container = container_of(spec, task)
        assert container["image"] == IMAGE
        assert container["command"] == ["python", "-m", "zenml.entrypoints.entrypoint"]
        args = container["args"]
        assert args[args.index("--step_name") + 1] == task.replace("-", "_")
        env = {e["name"]: e["value"] for e in container["env"]}
        assert env["ZENML_STORE_URL"] == remote.zenml_url and env["KFP_RUN_ID"] == "{{$.pipeline_job_name}}"
        assert "ZENML_ACTIVE_STACK_ID" in env and not any("SECRET" in k or "PASSWORD" in k for k in env)


def test_executed_run_completes_on_the_server_with_a_champion(executed: str, remote: Remote, training_spec) -> None:
    out = remote.python(
        "import json, portable_mlops.compat\n"
        "from zenml.client import Client\n"
        "from zenml.enums import ModelStages\n"
        "run = Client().get_pipeline('training').last_run\n"
        "mv = Client().get_model_version('breast_cancer_classifier', ModelStages.PRODUCTION)\n"
        "print(json.dumps({'status': run.status.value, 'steps': sorted(run.steps), "
        "'registry': mv.run_metadata['registry'], 'orchestrator_run_id': run.orchestrator_run_id}))"
    )
    info = json.loads(out.strip().splitlines()[-1])
    assert info["status"] == "completed" and len(info["steps"]) == 8
    assert info["orchestrator_run_id"] == executed
    assert executed.startswith(training_spec[1]["pipelineInfo"]["name"] + "-")  # kfp.local's job name
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=remote.mlflow_url, registry_uri=remote.mlflow_url)
    champion = client.get_model_version_by_alias("breast_cancer_classifier", "champion")
    assert str(champion.version) == str(info["registry"]["version"])


def test_artifacts_are_in_the_bucket(executed: str, remote: Remote) -> None:
    keys = [o["Key"] for o in remote.s3().list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    for artifact in ("raw_data", "data_profile", "model", "holdout_metrics", "promotion_decision"):
        assert any(f"/{artifact}/" in key for key in keys), artifact


def test_the_code_the_spec_runs_is_the_code_that_runs_locally(executed: str, remote: Remote) -> None:
    """The code archive ZenML uploaded (and each task downloaded) holds this checkout's steps, byte for byte."""
    s3 = remote.s3()
    archives = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []) if o["Key"].endswith(".tar.gz")]
    assert archives, "no code archive in the artifact store"
    body = s3.get_object(Bucket=BUCKET, Key=archives[0])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        shipped = {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}  # type: ignore[union-attr]
    local = [p for d in ("steps", "pipelines", "portable_mlops", "stacks") for p in (ROOT / d).rglob("*.py")]
    assert local
    for path in local:
        name = str(path.relative_to(ROOT))
        assert shipped.get(name) == path.read_bytes(), f"{name} differs from what the spec runs"


@pytest.mark.parametrize("kind", ["deployment", "inference"])
def test_other_pipelines_compile_to_valid_specs_with_the_local_dag(executed: str, remote: Remote, kind: str) -> None:
    from kfp.pipeline_spec import pipeline_spec_pb2

    _, spec = compile_for_kubeflow(remote, kind)
    json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec(), ignore_unknown_fields=False)
    assert dag(spec) == local_dag(kind)
    assert all(container_of(spec, task)["image"] == IMAGE for task in dag(spec))


def test_stack_file_needs_its_secrets(remote: Remote) -> None:
    """A stack file that refers to a secret the server lacks is refused with the command that creates it."""
    data = yaml.safe_load((ROOT / "stacks" / "kubeflow.yaml").read_text())
    data["components"]["experiment_tracker"][0]["configuration"]["tracking_password"] = "{{pmlops-absent.password}}"
    out = remote.python(
        "import yaml, portable_mlops.compat\n"
        "from zenml.client import Client\n"
        "from portable_mlops.cli.stack_setup import check_secrets\n"
        "from portable_mlops.errors import StackSetupError\n"
        f"data = yaml.safe_load({yaml.safe_dump(data)!r})\n"
        "try:\n    check_secrets(Client(), data)\nexcept StackSetupError as e:\n    print(e)\n"
    )
    assert "needs ZenML secret 'pmlops-absent' with password; create it: zenml secret create pmlops-absent" in out


def test_compile_benchmark_times_a_pipeline(executed: str, remote: Remote) -> None:
    """benchmarks/compile.py at one repeat (make bench measures; this keeps its code from rotting)."""
    from benchmarks.compile import compile_times

    times = compile_times(remote, ["deployment"], 1)
    assert times["deployment"]["runs"][0] > 0 and times["deployment"]["median"] == times["deployment"]["runs"][0]


@pytest.fixture(scope="module")
def seldon_double(executed: str, remote: Remote, podman_env: dict[str, str], serving_image) -> Any:  # type: ignore[no-untyped-def]
    """The Kubernetes API test double on the stack's Kubernetes URL, the champion's serving image built."""
    from mlflow import MlflowClient

    from portable_mlops.serving import images
    from tests.images import model_requirements_at
    from tests.remote.k8s_api_double import KubernetesApiTestDouble
    from tests.remote.test_seldon_rollout import CRD, MODEL, REGISTRY

    if not CRD.is_file():
        pytest.skip(f"the SeldonDeployment CRD is not at {CRD} (../shared/schemas); the test double validates with it")
    source = MlflowClient(remote.mlflow_url, remote.mlflow_url).get_model_version_by_alias(MODEL, "champion").source
    requirements = model_requirements_at(remote.mlflow_url, source)
    serving_image(requirements, images.serving_image(REGISTRY, requirements))
    port = int(remote.k8s_url.rsplit(":", 1)[1])
    double = KubernetesApiTestDouble(CRD, remote.s3_url, port=port, podman_env=podman_env).start()
    double.kubeconfig(remote.kubeconfig, namespace="seldon")
    try:
        yield double
    finally:
        remote.python(
            "import portable_mlops.compat\nfrom zenml.client import Client\n"
            "from portable_mlops.serving.deployers import model_servers\n"
            "deployer = Client().active_stack.model_deployer\n"
            f"for s in model_servers(deployer, {MODEL!r}):\n"
            "    deployer.delete_model_server(s.uuid, timeout=60, force=True)\n"
        )
        double.stop()


def test_deployment_and_inference_run_in_containers_and_serve_through_seldon(
    seldon_double: Any, remote: Remote, podman_env: dict[str, str]
) -> None:
    from tests.remote.conftest import newest_run, run_in_containers

    deploy_spec, _ = compile_for_kubeflow(remote, "deployment")
    deployed = run_in_containers(deploy_spec, remote, podman_env, "deployment")
    assert deployed.failure is None, f"{deployed.failure}\n{deployed.output[-4000:]}"
    run = newest_run(remote, "deployment")
    assert run["status"] == "completed" and set(run["steps"].values()) == {"completed"}, run
    assert ("seldon", "pmlops-breast-cancer-classifier") in seldon_double.served  # an MLServer container serves it
    smoke = len(seldon_double.routed)
    assert smoke >= 1  # the deploy step's smoke check went through the ingress to the container
    inference_spec, _ = compile_for_kubeflow(remote, "inference")
    scored = run_in_containers(inference_spec, remote, podman_env, "inference")
    assert scored.failure is None, f"{scored.failure}\n{scored.output[-4000:]}"
    run = newest_run(remote, "inference")
    assert run["status"] == "completed" and set(run["steps"].values()) == {"completed"}, run
    assert len(seldon_double.routed) > smoke  # the batch was scored through the Seldon endpoint


def test_a_failing_step_fails_the_run_and_nothing_after_it_runs(executed: str, remote: Remote, podman_env) -> None:  # type: ignore[no-untyped-def]
    """A task that fails is a failed run (not a success with a missing output), and its dependants never start."""
    from tests.remote.conftest import newest_run, run_in_containers

    before = set(remote.root.glob("client/kubeflow/*/pipelines/*.yaml"))
    result = remote.run("--stack", "kubeflow", "--pipeline", "training", "--data", "/nonexistent/data.csv")
    assert result.returncode == 1 and "never started by the orchestrator" in result.stderr.strip().splitlines()[-1]
    (spec,) = set(remote.root.glob("client/kubeflow/*/pipelines/*.yaml")) - before
    failed = run_in_containers(spec, remote, podman_env, "training-failing")
    assert failed.failure is not None and "load-data" in failed.failure, failed.failure
    run = newest_run(remote, "training")
    assert run["status"] == "failed" and run["steps"] == {"load_data": "failed"}, run
    assert "data source '/nonexistent/data.csv' does not exist" in failed.output
