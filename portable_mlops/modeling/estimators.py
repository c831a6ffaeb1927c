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
        return np.asarray(self.estimator_.predict(X), dtype="float64")


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
        return np.asarray(self.encoder_.inverse_transform(self.estimator_.predict(X)))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator_.predict_proba(X))


def preprocessor(frame: pd.DataFrame, scale: bool) -> ColumnTransformer:
    """Impute, scale (optionally) and one-hot encode, by column type of ``frame``."""
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in frame.columns if c not in numeric]
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
                        ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
                        ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                categorical,
            ),
        ],
        remainder="drop",
    )


class NativeCategories(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """The raw feature frame as XGBoost's native categorical input: each text column a pandas categorical
    with the categories seen in training, each numeric column float64 with its gaps left missing.

    A value training never saw, and a missing one, become missing: XGBoost sends them down each split's
    learned default branch. No one-hot columns: a 4M-row fit on 10 numeric and 2 text columns takes about
    half the time of the one-hot pipeline (``benchmarks`` scale section). The categories are fixed at fit,
    so every frame is coded as training coded it, whatever values a request holds or lacks.
    """

    def fit(self, X: pd.DataFrame, y: Any = None) -> NativeCategories:
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.categories_: dict[Any, list[Any]] = {}
        for column in X.columns:
            values = X[column]
            if not pd.api.types.is_numeric_dtype(values) and values.notna().any():
                self.categories_[column] = sorted(values.dropna().unique().tolist(), key=str)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [str(c) for c in self.feature_names_in_ if c not in X.columns]
        if missing:
            raise ValueError(
                f"the frame lacks the model's input column(s) {missing}; send every column the model was trained on"
            )
        columns: dict[Any, Any] = {}
        for column in self.feature_names_in_:
            values = X[column]
            if column in self.categories_:
                columns[column] = pd.Categorical(values, categories=self.categories_[column])
            else:
                columns[column] = pd.to_numeric(values).astype("float64")  # text that is no number: refused
        return pd.DataFrame(columns, index=X.index)


def _estimator(family: str, seed: int, threads: int = 1, task: str = "classification") -> Any:
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
        return booster(tree_method="hist", enable_categorical=True, n_jobs=threads, random_state=seed, verbosity=0)
    usable = "ridge, random_forest or xgboost" if regression else "logistic_regression, random_forest or xgboost"
    raise ValueError(f"model family '{family}' cannot train a {task}; use {usable}")


def build_candidate(
    family: str, X: pd.DataFrame, seed: int, threads: int = 1, task: str = "classification"
) -> TabularModel:
    """An untrained candidate of ``family`` for ``task`` that accepts the raw feature frame ``X``; tree
    models use ``threads`` threads (results do not depend on it)."""
    prepare = (
        NativeCategories() if family == "xgboost" else preprocessor(X, scale=family in ("logistic_regression", "ridge"))
    )
    pipeline = Pipeline([("preprocess", prepare), ("model", _estimator(family, seed, threads, task))])
    return TabularRegressor(pipeline) if task == "regression" else LabelEncodedClassifier(pipeline)
