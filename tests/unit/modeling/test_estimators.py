"""Model behaviour: any labels, raw frames with text and gaps, search, and minimum quality."""

from pathlib import Path

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
    text, a numeric column with no value at all, and the dtypes a request may arrive in."""
    X = features(mixed, "label")
    odd = X.head(6).copy()
    odd["city"] = ["atlantis", None, "north", "south", "east", "north"]
    odd.loc[odd.index[:2], ["income", "age"]] = np.nan
    numbers = features(cancer, "diagnosis")
    empty = X.assign(blank=np.nan)
    # what a request may carry: text as Python objects with None, or as a categorical with a gap; whole
    # numbers as a nullable integer column with NA; the columns in another order
    served = odd.assign(
        city=pd.Series(["north", None, "atlantis", "east", None, "south"], index=odd.index, dtype=object),
        age=pd.array([30, None, 41, 52, 18, 77], dtype="Int64"),
    )
    categorical = odd.assign(city=pd.Categorical(["north", None, "east", "north", "south", "south"]))
    return [
        (X, served),
        (X, served[["city", "age", "income"]]),
        (X, categorical),
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
        # scikit-learn's imputer takes only NaN as missing in a column of Python objects: it scored a
        # served None as an unseen value (all zeros), not as the gap training learned. Ours takes None
        # as a gap; scikit-learn is given what training had (NaN) to compare.
        as_trained = rows.astype(object).where(rows.notna(), np.nan).astype(rows.dtypes.to_dict())
        theirs = preprocessor(train, scale).fit(train).transform(as_trained)
        assert ours.shape == theirs.shape
        assert np.array_equal(ours, theirs), (list(train.columns), len(rows))
        fitted = Preprocessor(scale=scale)
        assert np.array_equal(fitted.fit_transform(train), fitted.transform(train))  # fitting's own matrix


def test_a_text_gap_sent_as_none_is_the_gap_training_learned(mixed) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.modeling.estimators import MISSING_TEXT, Preprocessor

    X = features(mixed, "label")
    prepare = Preprocessor().fit(X)
    row = X.head(1).astype({"city": object})
    row.loc[row.index[0], "city"] = None
    gap = list(prepare.categories_[0]).index(MISSING_TEXT)
    assert prepare.transform(row)[0, 2 + gap] == 1.0  # the learned gap's column, after the two numbers


def test_linear_models_and_forests_use_the_numpy_preprocessor(mixed) -> None:
    from portable_mlops.modeling.estimators import Preprocessor

    X, y = features(mixed, "label"), mixed["label"]
    for family, scaled in (("logistic_regression", True), ("random_forest", False)):
        prepare = build_candidate(family, X, seed=0).fit(X, y).estimator_.steps[0][1]
        assert isinstance(prepare, Preprocessor) and prepare.scale is scaled
        with pytest.raises(ValueError, match=r"lacks the model's input column\(s\) \['city'\]"):
            prepare.transform(X.drop(columns=["city"]))


BLOCKED_PYARROW = """
import pickle, sys

class NoPyarrow:  # importing pyarrow fails, as in an environment without it
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pyarrow":
            raise ImportError("no pyarrow in this environment")

sys.meta_path.insert(0, NoPyarrow())
import pandas as pd
model = pickle.load(open(sys.argv[1], "rb"))
rows = pd.read_json(sys.argv[2], orient="split")
assert "pyarrow" not in sys.modules
print(",".join(str(p) for p in model.predict(rows)))
"""


@pytest.mark.parametrize("family", ["logistic_regression", "random_forest", "xgboost"])
def test_a_model_loads_and_predicts_without_pyarrow(family, mixed, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The model's code needs only numpy, pandas, scikit-learn and xgboost: nothing it pickles (a text
    column's categories included) may be backed by pyarrow, which pandas uses for text when it is there."""
    import pickle
    import subprocess
    import sys

    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate(family, X, seed=0).fit(X, y)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    X.head(20).to_json(tmp_path / "rows.json", orient="split", index=False)
    script = tmp_path / "load.py"
    script.write_text(BLOCKED_PYARROW)
    args = [sys.executable, str(script), str(tmp_path / "model.pkl"), str(tmp_path / "rows.json")]
    root = str(Path(__file__).resolve().parents[3])  # the model's own code, as its code_paths provide it
    proc = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, timeout=120, env={"PYTHONPATH": root})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().split(",") == [str(p) for p in model.predict(X.head(20))]


@pytest.fixture
def forest_threads(monkeypatch) -> list[int | None]:  # type: ignore[no-untyped-def]
    """The thread counts scikit-learn's forests hand joblib, one per call, from here on."""
    import sklearn.ensemble._forest as forests

    used: list[int | None] = []

    class Recording(forests.Parallel):  # type: ignore[misc,name-defined]
        def __init__(self, n_jobs: int | None = None, **kwargs: object) -> None:
            used.append(n_jobs)
            super().__init__(n_jobs=n_jobs, **kwargs)

    monkeypatch.setattr(forests, "Parallel", Recording)
    return used


def test_a_forest_predicts_fewer_rows_than_the_threshold_on_one_thread(mixed, forest_threads) -> None:  # type: ignore[no-untyped-def]
    """joblib's dispatch of 200 trees to threads costs more than the trees for small frames
    (``benchmarks/forest_threads.py``); the fitted model keeps its threads for large ones."""
    from portable_mlops.modeling.estimators import FOREST_ONE_THREAD_BELOW, predicting

    X, y = features(mixed, "label"), mixed["label"]
    model = build_candidate("random_forest", X, seed=0, threads=2).fit(X, y)
    forest_threads.clear()  # the fit's own
    forest = model.estimator_.steps[-1][1]
    on_two = forest.predict_proba(model.estimator_.steps[0][1].transform(X.iloc[:5]))
    assert forest_threads == [2]
    assert np.array_equal(model.predict_proba(X.iloc[:5]), on_two)  # the same trees, the same answers
    model.predict(X.iloc[:1])
    assert forest_threads == [2, 1, 1]
    assert forest.n_jobs == 2  # the fitted model is left as it is
    single = predicting(model.estimator_, FOREST_ONE_THREAD_BELOW - 1).steps[-1][1]
    assert single.estimators_ is forest.estimators_ and single.n_jobs == 1
    assert predicting(model.estimator_, FOREST_ONE_THREAD_BELOW) is model.estimator_
    linear = build_candidate("logistic_regression", X, seed=0).fit(X, y).estimator_
    assert predicting(linear, 1) is linear


def test_a_forest_regressor_predicts_small_frames_on_one_thread_too(mixed, forest_threads) -> None:  # type: ignore[no-untyped-def]
    X, y = features(mixed, "label"), mixed["age"].fillna(40.0) * 2.0
    model = build_candidate("random_forest", X, seed=0, threads=2, task="regression").fit(X, y)
    forest_threads.clear()  # the fit's own
    assert model.predict(X.iloc[:3]).dtype == "float64" and forest_threads == [1]
    assert model.estimator_.steps[-1][1].n_jobs == 2
