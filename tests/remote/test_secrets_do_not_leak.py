"""Secrets reach components only through ZenML secrets and appear nowhere else.

The ZenML secrets pmlops-minio and pmlops-mlflow hold random values per session
(tests/remote/conftest.py). After the Kubeflow training run (kfp.local, in containers of the step image),
every place a run leaves something is read and searched for those values: the ZenML server's runs, steps,
artifact versions and model versions (configs, run metadata) and every step's log entries; every
object in the S3 bucket (artifacts, code archives, logs; archives are opened); the MLflow server's
runs (params, tags, metrics), registered models, its artifact directory and its tracking database; the
compiled KFP specs; the tasks' own output (the pods' logs) and the servers' logs. A canary planted in
each place shows that the search reaches it.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import shutil
import tarfile
import uuid
import zipfile

import pytest

from tests.remote.services import BUCKET, Remote

pytestmark = [pytest.mark.security, pytest.mark.kubeflow]

ZENML_DUMP = """
import json
import portable_mlops.compat
from zenml.client import Client
from zenml.constants import ENTRIES, LOGS
client = Client()
out, logs_seen = {}, 0

def read_logs(where, collection):
    global logs_seen
    for logs in collection or []:
        entries = client.zen_store.get(f"{LOGS}/{logs.id}{ENTRIES}", params={"limit": 50000})
        out[f"zenml logs {where} {logs.source}"] = json.dumps(entries)
        logs_seen += 1


for run in client.list_pipeline_runs(size=1000, hydrate=True).items:
    out[f"zenml run {run.name}"] = run.model_dump_json()
    read_logs(run.name, run.log_collection)
    for step in client.list_run_steps(pipeline_run_id=run.id, size=1000, hydrate=True).items:
        out[f"zenml step {run.name}/{step.name}"] = step.model_dump_json()
        read_logs(f"{run.name}/{step.name}", step.log_collection)
for version in client.list_artifact_versions(size=1000, hydrate=True).items:
    out[f"zenml artifact {version.artifact.name} v{version.version}"] = version.model_dump_json()
for version in client.list_model_versions(size=1000, hydrate=True).items:
    out[f"zenml model version {version.model.name} {version.name}"] = version.model_dump_json()
components = client.list_stack_components(size=1000, hydrate=True).items
out["zenml stack components"] = json.dumps([c.model_dump(mode="json") for c in components])
assert logs_seen, "no step logs on the server"
json.dump(out, open(sys.argv[1], "w"))
"""


def needles(value: str) -> list[bytes]:
    """A value as it could appear: verbatim, its random part alone, base64 (Kubernetes secret data)."""
    random_part = value.rsplit("-", 1)[-1]
    return [value.encode(), random_part.encode(), base64.b64encode(value.encode())]


def unpacked(name: str, data: bytes) -> list[tuple[str, bytes]]:
    """The blob and, for an archive (code archives, zipped or gzipped artifacts), its members."""
    out = [(name, data)]
    try:
        if data[:2] == b"\x1f\x8b":
            out += unpacked(f"{name}!gunzip", gzip.decompress(data))
        elif data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(io.BytesIO(data)) as zipped:
                for member in zipped.namelist():
                    out += unpacked(f"{name}!{member}", zipped.read(member))
        elif len(data) > 262 and data[257:262] == b"ustar":
            with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                for member in tar.getmembers():
                    if member.isfile() and (content := tar.extractfile(member)) is not None:
                        out += unpacked(f"{name}!{member.name}", content.read())
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile):
        pass  # not an archive after all: the raw bytes are searched
    return out


def collect(remote: Remote) -> dict[str, dict[str, bytes]]:
    """Everything the runs left, by place: {place: {item: bytes}}."""
    from mlflow import MlflowClient

    places: dict[str, dict[str, bytes]] = {}
    dump = remote.root / f"zenml-dump-{uuid.uuid4().hex[:8]}.json"
    remote.python(ZENML_DUMP.replace("sys.argv[1]", repr(str(dump))))
    places["zenml server"] = {k: v.encode() for k, v in json.loads(dump.read_text()).items()}
    dump.unlink()

    s3, bucket = remote.s3(), {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for obj in page.get("Contents", []):
            data = s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read()
            bucket.update(unpacked(f"s3://{BUCKET}/{obj['Key']}", data))
    places["s3 bucket"] = bucket

    client = MlflowClient(tracking_uri=remote.mlflow_url, registry_uri=remote.mlflow_url)
    mlflow: dict[str, bytes] = {}
    experiments = client.search_experiments()
    for run in client.search_runs([e.experiment_id for e in experiments], max_results=5000):
        # The one expected place of the MLflow username: MLflow records the authenticated user as the
        # run's owner (tag mlflow.user, column user_id). An identity, not a credential; checked apart.
        tags = {k: v for k, v in run.data.tags.items() if k != "mlflow.user"}
        owners = {run.data.tags.get("mlflow.user"), run.info.user_id}
        mlflow[f"mlflow run {run.info.run_id}"] = (
            json.dumps({"params": run.data.params, "tags": tags, "metrics": run.data.metrics, "info": dict(run.info)})
            .encode()
            .replace(f'"user_id": "{run.info.user_id}"'.encode(), b'"user_id": "<owner>"')
        )
        mlflow[f"mlflow run owner {run.info.run_id}"] = json.dumps(sorted(map(str, owners))).encode()
    for version in client.search_model_versions():
        mlflow[f"mlflow model {version.name} v{version.version}"] = json.dumps(dict(version)).encode()
    for path in (remote.root / "mlruns").rglob("*"):
        if path.is_file():
            mlflow.update(unpacked(str(path), path.read_bytes()))
    mlflow["mlflow tracking database"] = (remote.root / "mlflow.db").read_bytes()
    places["mlflow server"] = mlflow

    specs = [*remote.root.glob("client/**/pipelines/*.yaml"), *remote.root.glob("client/**/pipelines/*.json")]
    places["compiled KFP specs"] = {str(p): p.read_bytes() for p in specs}
    logs = [*remote.root.glob("pod-logs/*.log"), *remote.root.glob("logs/*.log"), *remote.root.glob("server/**/*.log")]
    places["process logs"] = {str(p): p.read_bytes() for p in logs}
    return places


def leaks(places: dict[str, dict[str, bytes]], secrets: dict[str, str]) -> list[str]:
    """``place: item holds secret`` for every secret value found."""
    found = []
    for place, items in places.items():
        for item, data in items.items():
            for secret, value in secrets.items():
                if any(needle in data for needle in needles(value)):
                    found.append(f"{place}: {item} holds the value of {secret}")
    return found


@pytest.fixture(scope="module")
def places(executed: str, remote: Remote) -> dict[str, dict[str, bytes]]:
    """What the runs left, with a canary planted in one item of each place (removed again)."""
    from mlflow import MlflowClient

    canary = f"pmlops-canary-{uuid.uuid4().hex}"
    s3 = remote.s3()
    s3.put_object(Bucket=BUCKET, Key="security-canary/planted.txt", Body=canary.encode())
    client = MlflowClient(tracking_uri=remote.mlflow_url)
    run_id = client.search_runs([e.experiment_id for e in client.search_experiments()], max_results=1)[0].info.run_id
    client.set_tag(run_id, "pmlops.security.canary", canary)
    remote.python(
        "import portable_mlops.compat\nfrom zenml.client import Client\n"
        "from zenml.utils.metadata_utils import log_metadata\n"
        f"run = Client().list_pipeline_runs(size=1, sort_by='desc:created').items[0]\n"
        f"log_metadata(metadata={{'pmlops_security_canary': {canary!r}}}, run_id_name_or_prefix=run.id)\n"
    )
    spec_canary = remote.root / "client" / "kubeflow" / "canary" / "pipelines" / "planted.yaml"
    log_canary = remote.root / "pod-logs" / "planted.log"
    for path in (spec_canary, log_canary):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(canary)
    try:
        collected = collect(remote)
    finally:
        s3.delete_object(Bucket=BUCKET, Key="security-canary/planted.txt")
        client.delete_tag(run_id, "pmlops.security.canary")
        shutil.rmtree(spec_canary.parent.parent)
        log_canary.unlink()
    collected["canary"] = {"": canary.encode()}
    return collected


def test_the_scan_reaches_every_place_and_finds_a_planted_value(places: dict[str, dict[str, bytes]]) -> None:
    canary = places["canary"][""].decode()
    searched = {place: items for place, items in places.items() if place != "canary"}
    assert all(searched.values()), {place: len(items) for place, items in searched.items()}
    found = {line.split(":", 1)[0] for line in leaks(searched, {"canary": canary})}
    assert found == set(searched), f"the planted canary was not found in {set(searched) - found}"
    assert any(" logs " in item for item in searched["zenml server"]), "no step log entries were read"
    assert any("!" in item for item in searched["s3 bucket"]), "no archive in the bucket was opened"


def test_no_secret_value_appears_in_logs_metadata_or_artifacts(
    places: dict[str, dict[str, bytes]], remote: Remote
) -> None:
    searched = {place: items for place, items in places.items() if place != "canary"}
    found = leaks(searched, remote.secret_values)
    # MLflow records the tracking username as each run's owner (tag mlflow.user), so the username is in
    # those places and in the tracking database that stores them; nowhere else. Passwords and keys: nowhere.
    username = "pmlops-mlflow.username"
    owner = [f for f in found if f.endswith(username) and (" run owner " in f or "tracking database" in f)]
    assert owner, "the MLflow username was expected as the runs' owner (mlflow.user); the search missed it"
    found = [f for f in found if f not in owner]
    assert not found, "secret values outside the ZenML secrets store:\n" + "\n".join(found[:40])
