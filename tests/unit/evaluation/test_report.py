"""The evaluation report: what it shows, against the champion, and that it renders offline."""

from __future__ import annotations

import re

import pytest

from portable_mlops.data.loading import features, split_frame
from portable_mlops.evaluation.metrics import compute_metrics
from portable_mlops.evaluation.report import comparison_rows, evaluation_report
from portable_mlops.modeling.estimators import build_candidate
from portable_mlops.params import SplitParams


@pytest.fixture(scope="module")
def fitted(cancer):
    train, test = split_frame(cancer, "diagnosis", SplitParams())
    X, y = features(train, "diagnosis"), train["diagnosis"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, y)
    return model, features(test, "diagnosis"), test["diagnosis"]


def test_report_compares_with_the_champion_and_renders_offline(fitted) -> None:
    model, X, y = fitted
    ours = compute_metrics(model, X, y)
    theirs = {k: v - 0.01 for k, v in ours.items()}
    page = evaluation_report(model, X, y, ours, [{"family": "logistic_regression"}], ("3", theirs))
    assert "champion (registry v3)" in page and "New model vs champion" in page
    assert page.count("data:image/png;base64,") == 5  # comparison, importance, confusion matrix, ROC, PR
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page) and "<script" not in page


def test_report_shows_slices_inclusion_shift_unused_features_and_performance(fitted, cancer) -> None:
    from portable_mlops.evaluation.checks import quality_digest, quality_warnings
    from portable_mlops.evaluation.holdout import evaluate_holdout
    from portable_mlops.evaluation.performance import performance_summary
    from portable_mlops.params import DataSource, EvaluationParams, PerformanceParams

    model, X, y = fitted
    params = EvaluationParams(slices={"columns": [{"column": "mean radius", "bins": 4}], "floor": 0.99})
    held = evaluate_holdout(model, X.assign(diagnosis=y), DataSource(uri="x.csv", target="diagnosis"), params)
    importance = held.importance
    assert len(importance) == X.shape[1]  # every feature, so none that adds nothing goes unflagged
    performance = performance_summary({"fit_seconds": 9.0}, ("3", {"fit_seconds": 1.0}), PerformanceParams())
    quality = held.quality.model_copy(update={"performance": performance})
    page = evaluation_report(model, X, y, compute_metrics(model, X, y), [], None, quality, importance)
    assert quality.failures and all(f.startswith("slice mean radius=") for f in quality.failures)
    assert "Slices (accuracy, at least 20 rows)" in page and "<tr class='fail'><td>mean radius" in page
    assert "Not measured: no sensitive column configured" in page
    assert "Quality under input shift" in page and page.count("data:image/png;base64,") == 5  # + shift, - comparison
    assert "Features that add nothing" in page and "Performance (against the champion" in page
    warnings = quality_warnings(quality)
    assert warnings[0] == "Performance regression: fit_seconds 9 s is x9.00 the champion's 1 s (> x2.0)"
    assert any(w.startswith("Gate check failed: slice mean radius=") for w in warnings)
    digest = quality_digest(quality)
    assert digest["slices"]["failures"] == quality.failures and "rows" not in digest["slices"]
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page) and "<script" not in page


def test_report_says_when_the_champion_cannot_score(fitted) -> None:
    model, X, y = fitted
    page = evaluation_report(model, X, y, compute_metrics(model, X, y), [], ("2", "KeyError: 'mean radius'"))
    assert "cannot score this holdout: KeyError" in page


def test_comparison_rows_hold_the_difference() -> None:
    rows = comparison_rows({"roc_auc": 0.9, "accuracy": 0.8}, ("1", {"roc_auc": 0.95, "accuracy": 0.7}))
    assert [r["model"] for r in rows] == ["new (this run)", "champion (registry v1)", "difference (new - champion)"]
    assert rows[2]["roc_auc"] == pytest.approx(-0.05) and rows[2]["accuracy"] == pytest.approx(0.1)
    assert comparison_rows({"roc_auc": 0.9}, None) == [{"model": "new (this run)", "roc_auc": 0.9}]
