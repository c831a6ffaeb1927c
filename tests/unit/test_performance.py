"""Performance regressions against the champion: the comparison logic on given numbers (no timing
assertions), the measure of peak memory, and the run summary's lines."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from portable_mlops.params import PerformanceParams
from portable_mlops.performance import PeakRss, compare, performance_summary, regressions

PARAMS = PerformanceParams(max_factor=2.0)
CHAMPION = {"fit_seconds": 1.0, "predict_ms_per_row": 0.01, "train_peak_rss_mb": 500.0, "holdout_roc_auc": 0.99}


def test_a_measure_beyond_the_factor_and_the_noise_floor_is_a_regression() -> None:
    values = {"fit_seconds": 3.0, "predict_ms_per_row": 0.015, "train_peak_rss_mb": 1200.0}
    by_measure = {c.measure: c for c in compare(values, CHAMPION, PARAMS)}
    assert {m for m, c in by_measure.items() if c.regression} == {"fit_seconds", "train_peak_rss_mb"}
    assert by_measure["fit_seconds"].factor == pytest.approx(3.0)
    assert regressions(list(by_measure.values()), PARAMS) == [
        "fit_seconds 3 s is x3.00 the champion's 1 s (> x2.0)",
        "train_peak_rss_mb 1200 MB is x2.40 the champion's 500 MB (> x2.0)",
    ]


def test_small_absolute_differences_and_exactly_the_factor_are_not_regressions() -> None:
    champion = {"fit_seconds": 0.1, "predict_ms_per_row": 0.01, "train_peak_rss_mb": 40.0}
    values = {"fit_seconds": 0.4, "predict_ms_per_row": 0.05, "train_peak_rss_mb": 120.0}  # x4, x5, x3: all noise
    assert not any(c.regression for c in compare(values, champion, PARAMS))
    assert [c.regression for c in compare({"fit_seconds": 2.0}, CHAMPION, PARAMS)] == [False]  # x2.0 is not > x2
    strict = PerformanceParams(max_factor=1.5, noise_floor={"fit_seconds": 0.0})
    assert [c.regression for c in compare({"fit_seconds": 0.4}, champion, strict)] == [True]


def test_a_model_that_grew_is_a_regression_in_serving_memory() -> None:
    from portable_mlops.models import build_candidate
    from portable_mlops.performance import model_size_mb

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = np.where(X["a"] + rng.normal(scale=0.5, size=300) > 0, "yes", "no")
    small = model_size_mb(build_candidate("logistic_regression", X, seed=0).fit(X, y))
    large = model_size_mb(build_candidate("random_forest", X, seed=0).fit(X, y))  # 200 full-depth trees
    assert 0 < small < 0.1 < large
    champion = {"model_size_mb": small}
    floors = PerformanceParams(noise_floor={"model_size_mb": 0.05})
    assert [c.regression for c in compare({"model_size_mb": large}, champion, floors)] == [True]
    assert [c.regression for c in compare({"model_size_mb": large}, champion, PARAMS)] == [large - small > 1.0]


def test_without_a_champion_value_nothing_is_compared() -> None:
    values = {"fit_seconds": 30.0, "predict_ms_per_row": 1.0}
    for champion in (None, {}, {"fit_seconds": 0.0}):
        comparisons = compare(values, champion, PARAMS)
        assert [c.measure for c in comparisons] == ["fit_seconds", "predict_ms_per_row"]
        assert not any(c.regression for c in comparisons) and comparisons[1].champion is None
    summary = performance_summary(values, None, PARAMS)
    assert summary["champion_version"] is None and summary["regressions"] == []
    assert summary["values"] == values


def test_peak_rss_sees_memory_held_in_the_block() -> None:
    with PeakRss(interval=0.01) as outside:
        pass
    with PeakRss(interval=0.01) as memory:
        block = np.ones(16 * 2**20)  # 16 Mi float64: 128 MiB, still referenced when the block ends
    assert memory.peak_mb >= outside.peak_mb + 100
    del block


def _run(quality: dict) -> SimpleNamespace:
    artifact = SimpleNamespace(load=lambda: quality)
    return SimpleNamespace(steps={"evaluate_model": SimpleNamespace(outputs={"quality_checks": [artifact]})})


def test_the_run_summary_names_slices_shift_unused_features_and_regressions() -> None:
    from portable_mlops.summary import _quality

    values = {"fit_seconds": 3.0, "predict_ms_per_row": 0.01, "train_peak_rss_mb": 400.0}
    quality = {
        "slices": {
            "metric": "accuracy",
            "floor": 0.85,
            "worst": {"column": "mean radius", "slice": "(13.4, 15.3]", "rows": 35, "accuracy": 0.9143},
            "scored": 8,
            "skipped": 0,
            "rows": [],
            "missing_columns": [],
        },
        "fairness": {"column": None, "measured": False},
        "decay": {"metric": "balanced_accuracy", "shifts": [0.0, 1.0], "values": [0.97, 0.85], "columns": ["a", "b"]},
        "non_beneficial_features": ["f1", "f2"],
        "performance": performance_summary(values, ("4", CHAMPION), PARAMS),
    }
    lines = _quality(_run(quality))
    assert lines == [
        "  slices: worst accuracy 0.9143 at mean radius=(13.4, 15.3] (floor 0.85); 8 scored, 0 skipped",
        "  under shift: balanced_accuracy 0.970 / 0.850 at 0 / 1 std of 2 columns",
        "  note: 2 feature(s) add nothing on the holdout (permutation importance <= 0): f1, f2",
        "  performance: fit 3 s, predict 0.01 ms/row, training peak RSS 400 MB; against champion v4:",
        "  PERFORMANCE regression: fit_seconds 3 s is x3.00 the champion's 1 s (> x2.0)",
    ]
    quality["performance"] = performance_summary({"fit_seconds": 1.1}, ("4", CHAMPION), PARAMS)
    assert _quality(_run(quality))[-1] == "  performance: fit 1.1 s; within x2.0 of champion v4"
