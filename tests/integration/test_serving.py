"""Deployment, batch inference, drift monitoring and continuous training on the local stack."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests

from portable_mlops.data.batches import make_batch
from portable_mlops.serving.client import ServingError, payload, predict_http
from tests.integration.conftest import Result, champion, registry_versions, run_cli

pytestmark = pytest.mark.integration
MODEL = "breast_cancer_classifier"


def endpoint_of(result: Result) -> str:
    found = re.search(r"endpoint: (http://\S+)", result.stdout)
    assert found, result.stdout[-2000:]
    return found.group(1)


def holdout_and_expected() -> tuple[pd.DataFrame, np.ndarray]:
    """The champion's holdout features and the champion's own in-process predictions for them."""
    import mlflow

    from portable_mlops.lifecycle.champion import production_artifact
    from portable_mlops.lifecycle.registry import load_version
    from tests.integration.conftest import mlflow_client

    client = mlflow_client()
    mlflow.set_tracking_uri(client.tracking_uri)
    mlflow.set_registry_uri(client.tracking_uri)
    holdout = production_artifact(MODEL, "test_set").drop(columns=["diagnosis"])
    model = load_version(MODEL, champion(MODEL))
    return holdout, np.asarray(model.predict(holdout)).astype(str)


@pytest.fixture(scope="module")
def deployed(first_run) -> str:
    result = run_cli("--pipeline", "deployment")
    assert result.code == 0, result.stderr[-3000:]
    assert "curl -s -X POST" in result.stdout
    return endpoint_of(result)


def test_endpoint_answers_the_champions_predictions(deployed: str) -> None:
    holdout, expected = holdout_and_expected()
    assert deployed.startswith("http://127.0.0.1:") or deployed.startswith("http://localhost:")
    assert np.array_equal(predict_http(deployed, holdout).astype(str), expected)


def test_the_endpoint_port_is_one_the_os_handed_out(deployed: str) -> None:
    """ZenML's MLflow endpoint takes the first free port from 8000 up, which two deployments at once both
    find: the second server cannot bind, and its health check then passes against the first one's server
    (another model). The deployer binds to port 0 instead: the port lies in the kernel's ephemeral range."""
    low, high = map(int, Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    port = int(deployed.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    assert low <= port <= high, f"port {port} is outside the OS's ephemeral range {low}-{high}"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"dataframe_split": {"columns": ["nope"], "data": [[1]]}}',
        b'{"dataframe_split": {"columns": ["mean radius"], "data": [["text"]]}}',
        b'{"unknown_format": []}',
    ],
)
def test_malformed_requests_get_4xx_and_the_server_stays_up(deployed: str, body: bytes) -> None:
    response = requests.post(deployed, data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert 400 <= response.status_code < 500, response.text[:300]
    holdout, expected = holdout_and_expected()
    assert np.array_equal(predict_http(deployed, holdout.head(5)).astype(str), expected[:5])


def _bad_bodies():  # type: ignore[no-untyped-def]
    """Malformed requests: random bytes and JSON, wrong shapes, wrong columns, wrong types, oversized."""
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
    json_values = st.recursive(
        scalars, lambda c: st.lists(c, max_size=5) | st.dictionaries(st.text(max_size=10), c, max_size=5), max_leaves=20
    )
    columns = st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=4, unique=True)
    frames = columns.flatmap(
        lambda cols: st.fixed_dictionaries(
            {
                "dataframe_split": st.fixed_dictionaries(
                    {
                        "columns": st.just(cols),
                        "data": st.lists(
                            st.lists(scalars, min_size=len(cols), max_size=len(cols)), min_size=1, max_size=5
                        ),
                    }
                )
            }
        )
    )
    as_json = (json_values | frames | st.fixed_dictionaries({"inputs": json_values})).map(
        lambda v: json.dumps(v).encode()
    )
    oversized = st.integers(1, 8).map(
        lambda mb: b'{"dataframe_split": {"columns": ["x"], "data": [["' + b"y" * (mb << 20) + b'"]]}}'
    )
    return st.binary(max_size=200) | as_json | oversized


def test_thousands_of_malformed_requests_get_4xx_and_valid_ones_still_answer(deployed: str) -> None:
    from hypothesis import HealthCheck, given, settings

    holdout, expected = holdout_and_expected()
    codes: list[int] = []
    session = requests.Session()

    @settings(max_examples=1500, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(body=_bad_bodies())
    def send(body: bytes) -> None:
        response = session.post(deployed, data=body, headers={"Content-Type": "application/json"}, timeout=30)
        codes.append(response.status_code)
        assert 400 <= response.status_code < 500, (body[:200], response.status_code, response.text[:300])

    send()
    assert len(codes) >= 1000
    assert np.array_equal(predict_http(deployed, holdout).astype(str), expected)


def test_bad_batch_stops_inference_and_the_endpoint_keeps_serving(deployed: str, tmp_path: Path) -> None:
    batch = make_batch(100, seed=3, labels=False).drop(columns=["mean area"])
    path = tmp_path / "bad.csv"
    batch.to_csv(path, index=False)
    result = run_cli("--pipeline", "inference", "--data", str(path), "--model-name", MODEL)
    assert result.code == 1
    assert "column 'mean area': required column (missing)" in result.last_error_line
    holdout, expected = holdout_and_expected()
    assert np.array_equal(predict_http(deployed, holdout.head(5)).astype(str), expected[:5])


def test_clean_batch_is_scored_through_the_endpoint_without_drift(deployed: str, tmp_path: Path) -> None:
    from zenml.client import Client

    path = tmp_path / "clean.csv"
    make_batch(200, seed=11, labels=False).to_csv(path, index=False)
    result = run_cli("--pipeline", "inference", "--data", str(path), "--model-name", MODEL)
    assert result.code == 0, result.stderr[-2000:]
    assert "scored 200 rows" in result.stdout and "no drift" in result.stdout
    run = Client().get_pipeline("inference").last_run
    predictions = run.steps["predict_batch"].outputs["predictions"][0]
    assert predictions.load()["prediction"].isin(["benign", "malignant"]).all()
    assert run.steps["predict_batch"].run_metadata["scored_by"] == deployed
    assert run.model_version.stage == "production" and run.model_version.model.name == MODEL


def test_drifted_batch_triggers_retraining_through_the_gate(deployed: str, tmp_path: Path) -> None:
    path = tmp_path / "drifted.csv"
    make_batch(300, seed=5, shift=1.5).to_csv(path, index=False)
    versions = registry_versions(MODEL)
    result = run_cli("--pipeline", "inference", "--data", str(path), "--model-name", MODEL, "--retrain-on-drift")
    assert result.code == 0, result.stderr[-2000:]
    assert "DRIFT in" in result.stdout and "mean radius" in result.stdout
    assert "retraining 'breast_cancer_classifier'" in result.stdout and "[training] run" in result.stdout
    assert "gate:" in result.stdout
    assert len(registry_versions(MODEL)) == len(versions) + 1


def test_drift_without_retraining_only_reports(deployed: str, tmp_path: Path) -> None:
    path = tmp_path / "drifted.csv"
    make_batch(200, seed=6, shift=1.5).to_csv(path, index=False)
    versions = registry_versions(MODEL)
    result = run_cli("--pipeline", "inference", "--data", str(path), "--model-name", MODEL)
    assert result.code == 0 and "not retraining: retraining is off" in result.stdout
    assert registry_versions(MODEL) == versions


def test_killed_endpoint_is_detected_and_restored_by_the_deployment_pipeline(deployed: str) -> None:
    import os
    import signal

    import psutil
    from zenml.client import Client
    from zenml.services.service import BaseDeploymentService

    responses = [s for s in Client().list_services(size=50).items if s.config.get("model_name") == MODEL]
    daemon = psutil.Process(BaseDeploymentService.from_model(responses[0]).status.pid)
    for process in [*daemon.children(recursive=True), daemon]:
        os.kill(process.pid, signal.SIGKILL)
    psutil.wait_procs([daemon], timeout=10)
    with pytest.raises(requests.ConnectionError):
        requests.post(deployed, json={}, timeout=5)
    result = run_cli("--pipeline", "deployment")
    assert result.code == 0, result.stderr[-2000:]
    restored = endpoint_of(result)
    holdout, expected = holdout_and_expected()
    assert np.array_equal(predict_http(restored, holdout).astype(str), expected)
    services = [s for s in Client().list_services(size=50).items if s.config.get("model_name") == MODEL]
    assert len(services) == 1


def test_healthy_endpoint_is_kept_by_a_plain_redeploy() -> None:
    from zenml.client import Client

    before = {s.id for s in Client().list_services(size=50).items}
    result = run_cli("--pipeline", "deployment")
    assert result.code == 0, result.stderr[-2000:]
    assert {s.id for s in Client().list_services(size=50).items} == before


def test_forced_redeploy_replaces_the_old_service(tmp_path: Path) -> None:
    import yaml
    from zenml.client import Client

    from tests.conftest import ROOT

    config = yaml.safe_load((ROOT / "configs" / "deployment.yaml").read_text())
    config.setdefault("parameters", {}).setdefault("deploy", {})["force"] = True
    path = tmp_path / "deploy.yaml"
    path.write_text(yaml.safe_dump(config))
    from zenml.services.service import BaseDeploymentService

    old_response = next(s for s in Client().list_services(size=50).items if s.config.get("model_name") == MODEL)
    deployed = BaseDeploymentService.from_model(old_response).prediction_url
    result = run_cli("--pipeline", "deployment", "--config", str(path))
    assert result.code == 0, result.stderr[-2000:]
    new = endpoint_of(result)
    assert new != deployed
    with pytest.raises(requests.ConnectionError):
        requests.post(deployed, json=payload(pd.DataFrame({"a": [1]})), timeout=5)
    services = [s for s in Client().list_services(size=50).items if s.config.get("model_name") == MODEL]
    assert len(services) == 1
    holdout, expected = holdout_and_expected()
    assert np.array_equal(predict_http(new, holdout).astype(str), expected)


def test_mlflows_server_answers_json_and_parquet_bodies_as_the_model_predicts(tmp_path: Path) -> None:
    """The client sends small frames as JSON and batches as Parquet (``mlflow_body``). MLflow's own
    scoring server (``mlflow models serve``, what ZenML's MLflow deployer runs) answers both with the
    model's in-process predictions: text gaps, a category training never saw and the text "NA" (which a
    CSV body would have turned into a gap) included; a Parquet body it refuses is resent as JSON."""
    import subprocess
    import sys

    from portable_mlops.data.loading import features
    from portable_mlops.modeling.estimators import build_candidate
    from portable_mlops.serving import client
    from portable_mlops.serving.client import PARQUET, PARQUET_FROM_ROWS, mlflow_body
    from tests.conftest import mixed_frame
    from tests.integration.conftest import save_as_logged
    from tests.remote.services import free_port, wait_for

    frame = mixed_frame(n=PARQUET_FROM_ROWS + 40)
    frame.loc[frame.index[::7], "city"] = "NA"  # a real category that CSV readers take for missing
    X, y = features(frame, "label"), frame["label"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, y)
    saved = save_as_logged(model, X, tmp_path)
    asked = X.copy()
    asked.loc[asked.index[:3], "city"] = ["west", None, "NA"]  # unseen, a gap, "NA"
    assert mlflow_body(asked.head(5))[1] == "application/json" and mlflow_body(asked)[1] == PARQUET
    port = free_port()
    serve = ["models", "serve", "-m", str(saved), "--env-manager", "local", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", *serve],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/ping", seconds=120)
        url = f"http://127.0.0.1:{port}/invocations"
        expected = model.predict(asked).astype(str)
        named_na = asked[asked["city"] == "NA"]
        assert (model.predict(named_na) != model.predict(named_na.assign(city=None))).any()  # "NA" is no gap
        assert np.array_equal(predict_http(url, asked.head(5)).astype(str), expected[:5])  # JSON
        assert np.array_equal(predict_http(url, asked).astype(str), expected)  # Parquet
        assert url not in client._JSON_ONLY  # the Parquet body was taken
        # a bad request (a column missing) is refused in both formats: the caller gets the server's
        # answer, and the endpoint still gets Parquet afterwards
        with pytest.raises(ServingError, match="answered 400"):
            predict_http(url, asked.drop(columns="city"))
        assert url not in client._JSON_ONLY
        # types only JSON's casting fixes: integers for a number column, a text column with no value
        # (read from a CSV as float NaN): the server refuses the Parquet body and the client resends JSON
        filled = asked.assign(age=asked["age"].fillna(30.0))
        loose = filled.assign(age=filled["age"].astype("int64"), city=np.nan)
        assert loose["city"].dtype == "float64" and mlflow_body(loose)[1] == PARQUET
        expected = model.predict(filled.assign(city=None)).astype(str)
        assert np.array_equal(predict_http(url, loose).astype(str), expected)
        assert url in client._JSON_ONLY
    finally:
        server.terminate()
        server.wait(timeout=30)
