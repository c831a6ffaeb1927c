"""What a person sees: the ZenML dashboard and the MLflow UI in headless chromium, and the reports.

Each page is loaded until it shows what the test waits for, checked for the run, pipeline and model
names, and kept as a screenshot under test-output/screenshots/.
"""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.browser.chromium import BINARY

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not BINARY.exists(), reason=f"{BINARY} is absent: install Debian's chromium (apt-get install -y chromium)"
    ),
]

ONBOARDING = ("Welcome to ZenML", "survey", "Get started")


def _keep(browser, screenshots, name: str) -> None:
    path = browser.screenshot(screenshots / f"{name}.png")
    (screenshots / f"{name}.html").write_text(browser.dom())
    print(f"screenshot: {path}")


def test_runs_page_lists_the_runs_of_each_pipeline(dashboard, runs, browser, screenshots) -> None:
    text = browser.load(f"{dashboard.url}/projects/default/runs", lambda t: all(n in t for n in runs.names.values()))
    _keep(browser, screenshots, "runs")
    assert not any(word in text for word in ONBOARDING), text[:800]
    for pipeline, run in runs.names.items():
        assert run in text and pipeline in text


def test_run_page_draws_the_training_dag(dashboard, runs, browser, screenshots) -> None:
    steps = ("load_data", "profile_data", "validate_data", "train_candidates", "evaluate_model", "promote_model")
    text = browser.load(runs.urls["training"], lambda t: all(s in t for s in steps))
    _keep(browser, screenshots, "training-run-dag")
    assert runs.names["training"] in text
    assert "Calculating DAG" not in text
    for artifact in ("data_profile", "evaluation_report", "promotion_decision"):
        assert artifact in text
    # the DAG is drawn, not only listed: React Flow renders one node element per step and artifact
    assert browser.evaluate("document.querySelectorAll('.react-flow__node').length") >= 8 + 8


def test_pipeline_page_shows_its_runs(dashboard, runs, browser, screenshots) -> None:
    text = browser.load(f"{dashboard.url}/projects/default/pipelines", lambda t: "inference" in t and "training" in t)
    _keep(browser, screenshots, "pipelines")
    assert {"training", "deployment", "inference"} <= set(text.split())


def test_models_tab_renders(dashboard, runs, browser, screenshots) -> None:
    """ZenML OSS shows no model list on its dashboard (a ZenML Pro feature): the tab renders and says
    how to list models; the model's own page is MLflow's (next test)."""
    text = browser.load(f"{dashboard.url}/projects/default/models", lambda t: "zenml model list" in t)
    _keep(browser, screenshots, "zenml-models-tab")
    assert "Models" in text


def test_mlflow_model_page_shows_the_champion(mlflow_ui, runs, browser, screenshots) -> None:
    url = f"{mlflow_ui}/#/models/{runs.model}"
    text = browser.load(url, lambda t: runs.model in t and "Version 1" in t)
    _keep(browser, screenshots, "mlflow-registered-model")
    assert "champion" in text


def test_mlflow_experiments_page_shows_the_training_runs(mlflow_ui, runs, browser, screenshots) -> None:
    text = browser.load(f"{mlflow_ui}/#/experiments", lambda t: "training" in t)
    _keep(browser, screenshots, "mlflow-experiments")
    assert "training" in text


def test_drift_report_visualization_renders_offline(dashboard, runs, browser, screenshots, workdir) -> None:
    """The artifact visualization the dashboard shows for drift_report, rendered with no network."""
    answer = requests.get(f"{dashboard.url}/api/v1/artifact_versions/{runs.drift_report}/visualize", timeout=30)
    assert answer.status_code == 200, answer.text[:500]
    visualization = answer.json()
    assert visualization["type"] == "html"
    page = visualization["value"]
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page), "the report loads something from the network"
    assert "<script" not in page
    path = workdir / "drift_report.html"
    path.write_text(page)
    text = browser.load(path.as_uri(), lambda t: "Batch verdict" in t)
    _keep(browser, screenshots, "drift-report")
    assert "no drift" in text and "mean radius" in text
    assert browser.evaluate("document.querySelectorAll('svg polyline').length") >= 2


#: The local stack's tracking store, found through its artifact store (not the active stack, which
#: other tests may switch).
TRACKING_STORE = """
import json
from zenml.client import Client
from zenml.enums import StackComponentType
from zenml.stack import StackComponent
store = Client().get_stack("pmlops-local").components[StackComponentType.ARTIFACT_STORE][0]
print(json.dumps("sqlite:///" + StackComponent.from_model(store).path + "/mlflow.db"))
"""


def test_mlflow_api_has_the_tracked_runs_and_the_registered_champion(dashboard, runs) -> None:
    from mlflow import MlflowClient

    uri = json.loads(dashboard.python(TRACKING_STORE).strip().splitlines()[-1])
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name("training")
    assert experiment is not None, [e.name for e in client.search_experiments()]
    tracked = client.search_runs([experiment.experiment_id])
    names = {r.info.run_name for r in tracked}
    assert runs.names["training"] in names  # ZenML's run, with the candidates nested under it
    assert {"logistic_regression", "xgboost"} <= names
    assert all(r.info.status == "FINISHED" for r in tracked)
    champion = client.get_model_version_by_alias(runs.model, "champion")
    assert str(champion.version) == "1" and champion.tags["zenml_run_name"] == runs.names["training"]
    holdout = client.get_run(champion.run_id).data.metrics
    assert holdout["holdout_roc_auc"] > 0.95


@pytest.mark.security
def test_dashboard_listens_on_loopback_only(dashboard) -> None:  # type: ignore[no-untyped-def]
    """The server `make dashboard` starts binds 127.0.0.1 only (its stop is checked when the session ends)."""
    from urllib.parse import urlsplit

    from tests.security.test_loopback import LOOPBACK, wait_listening

    addresses = wait_listening(int(urlsplit(dashboard.url).port or 0))
    assert addresses and addresses <= LOOPBACK, addresses
