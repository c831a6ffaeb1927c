"""KubernetesApiTestDouble: a test double of a Kubernetes API server with the Seldon Core v1 operator,
an ingress and Seldon's prepackaged MLFLOW_SERVER behind it, on loopback.

No Kubernetes API server can run on these machines. This test double speaks the part of the API that
ZenML's Seldon client uses, over real HTTP on loopback, through the real ``kubernetes`` Python client
and a kubeconfig, and it is strict where a real cluster is strict:

* it admits a SeldonDeployment only if it validates against the CRD's openAPIV3Schema (v1.18.2,
  ``../shared/schemas``), and answers 422 with the schema errors otherwise;
* updates must be ``application/merge-patch+json`` and are applied as RFC 7386 merge patches, then
  validated again; creates of existing names answer 409, reads of missing ones 404;
* requests need the kubeconfig's bearer token (401 without it).

Its operator stand-in reconciles each SeldonDeployment the way the storage initializer and the
MLflow server would: read the ``envSecretRefName`` secret (rclone's ``RCLONE_CONFIG_S3_*``), copy the
predictor's ``modelUri`` directory out of S3 with those credentials, load it with MLflow's pyfunc
loader; then status ``Available`` with an address, or ``Failed`` with the reason. The status carries
no ``conditions`` at first, as the real operator's does. The ingress stand-in serves
``/seldon/<ns>/<name>/api/v0.1/predictions`` (Seldon protocol), splitting requests between predictors
by their ``traffic`` with a seeded random draw, and records which predictor answered.

What a real cluster adds and this does not prove: the operator creating Deployments and Services,
image pulls, the rclone init container, the conda environment the MLflow server builds, Istio or
Ambassador routing, RBAC, admission webhooks, resource scheduling and pod readiness.
"""

from __future__ import annotations

import base64
import copy
import json
import random
import re
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

SD_PATH = re.compile(r"^/apis/machinelearning\.seldon\.io/v1/namespaces/([^/]+)/seldondeployments(?:/([^/]+))?$")
SECRET_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/secrets(?:/([^/]+))?$")
PREDICT_PATH = re.compile(r"^/seldon/([^/]+)/([^/]+)/api/v0\.1/predictions$")
DNS_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MLFLOW_SERVER_IMAGE = "seldonio/mlflowserver:1.18.2"


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
    """What the MLflow-server stand-in loaded for one predictor."""

    name: str
    traffic: int
    model: Any


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
            self.served.pop(key, None)
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
        try:
            predictors = [self._load(key[0], p) for p in resource["spec"]["predictors"]]
            status = {
                "state": "Available",
                "replicas": resource["spec"].get("replicas", 1),
                "address": {"url": f"http://{key[1]}-default.{key[0]}.svc.cluster.local:8000/api/v1.0/predictions"},
                "deploymentStatus": {
                    p["name"]: {"replicas": p.get("replicas", 1)} for p in resource["spec"]["predictors"]
                },
            }
        except Exception as exc:  # noqa: BLE001 - becomes the resource's Failed status
            predictors, status = [], {"state": "Failed", "description": f"{type(exc).__name__}: {exc}"[:500]}
        with self._lock:
            current = self.deployments.get(key)
            if current is None or current["metadata"]["generation"] != generation:
                return
            current["status"] = status
            if predictors:
                self.served[key] = predictors

    def _load(self, ns: str, predictor: dict[str, Any]) -> Predictor:
        """Storage initializer + MLflow server: copy ``modelUri`` out of S3 with the secret, load it."""
        import boto3
        import mlflow.pyfunc

        graph = predictor["graph"]
        if graph.get("implementation") != "MLFLOW_SERVER":
            raise RuntimeError(f"this test double serves MLFLOW_SERVER only, not {graph.get('implementation')}")
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
        bucket, _, prefix = graph["modelUri"].removeprefix("s3://").partition("/")
        local = Path(tempfile.mkdtemp(prefix="seldon-model-"))
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/").get("Contents") or []
        if not listed:
            raise RuntimeError(f"storage initializer: nothing at {graph['modelUri']}")
        for item in listed:
            target = local / item["Key"][len(prefix.rstrip("/")) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, item["Key"], str(target))
        return Predictor(predictor["name"], int(predictor.get("traffic") or 100), mlflow.pyfunc.load_model(str(local)))

    def _predict(self, match: re.Match[str], body: Any) -> tuple[int, Any]:
        import pandas as pd

        key = (match.group(1), match.group(2))
        with self._lock:
            predictors = list(self.served.get(key) or [])
            available = self.deployments.get(key, {}).get("status", {}).get("state") == "Available"
        if not predictors or not available:
            return 503, {"status": {"code": 503, "info": f"no available SeldonDeployment {key[1]} in {key[0]}"}}
        data = (body or {}).get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or "ndarray" not in data:
            return 400, {"status": {"code": 400, "info": "expected {'data': {'names': [...], 'ndarray': [[...]]}}"}}
        draw = self._random.uniform(0, sum(p.traffic for p in predictors))
        chosen = predictors[-1]
        for predictor in predictors:
            if draw < predictor.traffic:
                chosen = predictor
                break
            draw -= predictor.traffic
        try:
            frame = pd.DataFrame(data["ndarray"], columns=data.get("names") or None)
            result = chosen.model.predict(frame)
        except Exception as exc:  # noqa: BLE001 - the server answers 500 with the reason, as Seldon's does
            return 500, {"status": {"code": 500, "info": f"{type(exc).__name__}: {exc}"[:300]}}
        self.routed.append(chosen.name)
        return 200, {
            "data": {"names": ["t:0"], "ndarray": [str(v) for v in list(result)]},
            "meta": {"requestPath": {"classifier": MLFLOW_SERVER_IMAGE}},
        }

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
