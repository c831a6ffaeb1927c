"""Drift detection: false alarms on clean batches within the binomial bound of the configured alpha,
shifted batches caught on exactly the shifted columns. The same measurements, larger, give the figures
of docs/monitoring.md (benchmarks/drift.py, ``python -m benchmarks.run --only drift``)."""

import numpy as np
import pytest

from benchmarks.drift import alarm_ceiling, alarms, clean_default, clean_synthetic, synthetic
from portable_mlops.data.batches import DEFAULT_SHIFTED, make_batch
from portable_mlops.data.loading import load_builtin
from portable_mlops.data.profiling import profile_frame
from portable_mlops.monitoring.drift import detect_drift, drift_report_html
from portable_mlops.params import DriftParams

PARAMS = DriftParams()


def test_false_alarms_on_independent_clean_batches_stay_within_the_binomial_bound() -> None:
    """Reference and batch are fresh, independent draws of the same distribution for every seed: with a
    per-batch false-alarm rate of alpha, more alarms than the 99.9% quantile of Binomial(n, alpha) means
    the check cries wolf more often than it says."""
    batches = 100
    found = alarms(batches, clean_synthetic, PARAMS)
    assert found <= alarm_ceiling(batches, PARAMS.alpha), f"{found} false alarms in {batches} clean batches"


def test_false_alarms_on_clean_batches_of_the_default_data_stay_within_the_binomial_bound() -> None:
    batches = 40
    assert alarms(batches, clean_default, PARAMS) <= alarm_ceiling(batches, PARAMS.alpha)


@pytest.mark.parametrize("shift", [0.5, 1.5])
def test_shifted_batches_are_caught_on_exactly_the_shifted_columns(shift: float) -> None:
    reference = profile_frame(load_builtin("breast_cancer"))
    for seed in range(10):
        report = detect_drift(profile_frame(make_batch(200, seed, shift)), reference, PARAMS, ["diagnosis"])
        assert report.drifted and sorted(report.drifted_columns) == sorted(DEFAULT_SHIFTED), (
            seed,
            report.drifted_columns,
        )


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
