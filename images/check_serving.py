"""Build and prove the MLServer serving image (images/serving/Dockerfile) on podman.

Run with a Python that has the model's own packages (mlflow, pandas, numpy: it loads the model in
process to compare predictions) - NOT the project's venv, which cannot hold MLServer's pins anyway::

    /tmp/pmlops/modelvenv/bin/python -m images.check_serving --model /tmp/pmlops/model/breast_cancer \
        --lock /tmp/pmlops/serving-lock.txt --wheelhouse /tmp/pmlops/wheelhouse-serving

Steps (each prints one JSON line): build (content-hash tag, so a second run reuses it), lay the model
out as Seldon's storage initializer does (``/mnt/models`` = the MLflow model directory plus a
``model-settings.json``), run the container with ``--network host`` on free ports, wait until ready,
compare a V2 ``pd`` request with in-process predictions, time ~300 serial single-row requests on one
keep-alive connection, and read the Prometheus endpoint. Repeats the timing with
``MLSERVER_PARALLEL_WORKERS=0``. The container is always removed.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from images import podman

SERVING_REPOSITORY = "localhost/pmlops-serving"
CONTAINER_NAME = "pmlops-serving-check"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def layout_model(model_dir: Path, dest: Path, name: str) -> Path:
    """Copy the MLflow model to ``dest`` (what the container sees as /mnt/models) + model-settings.json."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(model_dir, dest)
    settings = {"name": name, "implementation": "mlserver_mlflow.MLflowRuntime", "parameters": {"uri": "/mnt/models"}}
    (dest / "model-settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    for path in [dest, *dest.rglob("*")]:  # the container runs as uid 1000
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


def v2_request(frame: Any) -> dict[str, Any]:
    """A V2 inference request with one FP64 input per column (shape [n, 1]) and content_type pd."""
    return {
        "parameters": {"content_type": "pd"},
        "inputs": [
            {"name": str(col), "shape": [len(frame), 1], "datatype": "FP64", "data": frame[col].astype(float).tolist()}
            for col in frame.columns
        ],
    }


def post(conn: http.client.HTTPConnection, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST JSON on a keep-alive connection; return status and decoded body."""
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, json.loads(data) if data else {}


def wait_ready(port: int, model: str, timeout: float = 120.0) -> float:
    """Poll /v2/models/<model>/ready until 200; return seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", f"/v2/models/{model}/ready")
            if conn.getresponse().status == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"model {model} not ready on port {port} after {timeout} s")


def run_server(image: str, models: Path, env: dict[str, str], ports: dict[str, int], extra: dict[str, str]) -> None:
    """Start the serving container detached with --network host and the given MLSERVER_* settings."""
    settings = {
        "MLSERVER_HTTP_PORT": str(ports["http"]),
        "MLSERVER_GRPC_PORT": str(ports["grpc"]),
        "MLSERVER_METRICS_PORT": str(ports["metrics"]),
        **extra,
    }
    cmd = ["podman", "run", "-d", "--name", CONTAINER_NAME, "--network", "host", "-v", f"{models}:/mnt/models:ro"]
    for key, value in settings.items():
        cmd += ["-e", f"{key}={value}"]
    subprocess.run([*cmd, image], env=env, check=True, capture_output=True, text=True)


def stop_server(env: dict[str, str]) -> str:
    """Remove the serving container (if any) and return its last log lines."""
    logs = subprocess.run(["podman", "logs", "--tail", "15", CONTAINER_NAME], env=env, capture_output=True, text=True)
    subprocess.run(["podman", "rm", "-f", "-t", "5", CONTAINER_NAME], env=env, capture_output=True)
    return (logs.stdout + logs.stderr)[-2500:]


def timing(port: int, model: str, frame: Any, n: int) -> dict[str, float]:
    """Serial single-row requests on one keep-alive connection: req/s, p50, p99 (ms)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    bodies = [v2_request(frame.iloc[[i % len(frame)]]) for i in range(n)]
    for body in bodies[:20]:  # warm-up
        post(conn, f"/v2/models/{model}/infer", body)
    latencies = []
    start = time.perf_counter()
    for body in bodies:
        t0 = time.perf_counter()
        status, _ = post(conn, f"/v2/models/{model}/infer", body)
        latencies.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"status {status}")
    total = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": n,
        "req_per_s": round(n / total, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(latencies[int(0.99 * (n - 1))], 2),
    }


def metrics(port: int) -> dict[str, str]:
    """Fetch the Prometheus endpoint; return the request-count and latency sample lines for /infer."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    wanted: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name = line.split("{")[0].split(" ")[0]
        if ("infer" in line or name.startswith(("model_infer", "batch_request"))) and (
            name.endswith(("_count", "_sum", "_total")) or "count" in name
        ):
            wanted[line.rsplit(" ", 1)[0]] = line.rsplit(" ", 1)[1]
    names = sorted({line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and line[0] != "#"})
    return {"matching_samples": wanted, "all_metric_names": names}  # type: ignore[dict-item]


def main() -> int:
    """Build, run and measure (see the module docstring); exit 0 when predictions match."""
    import mlflow.pyfunc
    import numpy as np
    from sklearn.datasets import load_breast_cancer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="an MLflow model directory")
    parser.add_argument("--lock", type=Path, required=True, help="exact lock of the serving environment")
    parser.add_argument("--wheelhouse", type=Path, help="wheels for --no-index installs")
    parser.add_argument("--name", default="breast-cancer")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/pmlops-serving"))
    args = parser.parse_args()

    env = podman.podman_env()
    podman.check_podman(env)
    base = podman.ensure_python_base(env).ref
    build_args = {"BASE_IMAGE": base}
    volumes = []
    if args.wheelhouse:
        build_args["PIP_INSTALL_ARGS"] = "--no-index --find-links /wheels"
        volumes.append(f"{args.wheelhouse.resolve()}:/wheels:ro")
    result = podman.build_image(
        podman.HERE / "serving" / "Dockerfile",
        SERVING_REPOSITORY,
        env,
        context_files={"requirements.txt": args.model / "requirements.txt", "constraints.txt": args.lock},
        build_args=build_args,
        volumes=volumes,
    )
    size = podman.image_size(result.ref, env)
    print(
        json.dumps(
            {
                "image": result.ref,
                "built": result.built,
                "build_s": round(result.seconds, 1),
                "size_mb": round(size / 1e6, 1),
            }
        )
    )

    models = layout_model(args.model, args.workdir / "mnt-models", args.name)
    frame = load_breast_cancer(as_frame=True).data
    sample = frame.iloc[:20]
    local = mlflow.pyfunc.load_model(str(args.model))
    expected = np.asarray(local.predict(sample)).ravel()
    one = frame.iloc[[0]]
    t0 = time.perf_counter()
    for _ in range(200):
        local.predict(one)
    in_process_ms = (time.perf_counter() - t0) / 200 * 1000

    ok = True
    for label, extra in (
        ("parallel_workers=1 (default)", {}),
        ("parallel_workers=0", {"MLSERVER_PARALLEL_WORKERS": "0"}),
    ):
        ports = {"http": free_port(), "grpc": free_port(), "metrics": free_port()}
        subprocess.run(["podman", "rm", "-f", CONTAINER_NAME], env=env, capture_output=True)
        t0 = time.monotonic()
        run_server(result.ref, models, env, ports, extra)
        try:
            ready_s = wait_ready(ports["http"], args.name)
            conn = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=10)
            status, body = post(conn, f"/v2/models/{args.name}/infer", v2_request(sample))
            got = np.asarray(body["outputs"][0]["data"]).ravel() if status == 200 else np.array([])
            equal = int((got.astype(expected.dtype) == expected).sum()) if len(got) == len(expected) else 0
            ok &= equal == len(expected)
            print(
                json.dumps(
                    {
                        "mode": label,
                        "ports": ports,
                        "ready_s": round(ready_s, 1),
                        "start_to_ready_s": round(time.monotonic() - t0, 1),
                        "status": status,
                        "outputs": [{k: v for k, v in o.items() if k != "data"} for o in body.get("outputs", [])],
                        "equal_predictions": f"{equal}/{len(expected)}",
                    }
                )
            )
            stats = timing(ports["http"], args.name, frame, args.requests)
            print(json.dumps({"mode": label, **stats, "in_process_pyfunc_one_row_ms": round(in_process_ms, 2)}))
            met = metrics(ports["metrics"])
            print(json.dumps({"mode": label, "metrics": met["matching_samples"]}))
            if label.endswith("(default)"):
                print(json.dumps({"all_metric_names": met["all_metric_names"]}))
        except Exception as exc:  # noqa: BLE001 - report any failure of this mode, then clean up
            ok = False
            print(json.dumps({"mode": label, "error": f"{type(exc).__name__}: {exc}"}))
            print(stop_server(env), file=sys.stderr)
        finally:
            stop_server(env)
    print(json.dumps({"all_pass": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
