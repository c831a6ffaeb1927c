"""The deployment pipeline on the Kubeflow stack's Seldon deployer, end to end, against the Kubernetes
API test double (tests/remote/k8s_api_double.py): create, update (merge-patch), canary, promote,
rollback and delete, each checked in the double's record of requests and in the MLflow registry.

The runs use stacks/kubeflow.yaml's components (S3 artifact store, MLflow server, pmlops_seldon
deployer) with the local orchestrator: the orchestrator is proven by tests/remote/test_kubeflow.py,
this module proves the serving path. The champion comes from the Kubeflow run of that module's
``executed`` fixture; a second training run here (``--no-cache``: it retrains) makes the challenger.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import yaml

from portable_mlops.serving import images
from tests.conftest import ROOT
from tests.images import model_requirements_at
from tests.remote.k8s_api_double import KubernetesApiTestDouble, Request
from tests.remote.services import Remote, with_source_root

pytestmark = pytest.mark.seldon
CRD = ROOT.parent / "shared" / "schemas" / "seldondeployments_crd_v1.18.2.yaml"
MODEL = "breast_cancer_classifier"
NAME = "pmlops-breast-cancer-classifier"
SD = f"/apis/machinelearning.seldon.io/v1/namespaces/seldon/seldondeployments/{NAME}"
REGISTRY = "registry.example.com/portable-mlops"  # stacks/kubeflow.yaml's container registry
OVERRIDE = "the canary's error rate held for a week at 25% of the traffic"

STACK = """
import portable_mlops.compat
from portable_mlops.cli.stack_setup import ensure_stack_data, read_stack, stack_file, with_overrides
data = with_overrides(read_stack(stack_file("kubeflow")), {
    "pmlops-minio-artifacts": {"client_kwargs": {"endpoint_url": "%(s3)s", "region_name": "us-east-1"}},
    "pmlops-remote-mlflow-tracker": {"tracking_uri": "%(mlflow)s"},
    "pmlops-kubeflow-orchestrator": {"kubeflow_hostname": "%(kfp)s/pipeline"},
    "pmlops-seldon": {"kubernetes_context": "pmlops-test-double", "base_url": "%(k8s)s"},
})
data["stack_name"] = "pmlops-kubeflow-local-orchestrator"
data["components"]["orchestrator"] = [{"name": "pmlops-local-orchestrator", "flavor": "local", "type": "orchestrator"}]
from zenml.client import Client
print(Client().get_stack(ensure_stack_data(data, activate=False)).id)
"""

SERVICE = """
import json, portable_mlops.compat
import pandas as pd
from zenml.client import Client
from portable_mlops.serving.deployers import model_servers
from portable_mlops.lifecycle.champion import production_artifact
from portable_mlops.lifecycle.registry import active_registry, load_version
from portable_mlops.names import Artifacts
deployer = Client().active_stack.model_deployer
service = model_servers(deployer, %(model)r)[0]
holdout = production_artifact(%(model)r, Artifacts.TEST_SET).drop(columns=["diagnosis"])
rows = [holdout.iloc[[i %% len(holdout)]] for i in range(%(n)d)]
answers = [str(service.predict(row)[0]) for row in rows]
active_registry()
expected = {v: [str(p) for p in load_version(%(model)r, v).predict(pd.concat(rows))] for v in %(versions)r}
print(json.dumps({"state": service.status.state.value, "url": service.prediction_url, "answers": answers,
                  "uuid": str(service.uuid), "labels": sorted(set(answers)), "expected": expected}))
"""


def metric_total(text: str, name: str, **labels: str) -> float:
    """The sum of a Prometheus metric's samples whose labels include ``labels`` (text exposition format)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        selector, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in selector for k, v in labels.items()):
            total += float(value)
    return total


@dataclass
class Rollout:
    """Everything the sequence produced, for the tests to read."""

    double: KubernetesApiTestDouble
    image: str = ""
    marks: dict[str, int] = field(default_factory=dict)  # stage -> index into double.requests
    outputs: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)
    service: dict[str, Any] = field(default_factory=dict)
    routed_canary: list[str] = field(default_factory=list)
    #: Each canary-stage predictor's container: Prometheus text, and the requests routed to it since it started.
    metrics: dict[str, tuple[str, int]] = field(default_factory=dict)
    routed_inference: int = 0

    def writes(self, stage: str) -> list[Request]:
        """Successful SeldonDeployment writes made during ``stage``."""
        stages = list(self.marks)
        start = self.marks[stage]
        end = self.marks[stages[stages.index(stage) + 1]] if stages.index(stage) + 1 < len(stages) else None
        return [r for r in self.double.requests[start:end] if r in self.double.writes()]


def aliases(remote: Remote, env: dict[str, str]) -> dict[str, str]:
    """The registered model's aliases on the MLflow server (read in-process: no MLflow settings of
    this process are involved, the client is given the server's URL)."""
    from mlflow import MlflowClient

    model = MlflowClient(tracking_uri=remote.mlflow_url, registry_uri=remote.mlflow_url).get_registered_model(MODEL)
    return {alias: str(version) for alias, version in model.aliases.items()}


def run_python(code: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", with_source_root(code)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def rollout(
    executed: str,
    remote: Remote,
    tmp_path_factory: pytest.TempPathFactory,
    podman_env: dict[str, str],
    serving_image: Callable[[str, str], str],
) -> Any:
    if not CRD.is_file():
        pytest.skip(f"the SeldonDeployment CRD is not at {CRD} (../shared/schemas); the test double validates with it")
    # the serving image of the champion's requirements, named as the deployer renders it (make serving-image)
    from mlflow import MlflowClient

    source = MlflowClient(remote.mlflow_url, remote.mlflow_url).get_model_version_by_alias(MODEL, "champion").source
    requirements = model_requirements_at(remote.mlflow_url, source)
    image = serving_image(requirements, images.serving_image(REGISTRY, requirements))
    port = int(remote.k8s_url.rsplit(":", 1)[1])
    double = KubernetesApiTestDouble(CRD, remote.s3_url, port=port, podman_env=podman_env).start()
    double.kubeconfig(remote.kubeconfig, namespace="seldon")
    env = {**remote.env, "ZENML_CONFIG_PATH": str(remote.root / "seldon-client")}
    tmp = tmp_path_factory.mktemp("seldon")
    result = Rollout(double, image=image)

    def deploy(stage: str, *args: str, **deploy_params: Any) -> subprocess.CompletedProcess[str]:
        result.marks[stage] = len(double.requests)
        config = yaml.safe_load((ROOT / "configs" / "deployment.yaml").read_text())
        config.setdefault("parameters", {}).setdefault("deploy", {}).update(deploy_params)
        path = tmp / f"{stage}.yaml"
        path.write_text(yaml.safe_dump(config))
        proc = subprocess.run(
            [sys.executable, "run.py", "--pipeline", "deployment", "--config", str(path), *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        result.outputs[stage] = proc
        result.aliases[stage] = aliases(remote, env)
        return proc

    try:
        stack_id = run_python(
            STACK % {"s3": remote.s3_url, "mlflow": remote.mlflow_url, "kfp": remote.kfp_url, "k8s": remote.k8s_url},
            env,
        )
        env["ZENML_ACTIVE_STACK_ID"] = stack_id  # this client's active stack, whatever its config says
        deploy("create")
        deploy("update", replicas=2)
        deploy("promote-without-canary", rollout="promote")
        result.marks["training"] = len(double.requests)
        train = subprocess.run(  # --no-cache: a cached re-run would reuse the champion, not train a challenger
            [sys.executable, "run.py", "--pipeline", "training", "--no-cache"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert train.returncode == 0, train.stderr[-3000:]
        result.aliases["training"] = aliases(remote, env)
        started = len(double.routed)
        deploy("canary", rollout="canary", canary_traffic=25, replicas=2)
        before = len(double.routed)
        versions = [result.aliases["training"]["champion"], result.aliases["training"]["challenger"]]
        result.service = yaml.safe_load(run_python(SERVICE % {"model": MODEL, "n": 80, "versions": versions}, env))
        result.routed_canary = double.routed[before:]
        for predictor in double.served.get(("seldon", NAME), []):
            text = requests.get(predictor.metrics_url, timeout=10).text
            result.metrics[predictor.name] = (text, double.routed[started:].count(predictor.name))
        deploy("promote-refused", rollout="promote", replicas=2)  # the gate kept it as challenger: refused
        deploy("promote", "--override-gate", OVERRIDE, rollout="promote", replicas=2)
        deploy("rollback", rollout="rollback", replicas=2)
        result.marks["inference"] = len(double.requests)
        before = len(double.routed)
        result.outputs["inference"] = subprocess.run(
            [sys.executable, "run.py", "--pipeline", "inference"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        result.routed_inference = len(double.routed) - before
        result.marks["delete"] = len(double.requests)
        run_python(
            "import portable_mlops.compat\nfrom zenml.client import Client\n"
            "from portable_mlops.serving.deployers import model_servers\n"
            f"d = Client().active_stack.model_deployer\ns = model_servers(d, {MODEL!r})[0]\n"
            "d.delete_model_server(s.uuid, timeout=60)\nprint(len(model_servers(d, " + repr(MODEL) + ")))",
            env,
        )
        yield result
    finally:
        double.stop()


def ok(result: Rollout, stage: str) -> None:
    proc = result.outputs[stage]
    assert proc.returncode == 0, f"{stage}: {proc.stdout[-1500:]}\n{proc.stderr[-3000:]}"


def predictors(request: Request) -> list[tuple[str, str, int | None]]:
    return [(p["name"], p["labels"]["registry_version"], p.get("traffic")) for p in request.body["spec"]["predictors"]]


def test_create_posts_a_schema_valid_deployment_and_a_secret_with_the_store_credentials(
    rollout: Rollout, remote: Remote
) -> None:
    ok(rollout, "create")
    writes = rollout.writes("create")
    assert [(w.method, w.path.rsplit("/", 1)[-1]) for w in writes] == [("POST", "seldondeployments")]
    body = writes[0].body
    assert rollout.double.schema_errors(body) == []
    assert predictors(writes[0]) == [("main", rollout.aliases["create"]["champion"], None)]
    graph = body["spec"]["predictors"][0]["graph"]
    assert body["spec"]["protocol"] == "v2" and "implementation" not in graph
    assert graph["modelUri"].startswith("s3://pmlops-artifacts/served-models/")
    (container,) = body["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"]
    assert container["name"] == graph["name"] == "classifier" and container["image"] == rollout.image
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MLSERVER_MODEL_URI"] == "/mnt/models" and env["MLSERVER_MODEL_IMPLEMENTATION"].endswith("MLflowRuntime")
    stored = rollout.double.requests[rollout.marks["create"] : rollout.marks["update"]]
    (posted,) = [r for r in stored if r.method == "POST" and r.path.endswith("/secrets") and r.status == 201]
    assert posted.body["metadata"]["name"] == graph["envSecretRefName"]
    secret = {k: base64.b64decode(v).decode() for k, v in posted.body["data"].items()}
    # F2: the artifact store's key pair, not env_auth
    assert secret["RCLONE_CONFIG_S3_ACCESS_KEY_ID"] == remote.s3_key and "RCLONE_CONFIG_S3_ENV_AUTH" in secret
    assert secret["RCLONE_CONFIG_S3_ENV_AUTH"].lower() == "false"
    assert secret["RCLONE_CONFIG_S3_ENDPOINT"].startswith("http://127.0.0.1:")


def test_update_is_a_merge_patch_of_the_same_deployment(rollout: Rollout) -> None:
    ok(rollout, "update")
    writes = rollout.writes("update")
    assert [(w.method, w.path, w.content_type) for w in writes] == [("PATCH", SD, "application/merge-patch+json")]
    assert writes[0].body["spec"]["replicas"] == 2
    assert {p["replicas"] for p in writes[0].body["spec"]["predictors"]} == {2}
    resources = writes[0].body["spec"]["predictors"][0]["componentSpecs"][0]["spec"]["containers"][0]
    assert resources["name"] == "classifier" and resources["resources"]["requests"]["cpu"] == "100m"  # F5


def test_promote_without_a_canary_fails_in_one_line_and_changes_nothing(rollout: Rollout) -> None:
    proc = rollout.outputs["promote-without-canary"]
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "no canary is live to promote" in last, last
    assert rollout.writes("promote-without-canary") == []
    assert rollout.aliases["promote-without-canary"] == rollout.aliases["update"]


def test_canary_splits_traffic_and_predictions_reach_both_models(rollout: Rollout) -> None:
    ok(rollout, "canary")
    champion, challenger = rollout.aliases["training"]["champion"], rollout.aliases["training"]["challenger"]
    assert champion != challenger
    (write,) = rollout.writes("canary")
    assert write.method == "PATCH" and rollout.double.schema_errors(write.body) == []
    assert predictors(write) == [("main", champion, 75), ("canary", challenger, 25)]
    assert rollout.aliases["canary"] == rollout.aliases["training"]  # a canary moves no alias
    service = rollout.service
    assert (
        service["state"] == "active"
        and service["url"] == f"{rollout.double.url}/seldon/seldon/{NAME}/v2/models/classifier/infer"
    )
    assert set(service["labels"]) <= {"malignant", "benign"} and len(service["answers"]) == 80
    # every answer is the registered model's own prediction, of the version whose container answered
    version = {"main": champion, "canary": challenger}
    assert len(rollout.routed_canary) == 80
    assert [service["expected"][version[p]][i] for i, p in enumerate(rollout.routed_canary)] == service["answers"]
    # 80 requests split at 75/25: the canary's share within the binomial 99.9% interval of 25% of 80
    from scipy.stats import binom

    low, high = binom.interval(0.999, 80, 0.25)
    assert low <= rollout.routed_canary.count("canary") <= high, rollout.routed_canary.count("canary")


def test_promoting_a_canary_the_gate_refused_fails_in_one_line_and_changes_nothing(rollout: Rollout) -> None:
    proc = rollout.outputs["promote-refused"]
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the canary v") and "does not pass the gate" in last and "--override-gate" in last
    assert rollout.writes("promote-refused") == []
    assert rollout.aliases["promote-refused"] == rollout.aliases["canary"]


def test_promote_with_an_override_gives_the_canary_all_traffic_and_records_who_and_why(
    rollout: Rollout, remote: Remote
) -> None:
    ok(rollout, "promote")
    assert "GATE OVERRIDDEN by " in rollout.outputs["promote"].stdout and OVERRIDE in rollout.outputs["promote"].stdout
    from mlflow import MlflowClient

    challenger = rollout.aliases["training"]["challenger"]
    tags = MlflowClient(remote.mlflow_url, remote.mlflow_url).get_model_version(MODEL, challenger).tags
    assert tags["gate_override_reason"] == OVERRIDE and tags["gate_override_refused_because"]
    challenger = rollout.aliases["training"]["challenger"]
    (write,) = rollout.writes("promote")
    assert write.method == "PATCH" and predictors(write) == [("main", challenger, None)]
    assert rollout.aliases["promote"]["champion"] == challenger
    assert rollout.aliases["promote"]["previous_champion"] == rollout.aliases["training"]["champion"]
    assert "challenger" not in rollout.aliases["promote"]


def test_rollback_serves_the_previous_champion_again(rollout: Rollout) -> None:
    ok(rollout, "rollback")
    first = rollout.aliases["training"]["champion"]
    (write,) = rollout.writes("rollback")
    assert write.method == "PATCH" and predictors(write) == [("main", first, None)]
    assert rollout.aliases["rollback"]["champion"] == first


def test_batch_inference_scores_through_the_seldon_endpoint(rollout: Rollout) -> None:
    ok(rollout, "inference")
    assert rollout.routed_inference >= 1  # the batch went to the ingress, not to an in-process model
    assert rollout.writes("inference") == []


def test_the_sequence_in_the_record_and_delete(rollout: Rollout) -> None:
    methods = [w.method for w in rollout.double.writes()]
    assert methods == ["POST", "PATCH", "PATCH", "PATCH", "PATCH", "DELETE"], methods
    assert all(w.path == SD for w in rollout.double.writes()[1:])
    assert ("seldon", NAME) not in rollout.double.deployments
    deletes = [r for r in rollout.double.requests[rollout.marks["delete"] :] if r.method == "DELETE"]
    assert any(r.path.endswith("/secrets/" + r.path.rsplit("/", 1)[-1]) and "/secrets/" in r.path for r in deletes)
    assert not rollout.double.secrets


def test_the_double_rejects_what_a_cluster_rejects(rollout: Rollout) -> None:
    """The test double is strict: an invalid manifest is refused with the schema's reason."""
    body = rollout.writes("create")[0].body
    bad = {**body, "spec": {**body["spec"], "replicas": "two"}}
    assert any("replicas" in e for e in rollout.double.schema_errors(bad))
    status, _ = rollout.double.handle(
        "POST", "/apis/machinelearning.seldon.io/v1/namespaces/seldon/seldondeployments", "application/json", b"{}", {}
    )
    assert status == 401


def test_the_model_containers_serve_prometheus_metrics_of_every_request(rollout: Rollout) -> None:
    """What a cluster's Prometheus scrapes from MLServer: per model, the successful inferences and their
    latency, equal to the requests the ingress routed to that container."""
    assert set(rollout.metrics) == {"main", "canary"}
    for name, (text, routed) in rollout.metrics.items():
        assert routed > 0
        assert metric_total(text, "model_infer_request_success_total", model="classifier") == routed, name
        assert metric_total(text, "model_infer_request_failure_total", model="classifier") == 0, name
        assert metric_total(text, "model_infer_request_duration_count", model="classifier") == routed, name
        infer = 'path="/v2/models/{model_name}/infer"'
        latency = [line for line in text.splitlines() if line.startswith("rest_server_request_duration_seconds_count")]
        assert any(infer in line and float(line.rsplit(" ", 1)[1]) == routed for line in latency), latency
