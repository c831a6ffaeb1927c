"""The estimators: the code that is pickled into every registered model.

This module, and everything it imports, uses only numpy, pandas, scikit-learn and xgboost: it is
shipped as the model's ``code_paths`` and must load in an environment built from the model's own
requirements (no zenml, no mlflow, nothing else of this project). The layer contract
``model code imports only its requirements`` in ``.importlinter`` checks it on every ``make check``.

Every candidate is one estimator that takes the raw feature frame: its preprocessing lives inside it,
so a served model needs no extra code. Linear models and random forests impute, scale (linear) and
one-hot encode text; XGBoost takes text columns as its native categoricals (:class:`NativeCategories`)
and missing values as missing, as XGBoost is meant to be fed.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler
from xgboost import XGBClassifier, XGBRegressor

#: Fewer rows than this, a forest predicts on one thread. scikit-learn hands each of a forest's 200 trees
#: to a joblib thread, which costs more than the trees until tens of thousands of rows
#: (``python -m benchmarks.forest_threads``, figures in docs/benchmarking.md). Training keeps its threads.
FOREST_ONE_THREAD_BELOW = 30_000


def predicting(pipeline: Any, rows: int) -> Any:
    """The fitted ``pipeline`` to predict ``rows`` rows with: itself, or for a forest with threads and
    fewer than :data:`FOREST_ONE_THREAD_BELOW` rows, a copy whose forest uses one thread (the trees are
    shared, the fitted model is left as it is)."""
    forest = pipeline.steps[-1][1]
    threaded = isinstance(forest, (RandomForestClassifier, RandomForestRegressor)) and forest.n_jobs not in (None, 1)
    if not threaded or rows >= FOREST_ONE_THREAD_BELOW:
        return pipeline
    single = copy.copy(forest)
    single.n_jobs = 1
    return Pipeline([*pipeline.steps[:-1], (pipeline.steps[-1][0], single)])


class TabularModel(BaseEstimator):  # type: ignore[misc]
    """A model of this project: preprocessing and one estimator (``estimator_``), trained on the raw
    feature frame. :class:`LabelEncodedClassifier` predicts class labels, :class:`TabularRegressor` numbers."""

    estimator: Any
    estimator_: Any


class TabularRegressor(RegressorMixin, TabularModel):  # type: ignore[misc]
    """Wraps a regressor so it trains on any numeric target and always predicts float64 numbers.

    XGBoost predicts float32; float64 keeps the served answers equal to the in-process ones after JSON.
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: pd.DataFrame, y: pd.Series) -> TabularRegressor:
        self.estimator_ = clone(self.estimator).fit(X, np.asarray(y, dtype="float64"))
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(predicting(self.estimator_, len(X)).predict(X), dtype="float64")


def task_of(model: Any) -> str:
    """``regression`` for a model that predicts numbers, ``classification`` for one that predicts labels."""
    return "regression" if isinstance(model, RegressorMixin) else "classification"


class LabelEncodedClassifier(ClassifierMixin, TabularModel):  # type: ignore[misc]
    """Wraps a classifier so it trains on any labels (strings too) and predicts the original labels.

    XGBoost insists on labels ``0..k-1``; this keeps that detail out of the data and the endpoint.
    """

    def __init__(self, estimator: Any = None) -> None:
        self.estimator = estimator

    def fit(self, X: pd.DataFrame, y: pd.Series) -> LabelEncodedClassifier:
        labels = np.asarray(y)
        self.encoder_ = LabelEncoder().fit(labels)
        self.classes_ = self.encoder_.classes_
        # the encoder's own codes by hashing: LabelEncoder.transform looks up every text label in Python
        # (2 s at 4M rows); the codes are the same
        codes = np.asarray(pd.Categorical(labels, categories=self.classes_).codes, dtype=np.int64)
        self.estimator_ = clone(self.estimator).fit(X, codes)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        # the encoder's inverse_transform, without its checks (the estimator predicts codes it was fit on)
        codes = predicting(self.estimator_, len(X)).predict(X)
        return np.asarray(self.encoder_.classes_[np.asarray(codes, dtype=np.intp)])

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(predicting(self.estimator_, len(X)).predict_proba(X))


def preprocessor(frame: pd.DataFrame, scale: bool) -> ColumnTransformer:
    """Impute, scale (optionally) and one-hot encode, by column type of ``frame``: scikit-learn's
    ``ColumnTransformer``, which :class:`Preprocessor` fits and then applies with NumPy alone."""
    kinds = dict(zip(frame.columns, feature_types(frame), strict=True))
    numeric = [c for c in frame.columns if kinds[c] == "q"]
    categorical = [c for c in frame.columns if kinds[c] == "c"]
    numeric_steps: list[tuple[str, Any]] = [("impute", SimpleImputer(strategy="median", keep_empty_features=True))]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    return ColumnTransformer(
        [
            ("numeric", Pipeline(numeric_steps), numeric),
            (
                "categorical",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_TEXT)),
                        ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                categorical,
            ),
        ],
        remainder="drop",
    )


def require_columns(X: pd.DataFrame, names: Any) -> None:
    """Refuse a frame that lacks any of the model's input columns ``names``, naming them."""
    missing = [str(c) for c in names if c not in X.columns]
    if missing:
        raise ValueError(
            f"the frame lacks the model's input column(s) {missing}; send every column the model was trained on"
        )


#: What a missing text value is one-hot encoded as (its own category).
MISSING_TEXT = "__missing__"


class Preprocessor(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Median imputation, optional standard scaling and one-hot encoding of the raw feature frame, as
    scikit-learn's :func:`preprocessor` does: fitted by scikit-learn's own transformers, then applied with
    NumPy from what they learned (medians, means and scales, categories). The output is the same matrix,
    number for number (tested); a single row takes a fraction of a millisecond instead of the 4.5-5.7 ms
    the ``ColumnTransformer`` took to dispatch its pipelines per call.
    """

    def __init__(self, scale: bool = False) -> None:
        self.scale = scale

    def fit(self, X: pd.DataFrame, y: Any = None) -> Preprocessor:
        self.fit_transform(X)
        return self

    def fit_transform(self, X: pd.DataFrame, y: Any = None, **fit_params: Any) -> np.ndarray:
        """Fit, and return scikit-learn's own matrix of ``X`` (the same as :meth:`transform`'s): the training
        frame is transformed once, not twice."""
        fitted = preprocessor(X, self.scale)
        matrix = fitted.fit_transform(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        numeric, text = fitted.named_transformers_["numeric"], fitted.named_transformers_["categorical"]
        self.numeric_ = list(fitted.transformers_[0][2])
        self.text_ = list(fitted.transformers_[1][2])
        if not self.numeric_:  # scikit-learn leaves a transformer of no columns unfitted
            self.medians_, self.means_, self.scales_ = np.empty(0), None, None
        else:
            self.medians_ = np.asarray(numeric.named_steps["impute"].statistics_, dtype="float64")
            scaler = numeric.named_steps.get("scale")
            self.means_ = None if scaler is None else np.asarray(scaler.mean_, dtype="float64")
            self.scales_ = None if scaler is None else np.asarray(scaler.scale_, dtype="float64")
        # object Indexes: pandas would back an Index of text with pyarrow, which a model's environment lacks
        self.categories_ = (
            [pd.Index(c, dtype=object) for c in text.named_steps["encode"].categories_] if self.text_ else []
        )
        return np.asarray(matrix, dtype="float64")

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        require_columns(X, self.feature_names_in_)
        selected = X if list(X.columns) == self.numeric_ else X[self.numeric_]  # selecting costs 0.4 ms a row
        numbers = selected.to_numpy(dtype="float64", na_value=np.nan)
        gaps = np.isnan(numbers)
        if gaps.any():
            numbers = np.where(gaps, self.medians_, numbers)
        if self.means_ is not None and self.scales_ is not None:
            numbers = (numbers - self.means_) / self.scales_
        blocks = [numbers]
        for column, categories in zip(self.text_, self.categories_, strict=True):
            values = X[column]
            codes = categories.get_indexer(values.astype(object).where(values.notna(), MISSING_TEXT))
            onehot = np.zeros((len(X), len(categories)), dtype="float64")
            known = codes >= 0  # an unseen value: all zeros
            onehot[np.flatnonzero(known), codes[known]] = 1.0
            blocks.append(onehot)
        return np.hstack(blocks) if len(blocks) > 1 else numbers


def feature_types(X: pd.DataFrame) -> list[str]:
    """XGBoost's type of each column of the raw feature frame: ``c`` (categorical) for text, ``q`` for numbers."""
    return ["q" if pd.api.types.is_numeric_dtype(X[c]) else "c" for c in X.columns]


class NativeCategories(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """The raw feature frame as XGBoost's native categorical input: a float matrix in which each text
    column holds the code of its value among the categories seen in training, and each numeric column
    its numbers, gaps left missing. The booster is told which columns are categorical
    (``feature_types``, :func:`feature_types`), as XGBoost documents for NumPy input.

    A value training never saw, and a missing one, become missing: XGBoost sends them down each split's
    learned default branch. No one-hot columns: a fit on 800k rows of 10 numeric and 2 text columns
    took 5.6-6.6 s against 10.5 s for the one-hot pipeline here. The categories are fixed at fit, so every
    frame is coded as training coded it, whatever values a request holds or lacks; a matrix, not a
    frame with pandas categoricals, because XGBoost converts such a frame slowly (a single row: 1.3 ms
    to code and 1.1 ms to predict here, against 3.3 ms and 4.0 ms).
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> NativeCategories:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.categories_: dict[Any, pd.Index] = {
            column: pd.Index(sorted(X[column].dropna().unique().tolist(), key=str), dtype=object)  # no pyarrow
            for column, kind in zip(X.columns, feature_types(X), strict=True)
            if kind == "c"
        }
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        require_columns(X, self.feature_names_in_)
        out = np.empty((len(X), len(self.feature_names_in_)), dtype="float64")
        numbers = [i for i, c in enumerate(self.feature_names_in_) if c not in self.categories_]
        columns = X[self.feature_names_in_[numbers]]
        if all(pd.api.types.is_float_dtype(t) and isinstance(t, np.dtype) for t in columns.dtypes):
            out[:, numbers] = columns.to_numpy(dtype="float64")  # one block copy: what a served row has
        else:
            for i, column in zip(numbers, columns.columns, strict=True):  # text that is no number: refused
                out[:, i] = pd.to_numeric(columns[column]).to_numpy(dtype="float64", na_value=np.nan)
        for i, column in enumerate(self.feature_names_in_):
            if column in self.categories_:
                codes = self.categories_[column].get_indexer(X[column]).astype("float64")
                codes[codes < 0] = np.nan  # unseen or missing
                out[:, i] = codes
        return out


def _estimator(
    family: str, seed: int, threads: int = 1, task: str = "classification", types: list[str] | None = None
) -> Any:
    regression = task == "regression"
    if family == "logistic_regression" and not regression:
        return LogisticRegression(max_iter=2000, random_state=seed)
    if family == "ridge" and regression:
        return Ridge(random_state=seed)
    if family == "random_forest":
        forest = RandomForestRegressor if regression else RandomForestClassifier
        return forest(n_estimators=200, random_state=seed, n_jobs=threads)
    if family == "xgboost":
        booster = XGBRegressor if regression else XGBClassifier
        return booster(
            tree_method="hist",
            enable_categorical=True,
            feature_types=types,
            n_jobs=threads,
            random_state=seed,
            verbosity=0,
        )
    usable = "ridge, random_forest or xgboost" if regression else "logistic_regression, random_forest or xgboost"
    raise ValueError(f"model family '{family}' cannot train a {task}; use {usable}")


def build_candidate(
    family: str, X: pd.DataFrame, seed: int, threads: int = 1, task: str = "classification"
) -> TabularModel:
    """An untrained candidate of ``family`` for ``task`` that accepts the raw feature frame ``X``; tree
    models use ``threads`` threads (results do not depend on it)."""
    prepare = (
        NativeCategories() if family == "xgboost" else Preprocessor(scale=family in ("logistic_regression", "ridge"))
    )
    model = _estimator(family, seed, threads, task, feature_types(X))
    pipeline = Pipeline([("preprocess", prepare), ("model", model)])
    return TabularRegressor(pipeline) if task == "regression" else LabelEncodedClassifier(pipeline)
