"""The same pipelines on Apache Airflow, for real: ``python run.py --stack airflow`` against a local
Airflow whose DockerOperator runs every step in a container of the step image through podman.

No double: Airflow 3 (scheduler, DAG processor, API server), ZenML's Airflow orchestrator and its DAG
zip, the DockerOperator, podman, the step image, MLflow, and the model endpoint (a container of the
model's MLServer image) are the real ones.
"""

from __future__ import annotations

import re

import pytest

from tests.airflow.conftest import AirflowSite

pytestmark = pytest.mark.airflow

MODEL = "breast_cancer_classifier"
PIPELINES = ("training", "deployment", "inference")

#: Reads the newest run of each pipeline back from ZenML (in a fresh interpreter on the runs' config).
RUNS = """
import json
from zenml.client import Client
out = {}
for name in __PIPELINES__:
    run = Client().list_pipeline_runs(pipeline=name, sort_by="desc:created", size=1).items[0]
    out[name] = {
        "status": run.status.value,
        "stack": run.stack.name,
        "orchestrator_flavor": run.stack.components["orchestrator"][0].flavor_name,
        "steps": {s.name: s.status.value for s in run.steps.values()},
        "images": sorted(i.image for i in (run.build.images.values() if run.build else [])),
    }
print(json.dumps(out))
""".replace("__PIPELINES__", repr(PIPELINES))

#: The champion's alias, and the endpoint's answer for holdout rows beside the champion's own predictions.
ENDPOINT = """
import json
import mlflow
import numpy as np
from zenml.client import Client
from portable_mlops.lifecycle.registry import active_registry
from portable_mlops.serving.containers import MLServerContainerService
from portable_mlops.data.loading import BUILTIN_TARGETS, load_builtin

active_registry()  # MLflow's URIs on the stack's tracking store
champion = mlflow.MlflowClient().get_model_version_by_alias("__MODEL__", "champion")
services = [MLServerContainerService.from_model(r) for r in Client().list_services(size=100).items]
running = [s for s in services if s.is_running]
frame = load_builtin("breast_cancer").drop(columns=[BUILTIN_TARGETS["breast_cancer"]]).head(25)
model = mlflow.pyfunc.load_model("models:/__MODEL__@champion")
print(json.dumps({
    "champion": str(champion.version),
    "services": [(s.config.registry_model_version, s.config.image, s.is_running) for s in services],
    "answered": np.asarray(running[0].predict_frame(frame)).astype(str).tolist() if running else None,
    "expected": np.asarray(model.predict(frame)).astype(str).tolist(),
}))
""".replace("__MODEL__", MODEL)


@pytest.fixture(scope="module")
def all_pipelines(airflow_site: AirflowSite) -> tuple[object, dict]:
    """``python run.py --stack airflow``: training, deployment and inference, each a DAG run in Airflow."""
    result = airflow_site.run()
    return result, airflow_site.python(RUNS)


def test_run_py_trains_deploys_and_scores_on_airflow(all_pipelines, airflow_images) -> None:
    result, runs = all_pipelines
    assert result.code == 0, result.stderr[-4000:]
    for name in PIPELINES:
        run = runs[name]
        assert run["status"] == "completed", (name, run)
        assert run["stack"] == "pmlops-airflow" and run["orchestrator_flavor"] == "airflow", run
        assert run["steps"] and set(run["steps"].values()) == {"completed"}, (name, run["steps"])
        assert run["images"] == [airflow_images["step"]], (name, run["images"])  # every step: the step image
    assert "[deployment] run" in result.stdout and "completed" in result.stdout
    assert re.search(r"scored \d+ rows: .* via http://127\.0\.0\.1:\d+/v2/models/classifier/infer", result.stdout), (
        result.stdout
    )


def test_the_model_is_registered_promoted_and_served_by_a_container_that_answers(
    all_pipelines, airflow_site: AirflowSite, airflow_images
) -> None:
    result, _ = all_pipelines
    assert result.code == 0, result.stderr[-4000:]
    state = airflow_site.python(ENDPOINT)
    assert state["champion"] == "1"
    assert state["services"] == [["1", airflow_images["serving"], True]], state["services"]
    assert state["answered"] == state["expected"]


def test_a_failing_step_fails_the_airflow_run_and_run_py_exits_1_with_the_step_reason(
    all_pipelines, airflow_site: AirflowSite, tmp_path
) -> None:
    from portable_mlops.cli import airflow_runs

    missing = tmp_path / "no-such-batch.csv"
    result = airflow_site.run("--pipeline", "inference", "--data", str(missing), "--model-name", MODEL)
    assert result.code == 1, result.stderr[-3000:]
    # the step's own one-line reason, read back from ZenML after the DAG run failed
    reason = f"error: data source '{missing}' does not exist; check the path or URI given with --data"
    assert result.last_error_line == reason, result.stderr[-3000:]
    dag_id = re.findall(r"(inference_[0-9a-f]{16})\.zip", result.stdout + result.stderr)[-1]
    la = airflow_runs.local_airflow()
    dag_run = la.wait_for_dag_run(airflow_site.state.client(), dag_id, timeout=60)
    assert dag_run.state == "failed" and dag_run.failed_tasks == ["load_data"], dag_run
    # nothing lost: the champion and the endpoint are as they were
    state = airflow_site.python(ENDPOINT)
    assert state["champion"] == "1" and state["answered"] == state["expected"]
