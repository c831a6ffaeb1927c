"""Drift detection: false alarms stay under 5% on clean batches, shifted batches are caught."""

import numpy as np
import pandas as pd
import pytest

from portable_mlops.data.batches import DEFAULT_SHIFTED, make_batch
from portable_mlops.data.loading import load_builtin
from portable_mlops.data.profiling import profile_frame
from portable_mlops.monitoring.drift import detect_drift, drift_report_html
from portable_mlops.params import DriftParams

PARAMS = DriftParams()


def synthetic(rows: int, seed: int) -> pd.DataFrame:
    """A fixed distribution: 15 numeric columns of different scales and one categorical column."""
    rng = np.random.default_rng(seed)
    data = {f"x{i}": rng.normal(i, 1 + i / 5, rows) for i in range(15)}
    data["colour"] = rng.choice(["red", "green", "blue"], rows, p=[0.5, 0.3, 0.2])
    return pd.DataFrame(data)


def test_false_alarm_rate_on_independent_clean_batches_is_at_most_5_percent() -> None:
    """Reference and batch are fresh, independent draws of the same distribution for every seed."""
    seeds = range(100)
    alarms = sum(
        detect_drift(profile_frame(synthetic(200, s)), profile_frame(synthetic(1000, 10_000 + s)), PARAMS).drifted
        for s in seeds
    )
    assert alarms / len(seeds) <= 0.05, f"{alarms} false alarms in {len(seeds)} clean batches"


def test_false_alarm_rate_on_clean_batches_of_the_default_data() -> None:
    reference = profile_frame(load_builtin("breast_cancer"))
    seeds = range(40)
    alarms = sum(
        detect_drift(profile_frame(make_batch(150, s)), reference, PARAMS, ["diagnosis"]).drifted for s in seeds
    )
    assert alarms / len(seeds) <= 0.05


@pytest.mark.parametrize("shift", [0.5, 1.5])
def test_shifted_batches_are_caught_on_the_shifted_columns(shift: float) -> None:
    reference = profile_frame(load_builtin("breast_cancer"))
    for seed in range(10):
        report = detect_drift(profile_frame(make_batch(200, seed, shift)), reference, PARAMS, ["diagnosis"])
        assert report.drifted
        assert set(report.drifted_columns) <= set(DEFAULT_SHIFTED) | {"worst radius", "worst perimeter"} or set(
            DEFAULT_SHIFTED
        ) <= set(report.drifted_columns)


def test_categorical_shift_is_caught() -> None:
    reference = profile_frame(synthetic(1000, 1))
    batch = synthetic(300, 2)
    batch["colour"] = np.random.default_rng(0).choice(["red", "green", "blue"], 300, p=[0.1, 0.2, 0.7])
    assert detect_drift(profile_frame(batch), reference, PARAMS).drifted_columns == ["colour"]


def test_thresholds_exclusions_and_minimum_columns_come_from_params() -> None:
    reference = profile_frame(load_builtin("breast_cancer"))
    batch = profile_frame(make_batch(200, 0, 1.0))
    assert not detect_drift(batch, reference, DriftParams(exclude=list(DEFAULT_SHIFTED)), ["diagnosis"]).drifted
    assert not detect_drift(batch, reference, DriftParams(min_drifted_columns=10), ["diagnosis"]).drifted
    strict = DriftParams(column_alpha=dict.fromkeys(DEFAULT_SHIFTED, 1e-300))
    assert not detect_drift(batch, reference, strict, ["diagnosis"]).drifted


def test_report_renders_offline_and_names_the_verdict() -> None:
    reference = profile_frame(load_builtin("breast_cancer"))
    batch = profile_frame(make_batch(200, 0, 1.0))
    report = detect_drift(batch, reference, PARAMS, ["diagnosis"])
    page = drift_report_html(report, batch, reference)
    assert "Batch verdict: DRIFT" in page and "mean radius" in page and "<svg" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
