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
