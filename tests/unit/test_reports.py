"""Reports a person looks at, progress of long work, and the dashboard command's port handling."""

from __future__ import annotations

import logging
import re
import socket

import numpy as np
import pandas as pd
import pytest

from portable_mlops.data import features, split_frame
from portable_mlops.evaluation import comparison_rows, compute_metrics, evaluation_report, feature_importance
from portable_mlops.models import build_candidate, search_family
from portable_mlops.params import CandidateSpec, SearchParams, SplitParams
from portable_mlops.serving import score_in_chunks


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
    from portable_mlops.evaluation import assess
    from portable_mlops.params import EvaluationParams, PerformanceParams
    from portable_mlops.performance import performance_summary
    from portable_mlops.quality import quality_digest, quality_warnings

    model, X, y = fitted
    importance = feature_importance(model, X, y, top=None)
    assert len(importance) == X.shape[1]  # every feature, so none that adds nothing goes unflagged
    params = EvaluationParams(slices={"columns": [{"column": "mean radius", "bins": 4}], "floor": 0.99})
    quality = assess(model, X.assign(diagnosis=y), X, y, importance, params)
    quality["performance"] = performance_summary({"fit_seconds": 9.0}, ("3", {"fit_seconds": 1.0}), PerformanceParams())
    page = evaluation_report(model, X, y, compute_metrics(model, X, y), [], None, quality, importance)
    assert quality["failures"] and all(f.startswith("slice mean radius=") for f in quality["failures"])
    assert "Slices (accuracy, at least 20 rows)" in page and "<tr class='fail'><td>mean radius" in page
    assert "Not measured: no sensitive column configured" in page
    assert "Quality under input shift" in page and page.count("data:image/png;base64,") == 5  # + shift, - comparison
    assert "Features that add nothing" in page and "Performance (against the champion" in page
    warnings = quality_warnings(quality)
    assert warnings[0] == "Performance regression: fit_seconds 9 s is x9.00 the champion's 1 s (> x2.0)"
    assert any(w.startswith("Gate check failed: slice mean radius=") for w in warnings)
    digest = quality_digest(quality)
    assert digest["slices"]["failures"] == quality["failures"] and "rows" not in digest["slices"]
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page) and "<script" not in page


def test_report_says_when_the_champion_cannot_score(fitted) -> None:
    model, X, y = fitted
    page = evaluation_report(model, X, y, compute_metrics(model, X, y), [], ("2", "KeyError: 'mean radius'"))
    assert "cannot score this holdout: KeyError" in page


def test_comparison_rows_hold_the_difference() -> None:
    rows = comparison_rows({"roc_auc": 0.9, "accuracy": 0.8}, ("1", {"roc_auc": 0.95, "accuracy": 0.7}))
    assert [r["model"] for r in rows] == ["new (this run)", "champion (registry v1)", "difference"]
    assert rows[2]["roc_auc"] == pytest.approx(-0.05) and rows[2]["accuracy"] == pytest.approx(0.1)
    assert comparison_rows({"roc_auc": 0.9}, None) == [{"model": "new (this run)", "roc_auc": 0.9}]


def test_feature_importance_ranks_the_signal_above_noise() -> None:
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"signal": rng.normal(size=n), "noise": rng.normal(size=n), "city": rng.choice(["a", "b"], n)})
    label = np.where(frame["signal"] + rng.normal(scale=0.3, size=n) > 0, "yes", "no")
    model = build_candidate("random_forest", frame, seed=0).fit(frame, label)
    rows = feature_importance(model, frame, pd.Series(label))
    assert rows[0]["feature"] == "signal"
    assert rows[0]["roc_auc drop"] > 0.1 > max(r["roc_auc drop"] for r in rows[1:])


def test_search_logs_its_progress(cancer, caplog) -> None:
    search = SearchParams(candidates=[CandidateSpec(family="logistic_regression", grid={"C": [0.1, 1.0]})])
    with caplog.at_level(logging.INFO, logger="portable_mlops.models"):
        search_family(search.candidates[0], features(cancer, "diagnosis"), cancer["diagnosis"], search)
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("search logistic_regression")]
    fits = 2 * search.cv_folds
    assert progress[-1] == f"search logistic_regression: {fits}/{fits} fits"
    assert len(progress) == fits  # fewer than ten fits: one line each


def test_batch_scoring_logs_progress_and_keeps_row_order(caplog) -> None:
    frame = pd.DataFrame({"x": np.arange(2_500)})
    with caplog.at_level(logging.INFO, logger="portable_mlops.serving"):
        predictions = score_in_chunks(lambda part: part["x"].to_numpy() * 2, frame, size=100)
    assert (predictions == np.arange(2_500) * 2).all()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("scored")]
    assert lines[-1] == "scored 2,500/2,500 rows"
    assert 10 <= len(lines) <= 13 and "scored 200/2,500 rows" in lines


def test_a_busy_port_is_refused_with_the_fix() -> None:
    from portable_mlops.dashboard import DashboardError, choose_port

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(DashboardError, match=rf"port {port} on 127.0.0.1 is in use.*DASHBOARD_PORT=<port>"):
            choose_port(port, 8237, "DASHBOARD_PORT", "make dashboard")
        chosen = choose_port(None, port, "DASHBOARD_PORT", "make dashboard")  # default taken: another one
        assert chosen != port
    with pytest.raises(DashboardError, match="not a TCP port"):
        choose_port(70000, 8237, "DASHBOARD_PORT", "make dashboard")


def test_where_to_look_without_a_server_says_how_to_start_one() -> None:
    from portable_mlops.summary import where_to_look

    lines = where_to_look()
    assert any("ZenML dashboard: not running; start it with: make dashboard" in line for line in lines)
    assert any("make mlflow-ui" in line for line in lines)


def test_diagnostic_sample_is_stratified_seeded_and_capped(cancer) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.evaluation import diagnostic_sample

    small = diagnostic_sample(cancer, "diagnosis", 200)
    assert len(small) == 200 and small.equals(diagnostic_sample(cancer, "diagnosis", 200))
    share = cancer["diagnosis"].value_counts(normalize=True)
    assert (small["diagnosis"].value_counts(normalize=True) - share).abs().max() < 0.01
    assert diagnostic_sample(cancer, "diagnosis", 10_000) is cancer
