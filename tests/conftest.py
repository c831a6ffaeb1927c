"""Shared fixtures. ZenML state is isolated: the whole session uses a temporary ZENML_CONFIG_PATH."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Before anything imports zenml: never touch the user's ~/.config/zenml or send analytics.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="pmlops-tests-"))
os.environ["ZENML_CONFIG_PATH"] = str(_SESSION_DIR / "zenml")
# ...and no ZenML repository: the checkout's .zen/config.yaml is never read or written by a test (ZenML
# finds no repository in an empty ZENML_REPOSITORY_PATH; the source root stays the main module's folder)
(_SESSION_DIR / "no-repository").mkdir()
os.environ["ZENML_REPOSITORY_PATH"] = str(_SESSION_DIR / "no-repository")
os.environ["ZENML_ANALYTICS_OPT_IN"] = "false"
# MLflow's default tracking store is ./mlflow.db in the working directory: in-process checks that reset
# MLflow's URIs fall back to this one in the session's folder instead (subprocesses get no MLFLOW_*).
os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{_SESSION_DIR / 'mlflow-default.db'}"
os.environ["WHYLOGS_NO_ANALYTICS"] = "True"
os.environ["AUTO_OPEN_DASHBOARD"] = "false"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import portable_mlops.compat  # noqa: E402, F401
from portable_mlops.data.loading import load_builtin  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# ZenML takes its source root (to load our flavors and steps by their source path) from the main module's
# folder when there is no ZenML repository; a pytest-xdist worker's main module has no file: the checkout it is.
from zenml.utils import source_utils  # noqa: E402

source_utils.set_custom_source_root(ROOT)
#: podman, the step image and the serving images (tests/images.py)
pytest_plugins = ["tests.images"]


#: Test folders whose tests share session or module fixtures (servers, a first pipeline run, a running
#: Airflow, the benchmarks' measured results): with ``-n 2 --dist loadgroup`` (make test) each folder's tests
#: run on one worker, so those fixtures start once. The other folders' tests are spread one by one over
#: whichever worker is free.
XDIST_GROUPS = ("remote", "integration", "airflow", "browser", "bench")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadgroup`` by folder (:data:`XDIST_GROUPS`). xdist 3.8's own loadgroup marks a group by
    renaming the item's nodeid, which pytest 9.2 ignores (its nodeid is structured now): the grouping is
    done here, in the scheduler, from the nodeid's folder."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FolderGroups(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            parts = nodeid.split("/")
            return parts[1] if len(parts) > 2 and parts[0] == "tests" and parts[1] in XDIST_GROUPS else nodeid

    return FolderGroups(config, log)


@pytest.fixture(scope="session", autouse=True)
def _repository_config_untouched() -> Iterator[None]:
    """No test may write the checkout's ``.zen/config.yaml`` (a suite killed midway would leave it so):
    the file is compared, byte for byte, when the session ends."""
    config = ROOT / ".zen" / "config.yaml"
    before = config.read_bytes() if config.exists() else None
    yield
    after = config.read_bytes() if config.exists() else None
    assert after == before, f"the test session changed {config}; tests must use an isolated ZenML config"


@pytest.fixture(scope="session")
def session_dir() -> Path:
    """The session's temporary directory (ZenML config lives in its ``zenml`` folder)."""
    return _SESSION_DIR


@pytest.fixture(scope="session")
def cancer() -> pd.DataFrame:
    """The default data set, as the pipeline loads it."""
    return load_builtin("breast_cancer")


@pytest.fixture(scope="session")
def diabetes() -> pd.DataFrame:
    """scikit-learn's regression data set (442 rows, label ``progression``), as the pipeline loads it."""
    from portable_mlops.data.loading import prepare_frame

    return prepare_frame(load_builtin("diabetes"), "progression")


def mixed_frame(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """A small frame with numeric and text features, missing values and a string label."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n)
    city = rng.choice(["north", "south", "east"], n)
    age = rng.integers(18, 80, n).astype(float)
    score = income / 10 + (city == "north") * 3 + rng.normal(0, 1, n)
    frame = pd.DataFrame(
        {"income": income, "age": age, "city": city, "label": np.where(score > np.median(score), "yes", "no")}
    )
    frame.loc[rng.choice(n, n // 10, replace=False), "income"] = np.nan
    frame.loc[rng.choice(n, n // 10, replace=False), "city"] = None
    return frame


def group_frame(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Synthetic data with a sensitive column ``group``: for group b the label follows ``x`` with a
    higher threshold, so a model that may not see ``group`` misses b's positives near the boundary."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    x = rng.normal(size=n)
    label = np.where(x > np.where(group == "a", 0.0, -0.8), "yes", "no")
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n), "group": group, "label": label})


@pytest.fixture
def mixed() -> pd.DataFrame:
    """A fresh copy of :func:`mixed_frame`."""
    return mixed_frame()


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[[pd.DataFrame | str, str], Path]:
    """Write a frame (or raw text) to a CSV file under the test's temporary directory."""

    def _write(content: pd.DataFrame | str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        if isinstance(content, str):
            path.write_text(content)
        else:
            content.to_csv(path, index=False)
        return path

    return _write
