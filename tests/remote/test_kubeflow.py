"""The same pipelines on the Kubeflow stack: compiled by ZenML's real Kubeflow orchestrator, validated
strictly, and executed by a test double of a KFP backend against real servers on loopback."""

from __future__ import annotations

import io
import json
import tarfile

import pytest
import yaml
from google.protobuf import json_format

from tests.conftest import ROOT
from tests.remote.conftest import compile_for_kubeflow, local_dag
from tests.remote.kfp_executor_double import container_of, dag
from tests.remote.services import BUCKET, IMAGE, Remote

pytestmark = pytest.mark.kubeflow


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


def test_executed_run_completes_on_the_server_with_a_champion(executed: str, remote: Remote) -> None:
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
