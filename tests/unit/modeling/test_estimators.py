"""Model behaviour: any labels, raw frames with text and gaps, search, and minimum quality."""

import numpy as np
import pandas as pd
import pytest

from portable_mlops.data.loading import features
from portable_mlops.modeling.estimators import NativeCategories, build_candidate


@pytest.mark.parametrize("family", ["logistic_regression", "random_forest", "xgboost"])
def test_every_family_trains_on_text_gaps_and_string_labels(family, mixed) -> None:
    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate(family, X, seed=0).fit(X, y)
    assert set(model.predict(X)) <= {"yes", "no"}
    assert model.predict_proba(X).shape == (len(X), 2)


@pytest.mark.parametrize("family", ["logistic_regression", "random_forest", "xgboost"])
def test_predicted_labels_are_the_label_encoders_own(family, mixed) -> None:  # type: ignore[no-untyped-def]
    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate(family, X, seed=0).fit(X, y)
    expected = model.encoder_.inverse_transform(model.estimator_.predict(X))
    assert model.predict(X).tolist() == expected.tolist() and set(expected) == {"yes", "no"}


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


def test_xgboost_takes_text_as_native_categoricals_not_one_hot_columns(mixed) -> None:
    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate("xgboost", X, seed=0).fit(X, y)
    prepare, booster = model.estimator_.steps[0][1], model.estimator_.steps[-1][1]
    assert isinstance(prepare, NativeCategories)
    assert list(prepare.categories_["city"]) == ["east", "north", "south"]
    assert prepare.transform(X).shape == X.shape  # one column per input: nothing one-hot encoded
    assert booster.get_booster().feature_types == ["q", "q", "c"]
    assert booster.get_booster().num_features() == 3


def test_native_categories_code_every_frame_as_training_did(mixed) -> None:
    """A request holding one value, or values in another order, is coded with training's categories; an
    unseen value and a gap become missing, as a text gap did in training."""
    X = features(mixed, "label")
    prepare = NativeCategories().fit(X)
    alone = pd.DataFrame({"income": [1.0, None], "age": ["30", 40], "city": ["south", "atlantis"]})
    coded = prepare.transform(alone)
    assert coded[0, 2] == 2.0 and np.isnan(coded[1, 2])  # south's code from training; atlantis missing
    assert coded[0, 0] == 1.0 and np.isnan(coded[1, 0])
    assert coded[:, 1].tolist() == [30.0, 40.0]
    reordered = alone[["city", "age", "income"]].iloc[::-1]
    assert np.array_equal(prepare.transform(reordered), coded[::-1], equal_nan=True)
    with pytest.raises(ValueError, match=r"lacks the model's input column\(s\) \['city'\]"):
        prepare.transform(alone.drop(columns=["city"]))
    with pytest.raises(ValueError, match="Unable to parse string"):
        prepare.transform(alone.assign(age=["thirty", 40]))


def test_xgboost_with_native_categories_predicts_as_on_a_frame_of_pandas_categoricals(mixed) -> None:
    """The same booster settings trained on the frame's pandas categoricals (XGBoost's other documented
    input) predict the same probabilities: the codes are XGBoost's categories."""
    from xgboost import XGBClassifier

    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate("xgboost", X, seed=0).fit(X, y)
    frame = X.assign(city=pd.Categorical(X["city"], categories=["east", "north", "south"]))
    reference = XGBClassifier(tree_method="hist", enable_categorical=True, random_state=0, n_jobs=1, verbosity=0)
    reference.fit(frame, (y == "yes").astype(int))
    assert np.allclose(model.predict_proba(X)[:, 1], reference.predict_proba(frame)[:, 1])


def test_xgboost_predictions_of_one_row_equal_those_in_a_batch(mixed) -> None:
    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate("xgboost", X, seed=0).fit(X, y)
    batch = model.predict_proba(X)
    singles = np.vstack([model.predict_proba(X.iloc[[i]]) for i in range(0, len(X), 17)])
    assert np.allclose(singles, batch[::17])


@pytest.mark.parametrize("labels", [["yes", "no", "maybe"], [3, 1, 2], [True, False, True]])
def test_the_estimator_trains_on_the_label_encoders_own_codes(labels) -> None:  # type: ignore[no-untyped-def]
    from sklearn.dummy import DummyClassifier
    from sklearn.preprocessing import LabelEncoder

    from portable_mlops.modeling.estimators import LabelEncodedClassifier

    y = pd.Series(labels * 20)
    seen = {}

    class Recorder(DummyClassifier):
        def fit(self, X, y, sample_weight=None):  # type: ignore[no-untyped-def]
            seen["y"] = np.asarray(y)
            return super().fit(X, y)

    model = LabelEncodedClassifier(Recorder()).fit(pd.DataFrame({"x": range(len(y))}), y)
    assert seen["y"].tolist() == LabelEncoder().fit_transform(y.to_numpy()).tolist()
    assert seen["y"].dtype == np.int64
    assert list(model.classes_) == sorted(set(labels))


def frames_to_compare(mixed, cancer) -> list[tuple[pd.DataFrame, pd.DataFrame]]:  # type: ignore[no-untyped-def]
    """(training frame, frame to transform) pairs: gaps, unseen and missing text, one row, no text, only
    text, a numeric column with no value at all."""
    X = features(mixed, "label")
    odd = X.head(6).copy()
    odd["city"] = ["atlantis", None, "north", "south", "east", "north"]
    odd.loc[odd.index[:2], ["income", "age"]] = np.nan
    numbers = features(cancer, "diagnosis")
    empty = X.assign(blank=np.nan)
    return [
        (X, X),
        (X, odd),
        (X, odd.iloc[[0]]),
        (numbers, numbers.iloc[::7]),
        (X[["city"]], odd[["city"]]),
        (empty, empty.head(9)),
    ]


@pytest.mark.parametrize("scale", [True, False])
def test_the_preprocessor_gives_scikit_learns_matrix_number_for_number(mixed, cancer, scale: bool) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.modeling.estimators import Preprocessor, preprocessor

    for train, rows in frames_to_compare(mixed, cancer):
        ours = Preprocessor(scale=scale).fit(train).transform(rows)
        theirs = preprocessor(train, scale).fit(train).transform(rows)
        assert ours.shape == theirs.shape
        assert np.array_equal(ours, theirs), (list(train.columns), len(rows))


def test_linear_models_and_forests_use_the_numpy_preprocessor(mixed) -> None:
    from portable_mlops.modeling.estimators import Preprocessor

    X, y = features(mixed, "label"), mixed["label"]
    for family, scaled in (("logistic_regression", True), ("random_forest", False)):
        prepare = build_candidate(family, X, seed=0).fit(X, y).estimator_.steps[0][1]
        assert isinstance(prepare, Preprocessor) and prepare.scale is scaled
        with pytest.raises(ValueError, match=r"lacks the model's input column\(s\) \['city'\]"):
            prepare.transform(X.drop(columns=["city"]))
