"""Model behaviour: any labels, raw frames with text and gaps, search, and minimum quality."""

import numpy as np
import pytest

from portable_mlops.data import features, split_frame
from portable_mlops.evaluation import compute_metrics, evaluation_report
from portable_mlops.models import build_candidate, search_family
from portable_mlops.params import CandidateSpec, SearchParams, SplitParams


@pytest.mark.parametrize("family", ["logistic_regression", "random_forest", "xgboost"])
def test_every_family_trains_on_text_gaps_and_string_labels(family, mixed) -> None:
    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate(family, X, seed=0).fit(X, y)
    assert set(model.predict(X)) <= {"yes", "no"}
    assert model.predict_proba(X).shape == (len(X), 2)


def test_unseen_category_at_prediction_is_tolerated(mixed) -> None:
    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate("xgboost", X, seed=0).fit(X, y)
    row = X.head(1).copy()
    row["city"] = "atlantis"
    assert model.predict(row)[0] in {"yes", "no"}


def test_search_picks_from_grid_and_beats_chance(cancer) -> None:
    train, test = split_frame(cancer, "diagnosis", SplitParams())
    search = SearchParams(
        candidates=[CandidateSpec(family="xgboost", grid={"max_depth": [2, 3], "n_estimators": [50]})]
    )
    result = search_family(search.candidates[0], features(train, "diagnosis"), train["diagnosis"], search)
    assert result.params["max_depth"] in {2, 3}
    metrics = compute_metrics(result.estimator, features(test, "diagnosis"), test["diagnosis"])
    assert metrics["roc_auc"] > 0.95 and metrics["accuracy"] > 0.9


def test_prediction_does_not_depend_on_row_order(cancer) -> None:
    X, y = features(cancer, "diagnosis"), cancer["diagnosis"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, y)
    order = np.random.default_rng(0).permutation(len(X))
    assert (model.predict(X.iloc[order]) == model.predict(X)[order]).all()


def test_multiclass_metrics_and_report_render_offline() -> None:
    from portable_mlops.data import load_builtin

    wine = load_builtin("wine")
    X, y = features(wine, "cultivar"), wine["cultivar"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, y)
    metrics = compute_metrics(model, X, y)
    assert 0.9 < metrics["roc_auc"] <= 1.0
    page = evaluation_report(model, X, y, metrics, [{"family": "logistic_regression"}])
    assert page.count("data:image/png;base64,") == 4  # feature importance, confusion matrix, ROC, PR
    assert "http://" not in page and "https://" not in page and "<script" not in page


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


def test_non_finite_probabilities_are_refused_before_registration(cancer) -> None:
    from portable_mlops.evaluation import NumericalInstabilityError, check_numerics

    check_numerics(np.array([[0.2, 0.8], [1.0, 0.0]]))
    for bad in ([[np.nan, 1.0]], [[np.inf, 0.0]], [[0.7, 0.7]], [[-0.5, 1.5]]):
        with pytest.raises(NumericalInstabilityError, match="numerically unstable: rescale"):
            check_numerics(np.array(bad))

    class Broken:
        classes_ = np.array(["benign", "malignant"])

        def predict(self, X):  # type: ignore[no-untyped-def]
            return np.array(["benign"] * len(X))

        def predict_proba(self, X):  # type: ignore[no-untyped-def]
            return np.full((len(X), 2), np.nan)

    with pytest.raises(NumericalInstabilityError):
        compute_metrics(Broken(), features(cancer, "diagnosis").head(10), cancer["diagnosis"].head(10))


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


@pytest.mark.parametrize("metric", ["roc_auc", "accuracy", "balanced_accuracy", "f1_macro"])
def test_score_equals_the_metric_of_compute_metrics(cancer, metric) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.evaluation import score

    X, y = cancer.drop(columns=["diagnosis"]), cancer["diagnosis"]
    model = build_candidate("logistic_regression", X, 0).fit(X.iloc[::2], y.iloc[::2])
    assert (
        score(model, X.iloc[1::2], y.iloc[1::2], metric) == compute_metrics(model, X.iloc[1::2], y.iloc[1::2])[metric]
    )
