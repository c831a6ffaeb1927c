"""The champion travels: it loads, predicts and serves in environments built from nothing but its own
``requirements.txt`` on a clean interpreter, as every standard serving path builds them (MLflow's
isolated env managers, MLServer, Seldon, Vertex endpoints), with predictions equal to the project's.

The environments come from the package index through uv and are cached between runs, keyed by the
requirements (``~/.cache/portable-mlops/model-envs``, and MLflow's own ``MLFLOW_ENV_ROOT``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import requests

from tests.images import model_requirements_at
from tests.integration.conftest import mlflow_client
from tests.remote.services import free_port

pytestmark = pytest.mark.integration
MODEL = "breast_cancer_classifier"
URI = f"models:/{MODEL}@champion"
ENVS = Path.home() / ".cache" / "portable-mlops" / "model-envs"
MLFLOW_ENVS = Path.home() / ".cache" / "portable-mlops" / "mlflow-envs"
CLEAN_PYTHON = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
UV = shutil.which("uv", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")

LOAD = """
import json, sys
import mlflow, pandas as pd
rows = pd.read_json(sys.argv[1], orient="split")
model = mlflow.pyfunc.load_model(sys.argv[2])
print(json.dumps({"predictions": [str(p) for p in model.predict(rows)],
                  "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("zenml", "portable_mlops"))}))
"""


def model_env(requirements: str) -> Path:
    """A virtual environment with exactly ``requirements`` on the clean base interpreter (cached)."""
    assert UV is not None, "uv is needed (make install puts it in the venv; pip install uv)"
    env = ENVS / hashlib.sha256(requirements.encode()).hexdigest()[:16]
    if (env / ".complete").exists():
        return env
    shutil.rmtree(env, ignore_errors=True)
    env.parent.mkdir(parents=True, exist_ok=True)
    (env.parent / f"{env.name}.txt").write_text(requirements)
    uv_env = {**os.environ, "UV_SYSTEM_CERTS": "1", "VIRTUAL_ENV": str(env)}
    subprocess.run([UV, "venv", "--quiet", "--python", str(CLEAN_PYTHON), str(env)], check=True, env=uv_env)
    subprocess.run(
        [
            UV,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(env / "bin" / "python"),
            "-r",
            str(env.parent / f"{env.name}.txt"),
        ],
        check=True,
        env=uv_env,
    )
    (env / ".complete").touch()
    return env


@pytest.fixture(scope="module")
def champion(first_run, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The champion's requirements, the tracking URI, holdout rows and the project's own predictions."""
    import mlflow

    from portable_mlops.lifecycle.champion import production_artifact

    client = mlflow_client()
    tracking = client.tracking_uri
    tmp = tmp_path_factory.mktemp("travels")
    requirements = model_requirements_at(tracking, URI)
    rows = production_artifact(MODEL, "test_set").drop(columns=["diagnosis"]).head(40)
    rows_file = tmp / "rows.json"
    rows.to_json(rows_file, orient="split", index=False)
    mlflow.set_tracking_uri(tracking)
    try:
        ours = [str(p) for p in mlflow.pyfunc.load_model(URI).predict(rows)]
    finally:
        mlflow.set_tracking_uri(None)
    return {"requirements": requirements, "tracking": tracking, "rows": rows, "rows_file": rows_file, "ours": ours}


def test_its_requirements_name_only_what_the_model_needs(champion: dict[str, object]) -> None:
    names = {line.split("==")[0] for line in str(champion["requirements"]).split()}
    assert names == {"mlflow", "scikit-learn", "xgboost", "pandas", "numpy", "scipy", "cloudpickle"}


def test_it_loads_by_registry_uri_in_an_environment_of_its_own_requirements(
    champion: dict[str, object], tmp_path: Path
) -> None:
    env = model_env(str(champion["requirements"]))
    python = env / "bin" / "python"
    imported = subprocess.run([str(python), "-c", "import zenml"], capture_output=True, text=True)
    assert imported.returncode != 0 and "No module named 'zenml'" in imported.stderr  # nothing of the project's env
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    proc = subprocess.run(
        [str(python), "-I", str(script), str(champion["rows_file"]), URI],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "MLFLOW_TRACKING_URI": str(champion["tracking"])},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    assert answer["predictions"] == champion["ours"]
    # the model's own code (code_paths) is all it brought of this project
    assert answer["modules"] == ["portable_mlops", "portable_mlops.modeling", "portable_mlops.modeling.estimators"]


def test_mlflow_serves_it_from_an_isolated_environment(champion: dict[str, object], tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
        "MLFLOW_TRACKING_URI": str(champion["tracking"]),
        # uv and mlflow; then the interpreter this venv was made from: the model records its exact Python
        # (3.12.1), which uv takes only from a real interpreter (not a venv's, not a pyenv shim it refuses)
        "PATH": os.pathsep.join(
            [str(Path(sys.executable).parent), str(Path(sys.base_prefix) / "bin"), os.environ["PATH"]]
        ),
        "UV_SYSTEM_CERTS": "1",
        "UV_PYTHON_DOWNLOADS": "never",  # no network for Python builds here: fail, do not wait on a download
        "MLFLOW_ENV_ROOT": str(MLFLOW_ENVS),  # where MLflow keeps the environments it builds (cached)
    }
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "mlflow"),
            "models",
            "serve",
            "-m",
            URI,
            "--env-manager",
            "uv",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 600
        while time.time() < deadline and server.poll() is None:
            try:
                if requests.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(1)
        assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
        rows: pd.DataFrame = champion["rows"]  # type: ignore[assignment]
        body = {"dataframe_split": json.loads(rows.to_json(orient="split", index=False))}
        answer = requests.post(f"{url}/invocations", json=body, timeout=60)
        assert answer.status_code == 200, answer.text[:500]
        assert [str(p) for p in answer.json()["predictions"]] == champion["ours"]
        import psutil

        # the scoring server runs on an interpreter of the environment MLflow built, not of the project's
        children = psutil.Process(server.pid).children(recursive=True)
        executables = {Path(c.cmdline()[0]) for c in children if c.cmdline()}
        assert any(MLFLOW_ENVS in e.parents for e in executables), executables
        assert not any(Path(sys.prefix) in e.parents for e in executables), executables
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)
        log.close()


def test_an_xgboost_model_with_native_categoricals_loads_in_an_environment_of_its_own_requirements(
    tmp_path: Path,
) -> None:
    """XGBoost takes text columns as native categoricals (``NativeCategories``, in the model's own code):
    saved as the project logs a candidate, it loads in an environment of its requirements and predicts
    what it predicts here, unseen values and gaps included."""
    import mlflow.sklearn

    from portable_mlops.data.loading import features
    from portable_mlops.modeling.estimators import build_candidate
    from tests.conftest import mixed_frame
    from tests.integration.conftest import save_as_logged

    frame = mixed_frame()
    X, y = features(frame, "label"), frame["label"]
    model = build_candidate("xgboost", X, seed=0).fit(X, y)
    saved = save_as_logged(model, X, tmp_path)
    rows = X.head(30).copy()
    rows.loc[rows.index[:3], "city"] = ["atlantis", None, "north"]
    rows["age"] += 0.5  # JSON writes 57.0 as 57, which reads back as an integer the signature refuses
    rows_file = tmp_path / "rows.json"
    rows.to_json(rows_file, orient="split", index=False)
    ours = [str(p) for p in mlflow.pyfunc.load_model(str(saved)).predict(rows)]
    env = model_env((saved / "requirements.txt").read_text())
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    proc = subprocess.run(
        [str(env / "bin" / "python"), "-I", str(script), str(rows_file), str(saved)],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    assert answer["predictions"] == ours
    assert answer["modules"] == ["portable_mlops", "portable_mlops.modeling", "portable_mlops.modeling.estimators"]
    assert len(set(ours)) == 2  # both classes: the comparison is not of a constant
