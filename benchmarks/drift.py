"""How often the drift check cries wolf on clean batches, and how often it catches a shifted one.

The figures of docs/monitoring.md come from here (``python -m benchmarks.run --only drift``), and
tests/unit/monitoring/test_drift.py re-measures the same quantities, smaller, on every test run,
checking them against binomial bounds: with a per-batch false-alarm rate ``alpha``, the number of
alarms in ``n`` clean batches is Binomial(n, alpha) at most.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

import portable_mlops.compat  # noqa: F401  (before whylogs)
from portable_mlops.data.batches import make_batch
from portable_mlops.data.loading import load_builtin
from portable_mlops.data.profiling import profile_frame
from portable_mlops.monitoring.drift import detect_drift
from portable_mlops.params import DriftParams


def synthetic(rows: int, seed: int) -> pd.DataFrame:
    """A fixed distribution: 15 numeric columns of different scales and one categorical column."""
    rng = np.random.default_rng(seed)
    data: dict[str, Any] = {f"x{i}": rng.normal(i, 1 + i / 5, rows) for i in range(15)}
    data["colour"] = rng.choice(["red", "green", "blue"], rows, p=[0.5, 0.3, 0.2])
    return pd.DataFrame(data)


def alarms(batches: int, draw: Callable[[int], tuple[pd.DataFrame, pd.DataFrame]], params: DriftParams) -> int:
    """How many of ``batches`` (batch, reference) pairs ``draw(seed)`` makes are flagged as drifted."""
    count = 0
    for seed in range(batches):
        batch, reference = draw(seed)
        count += detect_drift(profile_frame(batch), profile_frame(reference), params, ["diagnosis"]).drifted
    return count


def clean_synthetic(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A clean batch of 200 rows and a reference of 2,000, fresh independent draws for every seed."""
    return synthetic(200, seed), synthetic(2_000, 10_000 + seed)


def clean_default(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A clean batch of 200 rows of the default data against the whole default data."""
    return make_batch(200, seed), load_builtin("breast_cancer")


def shifted_default(shift: float) -> Callable[[int], tuple[pd.DataFrame, pd.DataFrame]]:
    """Batches of 200 rows with the 4 default columns moved by ``shift`` standard deviations."""
    return lambda seed: (make_batch(200, seed, shift), load_builtin("breast_cancer"))


def alarm_ceiling(batches: int, alpha: float, confidence: float = 0.999) -> int:
    """The most false alarms in ``batches`` clean batches that a rate of ``alpha`` explains at ``confidence``."""
    return int(binom.ppf(confidence, batches, alpha))


def run(
    clean_batches: int = 200, shifted_batches: int = 50, shifts: tuple[float, ...] = (0.25, 0.5, 1.0)
) -> dict[str, Any]:
    """False alarms on clean synthetic and default-data batches; batches caught at each shift."""
    params = DriftParams()
    synthetic_alarms = alarms(clean_batches, clean_synthetic, params)
    default_alarms = alarms(clean_batches // 2, clean_default, params)
    return {
        "alpha": params.alpha,
        "clean_synthetic": {
            "batches": clean_batches,
            "alarms": synthetic_alarms,
            "ceiling_99_9": alarm_ceiling(clean_batches, params.alpha),
        },
        "clean_default": {
            "batches": clean_batches // 2,
            "alarms": default_alarms,
            "ceiling_99_9": alarm_ceiling(clean_batches // 2, params.alpha),
        },
        "shifted_default": {
            f"{shift:g}": {
                "batches": shifted_batches,
                "caught": alarms(shifted_batches, shifted_default(shift), params),
            }
            for shift in shifts
        },
    }
