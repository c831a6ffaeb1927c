"""The metrics, one implementation each: the holdout metrics, the gate's score and every slice use
them.

A metric is a function of the true labels, the predicted labels, the class probabilities and the
classes (:data:`METRICS`); a regression's metrics (RMSE, MAE, R2) take the true and predicted
numbers. :func:`compute_metrics`, :func:`score` and the per-slice and per-group scores of
:mod:`portable_mlops.evaluation.checks` all call :func:`metric_value`, so a number means the same
everywhere, and a metric that is undefined on some rows (a ranking metric on one class) is None
there rather than an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from portable_mlops.errors import UserFacingError
from portable_mlops.modeling.estimators import task_of


class NumericalInstabilityError(UserFacingError, ValueError):
    """A model produced probabilities that are not finite or not a distribution."""


def check_numerics(proba: Any, tolerance: float = 1e-6) -> None:
    """Refuse probabilities with NaN or infinity, outside [0, 1], or rows not summing to 1."""
    values = np.asarray(proba, dtype=float)
    finite = np.isfinite(values).all(axis=1)
    valid = finite & (values >= -tolerance).all(axis=1) & (values <= 1 + tolerance).all(axis=1)
    valid &= np.abs(np.where(np.isfinite(values), values, 0).sum(axis=1) - 1) <= 1e-3
    if not valid.all():
        raise NumericalInstabilityError(
            f"the model's class probabilities are not finite or do not sum to 1 on {int((~valid).sum())} of "
            f"{len(values)} rows; it is numerically unstable: rescale the features or narrow the grid, then retrain"
        )


def finite_or_none(value: float | None) -> float | None:
    """A JSON-friendly number: None for a missing or NaN value."""
    return None if value is None or math.isnan(value) else float(value)


def _roc_auc(y_true: np.ndarray, proba: np.ndarray | None, classes: list[str]) -> float:
    assert proba is not None  # MetricSpec.needs_proba: callers pass the probabilities
    if len(classes) == 2:
        return float(roc_auc_score(y_true == classes[1], proba[:, 1]))
    return float(roc_auc_score(y_true, proba, multi_class="ovr", average="weighted", labels=classes))


@dataclass(frozen=True)
class MetricSpec:
    """How a metric is computed and when it is defined."""

    compute: Callable[[np.ndarray, np.ndarray | None, np.ndarray | None, list[str]], float]
    #: Whether it needs class probabilities (and not predicted labels).
    needs_proba: bool = False
    #: Whether it needs two or more classes among the true labels (every class, for several classes).
    needs_classes: bool = False
    #: The task whose predictions it measures.
    task: str = "classification"


#: Every metric the project computes, by the name configs use (``portable_mlops.params.Metric``).
METRICS: dict[str, MetricSpec] = {
    "accuracy": MetricSpec(lambda y, p, _, __: float(accuracy_score(y, p))),
    "balanced_accuracy": MetricSpec(lambda y, p, _, __: float(balanced_accuracy_score(y, p)), needs_classes=True),
    "f1_macro": MetricSpec(lambda y, p, _, __: float(f1_score(y, p, average="macro"))),
    "roc_auc": MetricSpec(lambda y, _, q, c: _roc_auc(y, q, c), needs_proba=True, needs_classes=True),
    "rmse": MetricSpec(lambda y, p, _, __: float(root_mean_squared_error(y, p)), task="regression"),
    "mae": MetricSpec(lambda y, p, _, __: float(mean_absolute_error(y, p)), task="regression"),
    "r2": MetricSpec(lambda y, p, _, __: float(r2_score(y, p)), task="regression"),
}


def defined(metric: str, y_true: np.ndarray, classes: list[str]) -> bool:
    """Whether ``metric`` is defined on these true labels (ranking and balanced metrics need the classes;
    R2 needs a label that varies)."""
    if metric == "r2":
        return len(y_true) > 1 and bool(np.ptp(np.asarray(y_true, dtype=float)) > 0)
    if not METRICS[metric].needs_classes:
        return len(y_true) > 0
    present = set(pd.unique(np.asarray(y_true)).tolist())
    if len(present) < 2:
        return False
    return len(classes) == 2 or all(c in present for c in classes)


def metric_value(
    metric: str, y_true: np.ndarray, predicted: np.ndarray | None, proba: np.ndarray | None, classes: list[str]
) -> float | None:
    """``metric`` on these rows (labels as strings); None when it is undefined on them."""
    if not defined(metric, y_true, classes):
        return None
    return METRICS[metric].compute(y_true, predicted, proba, classes)


def _labels(values: Any, task: str = "classification") -> np.ndarray:
    """True or predicted values as the metrics compare them: labels as strings, a regression's as floats."""
    return np.asarray(values, dtype="float64") if task == "regression" else np.asarray(values).astype(str)


def true_values(y: Any, model: Any) -> np.ndarray:
    """The true labels as ``model``'s metrics compare them (strings, or floats for a regression)."""
    return _labels(y, task_of(model))


def as_codes(y_true: np.ndarray, predicted: np.ndarray | None, classes: list[str]) -> tuple[Any, Any, list[Any]]:
    """True and predicted labels, and the classes, as integer codes in the labels' sorted order.

    Every metric gives the same number on the codes: scikit-learn only compares labels and sorts them,
    and the codes keep both (one code per distinct label, in the same order). On a million text labels
    scikit-learn's metrics spend seconds sorting strings, again in every metric; on codes, milliseconds.
    """
    parts = [pd.unique(np.asarray(y_true)), np.asarray(classes, dtype=object)]
    if predicted is not None:
        parts.append(pd.unique(np.asarray(predicted)))
    labels = np.unique(np.concatenate(parts).astype(str))

    def code(values: Any) -> np.ndarray:
        return np.searchsorted(labels, np.asarray(values).astype(str))

    return code(y_true), None if predicted is None else code(predicted), code(classes).tolist()


def metrics_from(
    y_true: np.ndarray,
    predicted: np.ndarray,
    proba: np.ndarray | None,
    classes: list[str],
    task: str = "classification",
) -> dict[str, float]:
    """Every metric of ``task`` in :data:`METRICS` from predictions already made (NaN where one is undefined);
    a classification's labels are compared as :func:`as_codes` (the same numbers, faster)."""
    if task == "classification":
        y_true, predicted, classes = as_codes(y_true, predicted, classes)
    values = {
        name: metric_value(name, y_true, predicted, proba, classes)
        for name, spec in METRICS.items()
        if spec.task == task
    }
    return {name: float("nan") if value is None else value for name, value in values.items()}


def predictions(model: Any, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """The model's predicted labels (as strings), its class probabilities (checked for numerical
    stability) and its classes, from one pass over ``X``; a regression's predicted numbers (float),
    None and no classes."""
    if task_of(model) == "regression":
        predicted = np.asarray(model.predict(X), dtype="float64")
        if not np.isfinite(predicted).all():
            raise NumericalInstabilityError(
                f"the model predicts NaN or infinity on {int((~np.isfinite(predicted)).sum())} of {len(predicted)} "
                "rows; it is numerically unstable: rescale the features or narrow the grid, then retrain"
            )
        return predicted, None, []
    proba = np.asarray(model.predict_proba(X))
    check_numerics(proba)
    classes = [str(c) for c in model.classes_]
    return np.asarray(classes, dtype=object)[proba.argmax(axis=1)].astype(str), proba, classes


def compute_metrics(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """Every metric of the model's task on ``X``, ``y`` (class probabilities checked for numerical stability)."""
    return metrics_from(true_values(y, model), *predictions(model, X), task=task_of(model))


def score(model: Any, X: pd.DataFrame, y: pd.Series, metric: str) -> float:
    """One metric of ``model`` on ``X``, ``y``: the number the promotion gate compares.

    Equal to ``compute_metrics(model, X, y)[metric]``, with only the call the metric needs
    (``predict_proba`` for ROC AUC, ``predict`` for the others): permutation importance and the
    quality-under-shift curve call it dozens of times. A metric of the other task is refused.
    """
    task = task_of(model)
    if METRICS[metric].task != task:
        raise UserFacingError(
            f"{metric} is a {METRICS[metric].task} metric and the model is a {task}; "
            f"use one of {', '.join(n for n, s in METRICS.items() if s.task == task)}"
        )
    if task == "regression":
        value = metric_value(metric, _labels(y, task), predictions(model, X)[0], None, [])
        return float("nan") if value is None else value
    y_true, classes = _labels(y), [str(c) for c in model.classes_]
    if METRICS[metric].needs_proba:
        proba = np.asarray(model.predict_proba(X))
        check_numerics(proba)
        value = metric_value(metric, y_true, None, proba, classes)
    else:
        value = metric_value(metric, y_true, _labels(model.predict(X)), None, classes)
    return float("nan") if value is None else value
