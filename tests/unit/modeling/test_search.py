"""Model behaviour: any labels, raw frames with text and gaps, search, and minimum quality."""

from __future__ import annotations

import logging

import numpy as np

from portable_mlops.data.loading import features, split_frame
from portable_mlops.evaluation.metrics import compute_metrics
from portable_mlops.modeling.search import search_family
from portable_mlops.params import CandidateSpec, SearchParams, SplitParams


def test_search_picks_from_grid_and_beats_chance(cancer) -> None:
    train, test = split_frame(cancer, "diagnosis", SplitParams())
    search = SearchParams(
        candidates=[CandidateSpec(family="xgboost", grid={"max_depth": [2, 3], "n_estimators": [50]})]
    )
    result = search_family(search.candidates[0], features(train, "diagnosis"), train["diagnosis"], search)
    assert result.params["max_depth"] in {2, 3}
    metrics = compute_metrics(result.estimator, features(test, "diagnosis"), test["diagnosis"])
    assert metrics["roc_auc"] > 0.95 and metrics["accuracy"] > 0.9


def test_training_is_reproducible_with_the_same_seed_and_config(cancer) -> None:
    train, test = split_frame(cancer, "diagnosis", SplitParams())
    X, y = features(train, "diagnosis"), train["diagnosis"]
    search = SearchParams(
        candidates=[
            CandidateSpec(family="random_forest", grid={"n_estimators": [30], "max_depth": [3, None]}),
            CandidateSpec(family="xgboost", grid={"max_depth": [2, 3], "n_estimators": [30]}),
        ]
    )
    for candidate in search.candidates:
        first, second = (search_family(candidate, X, y, search) for _ in range(2))
        assert first.params == second.params, candidate.family
        a = first.estimator.predict_proba(features(test, "diagnosis"))
        b = second.estimator.predict_proba(features(test, "diagnosis"))
        assert np.array_equal(a, b), candidate.family


def test_one_configuration_alone_is_fitted_once_without_cross_validation(cancer) -> None:  # type: ignore[no-untyped-def]
    X, y = cancer.drop(columns=["diagnosis"]), cancer["diagnosis"]
    spec = CandidateSpec(family="xgboost", grid={"max_depth": [2], "n_estimators": [20]})
    alone = search_family(spec, X, y, SearchParams(candidates=[spec], cv_folds=3))
    assert np.isnan(alone.cv_score) and alone.params == {"max_depth": 2, "n_estimators": 20}
    assert alone.estimator.estimator.named_steps["model"].get_params()["max_depth"] == 2
    other = CandidateSpec(family="logistic_regression", grid={"C": [1.0]})
    searched = search_family(spec, X, y, SearchParams(candidates=[spec, other], cv_folds=3))
    assert 0.5 < searched.cv_score <= 1.0  # beside another family it is cross-validated, to be compared
    np.testing.assert_array_equal(alone.estimator.predict(X), searched.estimator.predict(X))


def test_search_logs_its_progress(cancer, caplog) -> None:
    search = SearchParams(candidates=[CandidateSpec(family="logistic_regression", grid={"C": [0.1, 1.0]})])
    with caplog.at_level(logging.INFO, logger="portable_mlops.modeling.search"):
        search_family(search.candidates[0], features(cancer, "diagnosis"), cancer["diagnosis"], search)
    progress = [r.getMessage() for r in caplog.records if r.getMessage().startswith("search logistic_regression")]
    fits = 2 * search.cv_folds
    assert progress[-1] == f"search logistic_regression: {fits}/{fits} fits"
    assert len(progress) == fits  # fewer than ten fits: one line each


def test_a_regression_search_keeps_the_lowest_rmse_and_predicts_numbers(diabetes) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.modeling.estimators import TabularRegressor, task_of

    train, test = split_frame(diabetes, "progression", SplitParams(), "regression")
    X, y = features(train, "progression"), train["progression"]
    search = SearchParams(candidates=[CandidateSpec(family="ridge", grid={"alpha": [0.01, 1000.0]})])
    result = search_family(search.for_task("regression").candidates[0], X, y, search, "regression")  # type: ignore[index]
    assert isinstance(result.estimator, TabularRegressor) and task_of(result.estimator) == "regression"
    assert result.params == {"alpha": 0.01}  # alpha 1000 shrinks every weight to nothing: a far higher RMSE
    assert 40 < result.cv_score < 70  # the RMSE itself, not scikit-learn's negated score
    predicted = result.estimator.predict(features(test, "progression"))
    assert predicted.dtype == np.float64 and np.unique(predicted).size > 100
    metrics = compute_metrics(result.estimator, features(test, "progression"), test["progression"])
    assert set(metrics) == {"rmse", "mae", "r2"} and metrics["r2"] > 0.35 and metrics["mae"] < metrics["rmse"]


def test_a_metric_or_family_of_the_other_task_is_refused_naming_the_setting() -> None:
    import pytest

    from portable_mlops.params import EvaluationParams, FairnessParams, GateParams, TaskError

    assert SearchParams().for_task("regression").metric == "rmse"
    assert [c.family for c in SearchParams().for_task("regression").candidates or []] == ["ridge", "xgboost"]
    assert [c.family for c in SearchParams().for_task("classification").candidates or []] == [
        "logistic_regression",
        "xgboost",
    ]
    with pytest.raises(TaskError, match=r"search\.metric is roc_auc, a metric of classification, but this is a regr"):
        SearchParams(metric="roc_auc").for_task("regression")
    with pytest.raises(TaskError, match=r"logistic_regression, which cannot train a regression; use ridge"):
        SearchParams(candidates=[CandidateSpec(family="logistic_regression")]).for_task("regression")
    with pytest.raises(TaskError, match=r"gate\.metric is rmse, a metric of regression"):
        GateParams(metric="rmse").for_task("classification")
    with pytest.raises(TaskError, match=r"evaluation\.fairness\.column is set"):
        EvaluationParams(fairness=FairnessParams(column="sex")).for_task("regression")
