"""Model behaviour: any labels, raw frames with text and gaps, search, and minimum quality."""

import numpy as np
import pytest

from portable_mlops.data.loading import features
from portable_mlops.modeling.estimators import build_candidate


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


def test_prediction_does_not_depend_on_row_order(cancer) -> None:
    X, y = features(cancer, "diagnosis"), cancer["diagnosis"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, y)
    order = np.random.default_rng(0).permutation(len(X))
    assert (model.predict(X.iloc[order]) == model.predict(X)[order]).all()
