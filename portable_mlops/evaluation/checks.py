"""The quality checks the gate reads: holdout quality per data slice and the gap of a rate between
the groups of a sensitive attribute (inclusion), with the quality under shift and the features that
add nothing beside them (:class:`QualityChecks`).

Per-group numbers come from fairlearn's ``MetricFrame`` (the standard tool for disaggregated
metrics); the metrics themselves are :mod:`portable_mlops.evaluation.metrics`, the same functions as
the holdout metrics and the gate. Groups too small to judge, or where a metric is undefined, are
reported as skipped and never gated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, count, selection_rate, true_positive_rate
from pydantic import BaseModel, ConfigDict

from portable_mlops.errors import UserFacingError
from portable_mlops.evaluation.diagnostics import DecayResult
from portable_mlops.evaluation.metrics import metric_value
from portable_mlops.evaluation.performance import PerformanceResult
from portable_mlops.params import FairnessParams, SliceParams, better

#: A column sliced per value may have at most this many values; more needs ``bins``.
MAX_VALUES = 50


class SliceConfigError(UserFacingError, ValueError):
    """A slice or fairness column cannot be sliced as configured."""


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")


class SliceRow(_Result):
    """One slice: its column and label, its holdout rows and the metric there (None when skipped)."""

    column: str
    slice: str
    rows: int
    value: float | None
    status: str


class SliceResult(_Result):
    """Holdout quality per slice of every configured column, the worst slice, and the floor's verdict."""

    metric: str
    floor: float | None
    min_rows: int
    rows: list[SliceRow] = []
    scored: int = 0
    skipped: int = 0
    missing_columns: list[str] = []
    worst: SliceRow | None = None
    failures: list[str] = []


class GroupRate(_Result):
    """One group of the sensitive attribute: rows, positive rows and the measured rate (None when skipped)."""

    group: str
    rows: int
    positives: int
    rate: float | None
    status: str


class FairnessResult(_Result):
    """The largest gap of a per-group rate across the sensitive attribute's groups."""

    column: str | None
    measure: str
    max_gap: float | None
    measured: bool
    reason: str = ""
    positive_class: str | None = None
    groups: list[GroupRate] = []
    gap: float | None = None
    lowest: str | None = None
    highest: str | None = None
    failures: list[str] = []


class QualityChecks(_Result):
    """Everything the evaluation checks beyond the overall metrics; ``failures`` keep the champion."""

    slices: SliceResult
    fairness: FairnessResult
    decay: DecayResult
    non_beneficial_features: list[str]
    performance: PerformanceResult | None = None

    @property
    def failures(self) -> list[str]:
        """What the gate must refuse the model for: slices under the floor, a fairness gap too wide."""
        return [*self.slices.failures, *self.fairness.failures]


def slice_labels(frame: pd.DataFrame, column: str, bins: int) -> tuple[np.ndarray, list[str]]:
    """Each row's slice of ``frame`` by ``column`` and the slices in order: one per value, or ``bins``
    quantile bins of a numeric column (fewer when quantiles coincide). Missing values form a slice of
    their own, ``missing``."""
    series = frame[column]
    labels = np.full(len(series), "missing", dtype=object)
    if bins:
        numeric = pd.to_numeric(series, errors="coerce")
        if numeric.notna().sum() == 0 or numeric[series.notna()].isna().any():
            raise SliceConfigError(f"column '{column}' is not numeric, so it cannot be binned; set its bins to 0")
        cut = pd.qcut(numeric, q=bins, duplicates="drop")
        order = [f"({interval.left:.4g}, {interval.right:.4g}]" for interval in cut.cat.categories]
        codes = np.asarray(cut.cat.codes)
        present = codes >= 0
        labels[present] = np.asarray(order, dtype=object)[codes[present]]
    else:
        present = np.asarray(series.notna())
        order = sorted(series[present].astype(str).unique())
        if len(order) > MAX_VALUES:
            raise SliceConfigError(
                f"column '{column}' has {len(order)} distinct values, too many slices; give it bins (e.g. bins: 4)"
            )
        labels[present] = np.asarray(series[present].astype(str), dtype=object)
    if (labels == "missing").any() and "missing" not in order:
        order.append("missing")
    return labels, order


def by_group(
    labels: np.ndarray, y_true: np.ndarray, predicted: np.ndarray, metric: Callable[..., float | None]
) -> dict[str, tuple[int, float | None]]:
    """Rows and ``metric(y_true, predicted, rows)`` per group, with fairlearn's ``MetricFrame``.

    ``rows`` are the group's row positions, for metrics that need more than the labels (probabilities).
    """

    def value(y: np.ndarray, p: np.ndarray, rows: np.ndarray) -> float:
        result = metric(y, p, rows)
        return float("nan") if result is None else float(result)

    frame = MetricFrame(
        metrics={"rows": count, "value": value},
        y_true=y_true,
        y_pred=predicted,
        sensitive_features=pd.Series(labels, name="group"),
        sample_params={"value": {"rows": np.arange(len(y_true))}},
    ).by_group
    return {
        str(group): (int(row["rows"]), None if pd.isna(row["value"]) else float(row["value"]))
        for group, row in frame.iterrows()
    }


def evaluate_slices(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    predicted: np.ndarray,
    proba: np.ndarray | None,
    classes: list[str],
    params: SliceParams,
) -> SliceResult:
    """Holdout quality per slice of every configured column, the worst slice, and the floor's verdict.

    A column the data lacks is listed in ``missing_columns`` (the default config names the default
    data's columns); a slice with fewer than ``min_rows`` rows, or where the metric is undefined, is
    ``skipped`` and never gated. The worst slice is the lowest score, or the highest error (RMSE, MAE).
    """
    rows: list[SliceRow] = []
    missing = [spec.column for spec in params.columns if spec.column not in frame.columns]
    name = params.metric or "accuracy"

    def metric(y: np.ndarray, p: np.ndarray, at: np.ndarray) -> float | None:
        return metric_value(name, y, p, None if proba is None else proba[at], classes)

    for spec in params.columns:
        if spec.column in missing:
            continue
        labels, order = slice_labels(frame, spec.column, spec.bins)
        groups = by_group(labels, y_true, predicted, metric)
        for label in order:
            n, value = groups.get(label, (0, None))
            if n < params.min_rows:
                status, value = f"skipped: {n} rows < {params.min_rows}", None
            else:
                needs = "2 distinct values" if proba is None else "both classes"
                status = "ok" if value is not None else f"skipped: {name} needs {needs}"
            rows.append(SliceRow(column=spec.column, slice=label, rows=n, value=value, status=status))
    scored = [r for r in rows if r.status == "ok" and r.value is not None]
    worst = min(scored, key=lambda r: better(name, r.value or 0.0, 0.0)) if scored else None
    beyond = "above ceiling" if better(name, 1.0, 0.0) < 0 else "< floor"
    failures = [
        f"slice {r.column}={r.slice} {name} {r.value:.4f} {beyond} {params.floor}"
        for r in scored
        if params.floor is not None and r.value is not None and better(name, r.value, params.floor) < 0
    ]
    return SliceResult(
        metric=name,
        floor=params.floor,
        min_rows=params.min_rows,
        rows=rows,
        scored=len(scored),
        skipped=len(rows) - len(scored),
        missing_columns=missing,
        worst=worst,
        failures=failures,
    )


#: The per-group rate of each fairness measure (fairlearn's): recall of the positive class
#: (equal opportunity) or the share predicted positive (demographic parity).
RATES: dict[str, Callable[..., float]] = {"recall_gap": true_positive_rate, "positive_rate_gap": selection_rate}


def evaluate_fairness(
    frame: pd.DataFrame, y_true: np.ndarray, predicted: np.ndarray, classes: list[str], params: FairnessParams
) -> FairnessResult:
    """The largest gap of a per-group rate between the groups of the sensitive column.

    ``recall_gap``: recall of the positive class per group (equal opportunity); ``positive_rate_gap``:
    the share of rows predicted positive per group (demographic parity). Groups with fewer than
    ``min_rows`` rows (or, for recall, no positive row) are skipped. A configured column the data
    lacks is a gate failure: the gap the configuration asks for cannot be measured.
    """
    base: dict[str, Any] = {"column": params.column, "measure": params.measure, "max_gap": params.max_gap}
    if params.column is None:
        return FairnessResult(**base, measured=False, reason="no sensitive column configured")
    if not classes:  # a regression: EvaluationParams.for_task refuses a configured column before this
        return FairnessResult(**base, measured=False, reason="a regression: both measures are rates of a class")
    if params.column not in frame.columns:
        why = f"sensitive column '{params.column}' is not in the holdout, so the {params.measure} cannot be measured"
        return FairnessResult(**base, measured=False, reason=why, failures=[why])
    positive = params.positive_class if params.positive_class is not None else classes[-1]
    if positive not in classes:
        raise SliceConfigError(
            f"evaluation.fairness.positive_class '{positive}' is not a class of the model ({', '.join(classes)}); "
            "set it to one of them"
        )
    labels, order = slice_labels(frame, params.column, params.bins)
    rate = partial(RATES[params.measure], pos_label=positive)
    rates = by_group(labels, y_true, predicted, lambda y, p, _: rate(y, p))
    groups: list[GroupRate] = []
    for label in order:
        n, value = rates.get(label, (0, None))
        positives = int((y_true[labels == label] == positive).sum())
        if n < params.min_rows:
            status, value = f"skipped: {n} rows < {params.min_rows}", None
        elif params.measure == "recall_gap" and positives == 0:
            status, value = "skipped: no positive rows", None
        else:
            status = "ok"
        groups.append(GroupRate(group=label, rows=n, positives=positives, rate=value, status=status))
    rated = [g for g in groups if g.rate is not None]
    base |= {"positive_class": positive, "groups": groups}
    if len(rated) < 2:
        return FairnessResult(**base, measured=False, reason="fewer than two groups large enough to compare")
    low = min(rated, key=lambda g: g.rate or 0.0)
    high = max(rated, key=lambda g: g.rate or 0.0)
    gap = (high.rate or 0.0) - (low.rate or 0.0)
    failures = []
    if params.max_gap is not None and gap > params.max_gap:
        failures.append(
            f"fairness: {params.measure} {gap:.4f} between {params.column}={low.group} ({low.rate:.4f}) and "
            f"{params.column}={high.group} ({high.rate:.4f}) > max {params.max_gap}"
        )
    return FairnessResult(**base, measured=True, gap=gap, lowest=low.group, highest=high.group, failures=failures)


def _metric_name(name: str) -> str:
    """A name MLflow accepts as a metric key (letters, digits, ``_ - . / :`` and spaces)."""
    return re.sub(r"[^\w.\- /:]", "_", name)


def quality_metrics(quality: QualityChecks) -> dict[str, float]:
    """The quality results as flat MLflow metrics: per slice, the worst slice, the fairness gap, the
    decay curve (one metric per shift) and the number of features that add nothing."""
    slices, fairness, decay = quality.slices, quality.fairness, quality.decay
    out = {
        _metric_name(f"slice_{slices.metric}/{r.column}/{r.slice}"): float(r.value)
        for r in slices.rows
        if r.status == "ok" and r.value is not None
    }
    if slices.worst is not None and slices.worst.value is not None:
        out[f"slice_{slices.metric}_worst"] = slices.worst.value
    if fairness.measured and fairness.gap is not None:
        out[f"fairness_{fairness.measure}"] = fairness.gap
    for shift, value in zip(decay.shifts, decay.values, strict=False):
        if value is not None:
            out[f"decay_{decay.metric}_shift_{shift:g}"] = value
    out["non_beneficial_features"] = float(len(quality.non_beneficial_features))
    return out


def quality_warnings(quality: QualityChecks) -> list[str]:
    """What the log must say: performance regressions, features that add nothing, failed gate checks."""
    lines = [f"Performance regression: {m}" for m in (quality.performance.regressions if quality.performance else [])]
    unused = quality.non_beneficial_features
    if unused:
        lines.append(
            f"{len(unused)} feature(s) add nothing on the holdout (permutation importance <= 0): {', '.join(unused)}"
        )
    return lines + [f"Gate check failed: {failure}" for failure in quality.failures]


def quality_digest(quality: QualityChecks) -> dict[str, Any]:
    """The quality checks without their per-slice and per-group rows, for run and model metadata."""
    digest: dict[str, Any] = {
        "slices": quality.slices.model_dump(include={"metric", "floor", "worst", "scored", "skipped", "failures"}),
        "fairness": quality.fairness.model_dump(exclude={"groups"}),
        "decay": quality.decay.model_dump(),
        "non_beneficial_features": quality.non_beneficial_features,
    }
    if quality.performance is not None:
        digest["performance"] = quality.performance.model_dump(include={"values", "champion_version", "regressions"})
    return digest
