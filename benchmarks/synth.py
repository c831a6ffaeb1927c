"""Synthetic tabular data for the scale benchmark: numeric and categorical features, a binary label."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TARGET = "label"


def synthetic_frame(rows: int, numeric: int = 10, categorical: int = 2, levels: int = 8, seed: int = 0) -> pd.DataFrame:
    """``rows`` rows whose label depends on some numeric columns and one categorical column, with noise."""
    rng = np.random.default_rng(seed)
    data = {f"num_{i:02d}": rng.normal(size=rows).astype(np.float64) for i in range(numeric)}
    codes = [rng.integers(0, levels, rows) for _ in range(categorical)]
    names = np.array([f"level_{i}" for i in range(levels)])
    for i, code in enumerate(codes):
        data[f"cat_{i}"] = names[code]
    logit = data["num_00"] - 0.5 * data["num_01"] + 0.25 * data["num_02"] * data["num_03"]
    if categorical:
        logit = logit + (codes[0] % 3 - 1) * 0.8
    data[TARGET] = np.where(logit + rng.normal(scale=0.5, size=rows) > 0, "yes", "no")
    return pd.DataFrame(data)


def write(rows: int, path: Path, seed: int = 0) -> Path:
    """Write :func:`synthetic_frame` as Parquet (what a user would hand over at this size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    synthetic_frame(rows, seed=seed).to_parquet(path, index=False)
    return path
