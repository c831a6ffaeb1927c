"""Shared fixtures. ZenML state is isolated: the whole session uses a temporary ZENML_CONFIG_PATH."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

# Before anything imports zenml: never touch the user's ~/.config/zenml or send analytics.
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="pmlops-tests-"))
os.environ["ZENML_CONFIG_PATH"] = str(_SESSION_DIR / "zenml")
os.environ["ZENML_ANALYTICS_OPT_IN"] = "false"
os.environ["WHYLOGS_NO_ANALYTICS"] = "True"
os.environ["AUTO_OPEN_DASHBOARD"] = "false"

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import portable_mlops.compat  # noqa: E402, F401
from portable_mlops.data.loading import load_builtin  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _keep_repository_config() -> Iterator[None]:
    """Tests activate stacks, which ZenML records in the repository's ``.zen/config.yaml``; put the
    developer's file back afterwards, so a test run leaves no trace in the working copy."""
    config = ROOT / ".zen" / "config.yaml"
    saved = config.read_bytes() if config.exists() else None
    yield
    if saved is not None:
        config.write_bytes(saved)


@pytest.fixture(scope="session")
def session_dir() -> Path:
    """The session's temporary directory (ZenML config lives in its ``zenml`` folder)."""
    return _SESSION_DIR


@pytest.fixture(scope="session")
def cancer() -> pd.DataFrame:
    """The default data set, as the pipeline loads it."""
    return load_builtin("breast_cancer")


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
