"""The estimators: the code that is pickled into every registered model.

This module, and everything it imports, uses only numpy, pandas, scikit-learn and xgboost: it is
shipped as the model's ``code_paths`` and must load in an environment built from the model's own
requirements (no zenml, no mlflow, nothing else of this project). The layer contract
``model code imports only its requirements`` in ``.importlinter`` checks it on every ``make check``.

Every candidate is one estimator that takes the raw feature frame: imputation, scaling and one-hot
encoding live inside it, so a served model needs no extra code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, clone
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
        self.encoder_ = LabelEncoder().fit(np.asarray(y))
        self.classes_ = self.encoder_.classes_
        self.estimator_ = clone(self.estimator).fit(X, self.encoder_.transform(np.asarray(y)))
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
        return booster(tree_method="hist", n_jobs=threads, random_state=seed, verbosity=0)
    usable = "ridge, random_forest or xgboost" if regression else "logistic_regression, random_forest or xgboost"
    raise ValueError(f"model family '{family}' cannot train a {task}; use {usable}")


def build_candidate(
    family: str, X: pd.DataFrame, seed: int, threads: int = 1, task: str = "classification"
) -> TabularModel:
    """An untrained candidate of ``family`` for ``task`` that accepts the raw feature frame ``X``; tree
    models use ``threads`` threads (results do not depend on it)."""
    pipeline = Pipeline(
        [
            ("preprocess", preprocessor(X, scale=family in ("logistic_regression", "ridge"))),
            ("model", _estimator(family, seed, threads, task)),
        ]
    )
    return TabularRegressor(pipeline) if task == "regression" else LabelEncodedClassifier(pipeline)
