"""Diagnostics of a model on its holdout whose cost grows with rows times features: permutation
importance, quality under growing input shift, and the features that add nothing. They run on a
stratified :func:`diagnostic_sample` of the holdout."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict
from sklearn.inspection import permutation_importance

from portable_mlops.evaluation.metrics import finite_or_none, score
from portable_mlops.modeling.estimators import task_of
from portable_mlops.params import DecayParams, better

#: The metric feature importance is measured with, per task: threshold-free ROC AUC for a
#: classification (small holdouts still show a signal), RMSE for a regression.
IMPORTANCE_METRICS = {"classification": "roc_auc", "regression": "rmse"}


class Importance(BaseModel):
    """One feature's permutation importance: how much worse the model's :data:`IMPORTANCE_METRICS`
    gets when the feature is shuffled (ROC AUC lost, RMSE gained), and its standard deviation over the repeats."""

    model_config = ConfigDict(frozen=True)

    feature: str
    drop: float
    std: float


class DecayResult(BaseModel):
    """Quality under growing input shift: the metric at each shift of the columns, in standard deviations;
    ``drop``: how much worse it is at the largest shift than unshifted (an error's rise, a score's fall)."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    metric: str
    columns: list[str]
    shifts: list[float]
    values: list[float | None] = []
    drop: float | None = None
    reason: str = ""


def diagnostic_sample(
    frame: pd.DataFrame, target: str, rows: int, seed: int = 0, stratified: bool = True
) -> pd.DataFrame:
    """At most ``rows`` rows of ``frame``, seeded and (``stratified``, a classification) stratified by
    ``target`` (all of it if smaller).

    For the diagnostics whose cost grows with rows times features (permutation importance, quality
    under shift, plots): beyond some thousands of rows they show the same picture.
    """
    if len(frame) <= rows:
        return frame
    rng = np.random.default_rng(seed)
    if not stratified:
        return frame.iloc[np.sort(rng.choice(len(frame), rows, replace=False))]
    # Each class gets its share of ``rows`` (the remainder to the largest fractions), its rows drawn by
    # NumPy's Generator from that class's positions: a shuffle-split permuted every row (2 s at 1.25M).
    codes, _ = pd.factorize(frame[target], sort=True, use_na_sentinel=False)
    counts = np.bincount(codes)
    exact = counts * rows / len(frame)
    share = np.floor(exact).astype(int)
    share[np.argsort(-(exact - share), kind="stable")[: rows - int(share.sum())]] += 1
    picked = [rng.choice(np.flatnonzero(codes == code), take, replace=False) for code, take in enumerate(share) if take]
    return frame.iloc[np.sort(np.concatenate(picked))]


def feature_importance(
    model: Any, X: pd.DataFrame, y: pd.Series, repeats: int = 5, seed: int = 0, top: int | None = 15
) -> list[Importance]:
    """Permutation importance on the holdout: how much worse the model gets when one column is shuffled
    (ROC AUC lost by a classifier, RMSE gained by a regression).

    Model-agnostic (it works the same for every family and for text columns), measured on rows the
    model did not train on. The ``top`` columns (all with None), most important first.
    """
    metric = IMPORTANCE_METRICS[task_of(model)]
    sign = -1.0 if better(metric, 1.0, 0.0) < 0 else 1.0  # permutation_importance wants higher is better
    result = permutation_importance(
        model, X, y, scoring=lambda m, X_, y_: sign * score(m, X_, y_, metric), n_repeats=repeats, random_state=seed
    )
    order = np.argsort(-result.importances_mean, kind="stable")[:top]
    return [
        Importance(
            feature=str(X.columns[i]), drop=float(result.importances_mean[i]), std=float(result.importances_std[i])
        )
        for i in order
    ]


def decay_columns(X: pd.DataFrame, params: DecayParams, importance: list[Importance]) -> list[str]:
    """The numeric columns to shift: the configured ones present in ``X``, else the most important."""
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and X[c].std() > 0]
    if params.columns:
        return [c for c in params.columns if c in numeric]
    ranked = [r.feature for r in importance if r.feature in numeric]
    return ranked[: params.top_features]


def decay_curve(score: Any, X: pd.DataFrame, y: pd.Series, params: DecayParams, columns: list[str]) -> DecayResult:
    """``score(X, y)`` on the holdout with ``columns`` shifted by each of ``params.shifts`` standard
    deviations (plus seeded noise of 5% of a deviation, as ``portable_mlops.data.batches`` makes drifted
    batches): the quality the model keeps as its inputs drift away from what it was trained on."""
    from portable_mlops.data.batches import shift_columns

    params = params if params.metric is not None else params.for_task("classification")
    if not columns:
        return DecayResult(
            metric=params.metric, columns=[], shifts=list(params.shifts), reason="no numeric column to shift"
        )
    values = []
    for shift in params.shifts:
        shifted = X.copy()
        if shift:
            shift_columns(shifted, columns, shift, np.random.default_rng(params.seed), X)
        values.append(finite_or_none(score(shifted, y)))
    first, last = values[0], values[-1]
    metric = str(params.metric)
    drop = -better(metric, last, first) if first is not None and last is not None else None
    return DecayResult(metric=metric, columns=columns, shifts=list(params.shifts), values=values, drop=drop)


def non_beneficial(importance: list[Importance]) -> list[str]:
    """Features whose permutation importance is zero or negative: shuffling them costs nothing."""
    return [r.feature for r in importance if not r.drop > 0]
