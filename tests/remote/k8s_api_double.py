"""KubernetesApiTestDouble: a test double of a Kubernetes API server with the Seldon Core v1 operator and
an ingress, on loopback. The model servers behind it are real: MLServer containers of the project's
serving image, run with podman.

No Kubernetes API server can run on these machines. This test double speaks the part of the API that
ZenML's Seldon client uses, over real HTTP on loopback, through the real ``kubernetes`` Python client
and a kubeconfig, and it is strict where a real cluster is strict:

* it admits a SeldonDeployment only if it validates against the CRD's openAPIV3Schema (v1.18.2,
  ``../shared/schemas``), and answers 422 with the schema errors otherwise;
* updates must be ``application/merge-patch+json`` and are applied as RFC 7386 merge patches, then
  validated again; creates of existing names answer 409, reads of missing ones 404;
* requests need the kubeconfig's bearer token (401 without it).

Its operator stand-in reconciles each SeldonDeployment the way Seldon's operator and kubelet would:
for every predictor, the storage initializer's step (read the ``envSecretRefName`` secret, rclone's
``RCLONE_CONFIG_S3_*``, and copy the ``modelUri`` directory out of S3 with those credentials into a
folder), then the predictor's model container: ``podman run`` of the image named in its
``componentSpecs``, with the container's env and that folder mounted at ``/mnt/models``, never pulling
(an image the machine lacks fails as ``ErrImagePull``). Only ``protocol: v2`` is served (MLServer).
The status is ``Available`` once every container answers MLServer's readiness check, ``Failed`` with
the reason otherwise; it carries no ``conditions`` at first, as the real operator's does. A new
generation starts new containers and stops the old ones once the new ones are ready; a delete stops
them. The ingress stand-in forwards ``/seldon/<ns>/<name>/v2/models/<model>/infer`` to one predictor's
container, drawn by ``traffic`` with a seeded random draw, and records which one answered.

What the double does in place of the cluster: the API server, the operator's bookkeeping, pod
networking (each container listens on free loopback ports, given as MLSERVER_*_PORT, instead of the
pod's 9000/9500) and the ingress. What a real cluster adds and this does not prove: the operator's
Deployments and Services, image pulls, the rclone init container itself, Istio or Ambassador routing,
RBAC, admission webhooks, resource scheduling and rolling-update timing.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

from tests.remote.services import free_port

SD_PATH = re.compile(r"^/apis/machinelearning\.seldon\.io/v1/namespaces/([^/]+)/seldondeployments(?:/([^/]+))?$")
SECRET_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets(?:/([^/]+))?$")
DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PREDICT_PATH = re.compile(r"^/seldon/([^/]+)/([^/]+)/v2/models/([^/]+)/infer$")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def crd_validator(crd_path: Path) -> Any:
    import jsonschema

    crd = yaml.safe_load(crd_path.read_text())
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")["schema"]["openAPIV3Schema"]
    return jsonschema.Draft7Validator(schema)


@dataclass
class Request:
    method: str
    path: str
    content_type: str
    body: Any
    status: int


@dataclass
class Predictor:
    """One predictor's running model container."""

    name: str
    traffic: int
    image: str
    container: str
    url: str
    metrics_url: str
    model_dir: Path


@dataclass
class KubernetesApiTestDouble:
    """Test double of a Kubernetes API server + Seldon operator + ingress (see the module docstring)."""

    crd_path: Path
    s3_endpoint: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    requests: list[Request] = field(default_factory=list)
    routed: list[str] = field(default_factory=list)
    deployments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    served: dict[tuple[str, str], list[Predictor]] = field(default_factory=dict)
    seed: int = 0
    port: int = 0
    #: podman's environment (CONTAINERS_CONF) and where model folders go.
    podman_env: dict[str, str] = field(default_factory=dict)
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="k8s-double-")))
    ready_timeout: float = 180.0

    def __post_init__(self) -> None:
        self._validator = crd_validator(self.crd_path)
        self._lock = threading.RLock()
        self._random = random.Random(self.seed)
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer = double.handle(
                    self.command, self.path, self.headers.get("Content-Type", ""), raw, self.headers
                )
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle  # noqa: N815 - http.server's names

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> KubernetesApiTestDouble:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            running = [p for predictors in self.served.values() for p in predictors]
            self.served.clear()
        self._stop_containers(running)

    def kubeconfig(self, path: Path, namespace: str, context: str = "pmlops-test-double") -> Path:
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "double", "cluster": {"server": self.url}}],
                    "users": [{"name": "double", "user": {"token": self.token}}],
                    "contexts": [
                        {"name": context, "context": {"cluster": "double", "user": "double", "namespace": namespace}}
                    ],
                    "current-context": context,
                }
            )
        )
        return path

    # --- the API -----------------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, content_type: str, raw: bytes, headers: Any) -> tuple[int, Any]:
        parsed = urlparse(raw_path)
        body = json.loads(raw) if raw else None
        if PREDICT_PATH.match(parsed.path):
            return self._predict(PREDICT_PATH.match(parsed.path), body)  # type: ignore[arg-type]
        if headers.get("Authorization") != f"Bearer {self.token}":
            return self._record(method, parsed.path, content_type, body, *status_of(401, "Unauthorized"))
        with self._lock:
            if match := SD_PATH.match(parsed.path):
                status, answer = self._seldon(method, match.group(1), match.group(2), content_type, body, parsed.query)
            elif match := SECRET_PATH.match(parsed.path):
                status, answer = self._secret(method, match.group(1), match.group(2), body)
            else:
                status, answer = status_of(404, f"no route {method} {parsed.path}")
        return self._record(method, parsed.path, content_type, body, status, answer)

    def _record(
        self, method: str, path: str, content_type: str, body: Any, status: int, answer: Any
    ) -> tuple[int, Any]:
        self.requests.append(Request(method, path, content_type.split(";")[0], copy.deepcopy(body), status))
        return status, answer

    def schema_errors(self, resource: dict[str, Any]) -> list[str]:
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in self._validator.iter_errors(resource)]
        if resource.get("apiVersion") != "machinelearning.seldon.io/v1" or resource.get("kind") != "SeldonDeployment":
            errors.append("apiVersion/kind must be machinelearning.seldon.io/v1 SeldonDeployment")
        if not DNS_1123.match(str(resource.get("metadata", {}).get("name", ""))):
            errors.append("metadata.name must be a DNS-1123 label")
        return errors

    def _seldon(
        self, method: str, ns: str, name: str | None, content_type: str, body: Any, query: str
    ) -> tuple[int, Any]:
        key = (ns, name or "")
        if name is None and method == "GET":
            selector = dict(
                part.split("=", 1) for part in (parse_qs(query).get("labelSelector") or [""])[0].split(",") if part
            )
            items = [
                d
                for (n, _), d in self.deployments.items()
                if n == ns and all(d["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
            ]
            return 200, {"apiVersion": "machinelearning.seldon.io/v1", "kind": "SeldonDeploymentList", "items": items}
        if name is None and method == "POST":
            name = str(body.get("metadata", {}).get("name"))
            key = (ns, name)
            if key in self.deployments:
                return status_of(409, f'seldondeployments "{name}" already exists')
            return self._admit(key, body, generation=1)
        if key not in self.deployments:
            return status_of(404, f'seldondeployments "{name}" not found')
        current = self.deployments[key]
        if method == "GET":
            return 200, current
        if method == "PATCH":
            if content_type.split(";")[0] != "application/merge-patch+json":
                return status_of(415, f"patch content type {content_type} is not supported here")
            merged = merge_patch({k: v for k, v in current.items() if k != "status"}, body)
            merged.pop("status", None)
            return self._admit(key, merged, generation=current["metadata"].get("generation", 1) + 1)
        if method == "DELETE":
            del self.deployments[key]
            self._stop_containers(self.served.pop(key, []))
            return status_of(200, "deleted", reason="Success")
        return status_of(405, f"{method} is not allowed")

    def _admit(self, key: tuple[str, str], resource: dict[str, Any], generation: int) -> tuple[int, Any]:
        errors = self.schema_errors(resource)
        if errors:
            return status_of(422, "SeldonDeployment is invalid: " + "; ".join(errors[:5]), reason="Invalid")
        stored = copy.deepcopy(resource)
        meta = stored.setdefault("metadata", {})
        meta.update(namespace=key[0], generation=generation, uid=meta.get("uid") or str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        stored["status"] = {"state": "Creating", "description": "the operator is reconciling"}  # no conditions
        self.deployments[key] = stored
        threading.Thread(target=self._reconcile, args=(key, generation), daemon=True).start()
        return (201 if generation == 1 else 200), stored

    def _secret(self, method: str, ns: str, name: str | None, body: Any) -> tuple[int, Any]:
        if name is None and method == "POST":
            name = body["metadata"]["name"]
            if (ns, name) in self.secrets:
                return status_of(409, f'secrets "{name}" already exists')
            self.secrets[(ns, name)] = body
            return 201, body
        if (ns, name or "") not in self.secrets:
            return status_of(404, f'secrets "{name}" not found')
        if method == "GET":
            return 200, self.secrets[(ns, name or "")]
        if method == "PUT":
            self.secrets[(ns, name or "")] = body
            return 200, body
        if method == "DELETE":
            del self.secrets[(ns, name or "")]
            return status_of(200, "deleted", reason="Success")
        return status_of(405, f"{method} is not allowed")

    # --- the operator and the servers ---------------------------------------------------------------

    def secret_env(self, ns: str, name: str | None) -> dict[str, str]:
        if not name or (ns, name) not in self.secrets:
            return {}
        data = self.secrets[(ns, name)].get("data") or {}
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    def _reconcile(self, key: tuple[str, str], generation: int) -> None:
        time.sleep(0.5)  # the operator is not instantaneous: the first read sees "Creating"
        with self._lock:
            resource = copy.deepcopy(self.deployments.get(key))
        if resource is None or resource["metadata"]["generation"] != generation:
            return
        started: list[Predictor] = []
        try:
            if resource["spec"].get("protocol") != "v2":
                raise RuntimeError(
                    f"this double runs MLServer (protocol v2) only, not {resource['spec'].get('protocol')}"
                )
            for predictor in resource["spec"]["predictors"]:
                started.append(self._start(key, generation, predictor))
            status = {
                "state": "Available",
                "replicas": resource["spec"].get("replicas", 1),
                "address": {
                    "url": f"http://{key[1]}-default.{key[0]}.svc.cluster.local:8000/v2/models/classifier/infer"
                },
                "deploymentStatus": {
                    p["name"]: {"replicas": p.get("replicas", 1)} for p in resource["spec"]["predictors"]
                },
            }
        except Exception as exc:  # noqa: BLE001 - becomes the resource's Failed status
            status = {"state": "Failed", "description": f"{type(exc).__name__}: {exc}"[:500]}
            self._stop_containers(started)
            started = []
        with self._lock:
            current = self.deployments.get(key)
            if current is None or current["metadata"]["generation"] != generation:
                stale = started
            else:
                current["status"] = status
                stale = self.served.pop(key, []) if started else []
                if started:
                    self.served[key] = started
        self._stop_containers(stale)

    def _storage_initializer(self, ns: str, graph: dict[str, Any], into: Path) -> None:
        """Copy ``modelUri`` out of S3 with the rclone secret's credentials, as Seldon's initializer does."""
        import boto3

        env = self.secret_env(ns, graph.get("envSecretRefName"))
        if (
            env.get("RCLONE_CONFIG_S3_ENV_AUTH", "false").lower() == "true"
            or "RCLONE_CONFIG_S3_ACCESS_KEY_ID" not in env
        ):
            raise RuntimeError(
                "storage initializer: no S3 credentials in the secret (env_auth has no metadata service here)"
            )
        s3 = boto3.client(
            "s3",
            endpoint_url=env.get("RCLONE_CONFIG_S3_ENDPOINT") or self.s3_endpoint,
            aws_access_key_id=env["RCLONE_CONFIG_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=env["RCLONE_CONFIG_S3_SECRET_ACCESS_KEY"],
            region_name=env.get("RCLONE_CONFIG_S3_REGION") or "us-east-1",
        )
        bucket, _, prefix = str(graph.get("modelUri", "")).removeprefix("s3://").partition("/")
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/").get("Contents") or []
        if not listed:
            raise RuntimeError(f"storage initializer: nothing at {graph.get('modelUri')}")
        for item in listed:
            target = into / item["Key"][len(prefix.rstrip("/")) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
        for path in [into, *into.rglob("*")]:  # the model server runs as uid 1000, as in the pod
            path.chmod(0o755 if path.is_dir() else 0o644)

    def _start(self, key: tuple[str, str], generation: int, predictor: dict[str, Any]) -> Predictor:
        """Storage initializer, then the predictor's model container; ready or raise with the reason."""
        import requests

        graph = predictor["graph"]
        containers = [c for spec in predictor.get("componentSpecs") or [] for c in spec["spec"].get("containers", [])]
        model = next((c for c in containers if c.get("name") == graph["name"]), None)
        if model is None or not model.get("image"):
            raise RuntimeError(f"predictor {predictor['name']}: no container image for graph node {graph['name']}")
        folder = self.workdir / f"{key[0]}-{key[1]}-{predictor['name']}-g{generation}-{uuid.uuid4().hex[:6]}"
        folder.mkdir(parents=True)
        folder.chmod(0o755)
        self._storage_initializer(key[0], graph, folder)
        env = {e["name"]: str(e.get("value", "")) for e in model.get("env") or []}
        http, grpc, metrics = (free_port() for _ in range(3))
        env.update(MLSERVER_HTTP_PORT=str(http), MLSERVER_GRPC_PORT=str(grpc), MLSERVER_METRICS_PORT=str(metrics))
        name = f"pmlops-double-{key[1]}-{predictor['name']}-{uuid.uuid4().hex[:8]}"[:60]
        cmd = ["podman", "run", "-d", "--pull", "never", "--name", name, "--network", "host"]
        cmd += ["-v", f"{folder}:/mnt/models:ro"]
        for k, v in env.items():
            cmd += ["-e", f"{k}={v}"]
        proc = subprocess.run([*cmd, model["image"]], env=self.podman_env, capture_output=True, text=True)
        if proc.returncode != 0:
            reason = (proc.stderr.strip().splitlines() or ["?"])[-1]
            raise RuntimeError(f"ErrImagePull: {model['image']}: {reason}")
        served = Predictor(
            predictor["name"],
            int(predictor.get("traffic") or 100),
            model["image"],
            name,
            f"http://127.0.0.1:{http}",
            f"http://127.0.0.1:{metrics}/metrics",
            folder,
        )
        ready = f"{served.url}/v2/models/{env.get('MLSERVER_MODEL_NAME', graph['name'])}/ready"
        deadline = time.time() + self.ready_timeout
        while time.time() < deadline:
            state = subprocess.run(
                ["podman", "inspect", "-f", "{{.State.Status}}", name],
                env=self.podman_env,
                capture_output=True,
                text=True,
            ).stdout.strip()
            if state != "running":
                logs = self.container_logs(name)
                self._stop_containers([served])
                raise RuntimeError(f"model container exited ({state}): {logs[-300:]}")
            try:
                if requests.get(ready, timeout=2).status_code == 200:
                    return served
            except requests.RequestException:
                pass
            time.sleep(0.5)
        logs = self.container_logs(name)
        self._stop_containers([served])
        raise RuntimeError(f"model container not ready in {self.ready_timeout:.0f} s: {logs[-300:]}")

    def container_logs(self, name: str) -> str:
        proc = subprocess.run(["podman", "logs", name], env=self.podman_env, capture_output=True, text=True)
        return proc.stdout + proc.stderr

    def _stop_containers(self, predictors: list[Predictor]) -> None:
        for predictor in predictors:
            subprocess.run(
                ["podman", "rm", "-f", "-t", "5", predictor.container], env=self.podman_env, capture_output=True
            )
            shutil.rmtree(predictor.model_dir, ignore_errors=True)

    def _predict(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        import requests

        key, model = (match.group(1), match.group(2)), match.group(3)
        with self._lock:
            predictors = list(self.served.get(key) or [])
            available = self.deployments.get(key, {}).get("status", {}).get("state") == "Available"
        if not predictors or not available:
            return 503, {"error": f"no available SeldonDeployment {key[1]} in {key[0]}"}
        draw = self._random.uniform(0, sum(p.traffic for p in predictors))
        chosen = predictors[-1]
        for predictor in predictors:
            if draw < predictor.traffic:
                chosen = predictor
                break
            draw -= predictor.traffic
        try:
            answer = requests.post(f"{chosen.url}/v2/models/{model}/infer", json=body, timeout=60)
        except requests.RequestException as exc:
            return 503, {"error": f"upstream connect error: {type(exc).__name__}"}
        self.routed.append(chosen.name)
        try:
            return answer.status_code, answer.json()
        except ValueError:
            return answer.status_code, {"error": answer.text[:300]}

    # --- reading the record --------------------------------------------------------------------------

    def writes(self) -> list[Request]:
        """Successful writes to SeldonDeployments, in order."""
        return [r for r in self.requests if "seldondeployments" in r.path and r.method != "GET" and r.status < 300]


def status_of(code: int, message: str, reason: str = "") -> tuple[int, dict[str, Any]]:
    """A Kubernetes ``Status`` object, as the API server answers errors."""
    return code, {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Success" if code < 300 else "Failure",
        "message": message,
        "reason": reason or {401: "Unauthorized", 404: "NotFound", 409: "AlreadyExists"}.get(code, ""),
        "code": code,
    }
