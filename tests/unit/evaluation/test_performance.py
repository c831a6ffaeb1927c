"""Performance regressions against the champion: the comparison logic on given numbers (no timing
assertions), the measure of peak memory, and the run summary's lines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portable_mlops.evaluation.performance import compare, performance_summary, regressions
from portable_mlops.params import PerformanceParams

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
    from portable_mlops.evaluation.performance import model_size_mb
    from portable_mlops.modeling.estimators import build_candidate

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
    assert summary.champion_version is None and summary.regressions == []
    assert summary.values == values
