"""Load on a deployed endpoint, against in-process ``predict`` of the same model on the same rows.

Runs in the benchmark workspace's environment (it reads the deployed service from ZenML):
python -m benchmarks.serving_client --url http://127.0.0.1:PORT/invocations --requests 2000
python -m benchmarks.serving_client --protocol v2 --url http://127.0.0.1:PORT/v2/models/classifier/infer
Bodies are built before the clock starts, in the endpoint's protocol, as the project's client sends
them: for MLflow's scoring server ``serving.client.mlflow_body`` (``dataframe_split`` JSON for single
rows, Parquet for 1,000-row batches; the batches are also timed as JSON, what ``curl`` users send), for
MLServer the V2 inference protocol. Prints one JSON object.
"""

from __future__ import annotations

import http.client
import json
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import click
import numpy as np
import pandas as pd

import portable_mlops.compat  # noqa: F401
from portable_mlops.data.loading import load_builtin
from portable_mlops.serving.client import mlflow_body, payload, v2_request


def as_json(build: Callable[[pd.DataFrame], dict[str, Any]]) -> Callable[[pd.DataFrame], tuple[bytes, str]]:
    """A body builder of JSON bodies from a builder of request dicts."""
    return lambda frame: (json.dumps(build(frame)).encode(), "application/json")


#: Request body and content type of a frame, per protocol.
BODIES: dict[str, Callable[[pd.DataFrame], tuple[bytes, str]]] = {
    "mlflow": mlflow_body,
    "mlflow_json": as_json(payload),
    "v2": as_json(v2_request),
}


class Connection:
    """One keep-alive HTTP connection posting bodies (JSON unless told); returns status and latency."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.path = parts.path
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)

    def post(self, body: bytes, content_type: str = "application/json") -> tuple[int, float, bytes]:
        start = time.perf_counter()
        self.connection.request("POST", self.path, body=body, headers={"Content-Type": content_type})
        response = self.connection.getresponse()
        data = response.read()
        return response.status, time.perf_counter() - start, data


def rows(count: int) -> pd.DataFrame:
    """``count`` feature rows of the default data set (repeated as needed)."""
    frame = load_builtin("breast_cancer").drop(columns=["diagnosis"])
    return pd.concat([frame] * (count // len(frame) + 1), ignore_index=True).iloc[:count]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def serial(url: str, bodies: list[bytes]) -> dict[str, Any]:
    """One client, one request after another (each a single row)."""
    connection = Connection(url)
    latencies, failures = [], 0
    start = time.perf_counter()
    for body in bodies:
        status, seconds, _ = connection.post(body)
        failures += status != 200
        latencies.append(seconds)
    wall = time.perf_counter() - start
    return {
        "requests": len(bodies),
        "failures": failures,
        "requests_per_s": len(bodies) / wall,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
    }


def concurrent(url: str, bodies: list[bytes], clients: int) -> dict[str, Any]:
    """``clients`` threads, each with its own keep-alive connection, sharing ``bodies``."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    share = [bodies[i::clients] for i in range(clients)]

    def work(mine: list[bytes]) -> None:
        connection = Connection(url)
        own = []
        for body in mine:
            status, seconds, _ = connection.post(body)
            own.append(seconds)
            if status != 200:
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(own)

    threads = [threading.Thread(target=work, args=(mine,)) for mine in share]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    return {
        "clients": clients,
        "requests": len(bodies),
        "failures": failures[0],
        "requests_per_s": len(bodies) / wall,
        "p50_ms": percentile(latencies, 50) * 1e3,
        "p99_ms": percentile(latencies, 99) * 1e3,
    }


def batches(url: str, frame: pd.DataFrame, size: int, count: int, protocol: str = "mlflow") -> dict[str, Any]:
    """``count`` requests of ``size`` rows each, serially."""
    body, content_type = BODIES[protocol](frame.iloc[:size])
    connection = Connection(url)
    connection.post(body, content_type)
    start = time.perf_counter()
    failures = sum(connection.post(body, content_type)[0] != 200 for _ in range(count))
    wall = time.perf_counter() - start
    return {"batch_rows": size, "batches": count, "failures": failures, "rows_per_s": size * count / wall}


def in_process(model: Any, frame: pd.DataFrame, single: int, size: int, count: int) -> dict[str, Any]:
    """The same calls without HTTP: the loaded MLflow model's ``predict``."""
    latencies = []
    for i in range(single):
        row = frame.iloc[i % len(frame) : i % len(frame) + 1]
        start = time.perf_counter()
        model.predict(row)
        latencies.append(time.perf_counter() - start)
    batch = frame.iloc[:size]
    start = time.perf_counter()
    for _ in range(count):
        model.predict(batch)
    wall = time.perf_counter() - start
    return {
        "single_row_per_s": single / sum(latencies),
        "single_row_p50_ms": statistics.median(latencies) * 1e3,
        "single_row_p99_ms": percentile(latencies, 99) * 1e3,
        "batch_rows_per_s": size * count / wall,
    }


def deployed_model_uri() -> str:
    """The model URI of the running endpoint of the active stack's model deployer."""
    import mlflow
    from zenml.client import Client

    stack = Client().active_stack
    tracker = stack.experiment_tracker
    if tracker is not None:
        mlflow.set_tracking_uri(tracker.get_tracking_uri())  # type: ignore[attr-defined]
        mlflow.set_registry_uri(tracker.get_tracking_uri())  # type: ignore[attr-defined]
    services = stack.model_deployer.find_model_server(running=True)  # type: ignore[union-attr]
    return str(services[0].config.model_uri)  # type: ignore[union-attr]


@click.command()
@click.option("--url", required=True)
@click.option("--requests", "count", type=int, default=2000)
@click.option("--clients", type=int, default=8)
@click.option("--batch-rows", type=int, default=1000)
@click.option("--batches", "batch_count", type=int, default=100)
@click.option("--protocol", type=click.Choice(["mlflow", "v2"]), default="mlflow", show_default=True)
def main(url: str, count: int, clients: int, batch_rows: int, batch_count: int, protocol: str) -> None:
    """Measure the endpoint at ``url`` and the same model in-process; print JSON."""
    import mlflow.pyfunc

    frame = rows(max(count, batch_rows))
    singles = [BODIES[protocol](frame.iloc[i : i + 1]) for i in range(count)]
    assert all(kind == "application/json" for _, kind in singles), "single rows go as JSON"
    bodies = [body for body, _ in singles]
    warm = Connection(url)
    for body in bodies[:50]:
        warm.post(body)
    result = {
        "serial": serial(url, bodies),
        "concurrent": concurrent(url, bodies, clients),
        "batches": batches(url, frame, batch_rows, batch_count, protocol),
    }
    if protocol == "mlflow":  # the same batches as JSON, as curl users send them
        result["batches_json"] = batches(url, frame, batch_rows, batch_count, "mlflow_json")
    model = mlflow.pyfunc.load_model(deployed_model_uri())
    result["in_process"] = in_process(model, frame, min(count, 1000), batch_rows, batch_count)
    click.echo(json.dumps(result))


if __name__ == "__main__":
    main()
