"""Model quality beyond the overall holdout numbers: per slice, across the groups of a sensitive
attribute (inclusion), under growing input shift (staleness), and which features add nothing.

Plain functions on frames and arrays; the evaluation step calls them and the gate reads their
``failures``. Results are JSON-friendly dicts (missing numbers are None), stored as the
``quality_checks`` artifact.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from portable_mlops.errors import UserFacingError
from portable_mlops.params import DecayParams, FairnessParams, SliceParams

#: A column sliced per value may have at most this many values; more needs ``bins``.
MAX_VALUES = 50


class SliceConfigError(UserFacingError, ValueError):
    """A slice or fairness column cannot be sliced as configured."""


def _number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def slice_groups(frame: pd.DataFrame, column: str, bins: int) -> list[tuple[str, np.ndarray]]:
    """The slices of ``frame`` by ``column``: one per value, or ``bins`` quantile bins of a numeric
    column (fewer when quantiles coincide). Missing values form a slice of their own, ``missing``."""
    series = frame[column]
    if bins:
        numeric = pd.to_numeric(series, errors="coerce")
        if numeric.notna().sum() == 0 or numeric[series.notna()].isna().any():
            raise SliceConfigError(f"column '{column}' is not numeric, so it cannot be binned; set its bins to 0")
        cut = pd.qcut(numeric, q=bins, duplicates="drop")
        groups = [
            (f"({interval.left:.4g}, {interval.right:.4g}]", np.asarray(cut == interval))
            for interval in cut.cat.categories
        ]
    else:
        values = series.dropna().astype(str)
        distinct = sorted(values.unique())
        if len(distinct) > MAX_VALUES:
            raise SliceConfigError(
                f"column '{column}' has {len(distinct)} distinct values, too many slices; give it bins (e.g. bins: 4)"
            )
        text = series.astype(str)
        groups = [(value, np.asarray(series.notna() & (text == value))) for value in distinct]
    missing = np.asarray(series.isna())
    if missing.any():
        groups.append(("missing", missing))
    return groups


def slice_score(
    metric: str, y_true: np.ndarray, predicted: np.ndarray, proba: np.ndarray, classes: list[str]
) -> float | None:
    """``metric`` on one slice; None when it is undefined there (one class only, for ranking metrics)."""
    if metric == "accuracy":
        return float(np.mean(y_true == predicted))
    if len(set(y_true)) < 2:
        return None
    if metric == "balanced_accuracy":
        return float(balanced_accuracy_score(y_true, predicted))
    if len(classes) == 2:
        return float(roc_auc_score(y_true == classes[1], proba[:, 1]))
    present = [c for c in classes if c in set(y_true)]
    if len(present) < len(classes):
        return None
    return float(roc_auc_score(y_true, proba, multi_class="ovr", average="weighted", labels=classes))


def evaluate_slices(
    frame: pd.DataFrame,
    y_true: np.ndarray,
    predicted: np.ndarray,
    proba: np.ndarray,
    classes: list[str],
    params: SliceParams,
) -> dict[str, Any]:
    """Holdout quality per slice of every configured column, the worst slice, and the floor's verdict.

    A column the data lacks is listed in ``missing_columns`` (the default config names the default
    data's columns); a slice with fewer than ``min_rows`` rows, or where the metric is undefined, is
    ``skipped`` and never gated.
    """
    rows: list[dict[str, Any]] = []
    missing = [spec.column for spec in params.columns if spec.column not in frame.columns]
    for spec in params.columns:
        if spec.column in missing:
            continue
        for label, mask in slice_groups(frame, spec.column, spec.bins):
            n = int(mask.sum())
            value = None
            status = f"skipped: {n} rows < {params.min_rows}"
            if n >= params.min_rows:
                value = slice_score(params.metric, y_true[mask], predicted[mask], proba[mask], classes)
                status = "ok" if value is not None else f"skipped: {params.metric} needs both classes"
            rows.append({"column": spec.column, "slice": label, "rows": n, params.metric: value, "status": status})
    scored = [r for r in rows if r["status"] == "ok"]
    worst = min(scored, key=lambda r: r[params.metric]) if scored else None
    failures = [
        f"slice {r['column']}={r['slice']} {params.metric} {r[params.metric]:.4f} < floor {params.floor}"
        for r in scored
        if params.floor is not None and r[params.metric] < params.floor
    ]
    return {
        "metric": params.metric,
        "floor": params.floor,
        "min_rows": params.min_rows,
        "rows": rows,
        "scored": len(scored),
        "skipped": len(rows) - len(scored),
        "missing_columns": missing,
        "worst": None if worst is None else {k: worst[k] for k in ("column", "slice", "rows", params.metric)},
        "failures": failures,
    }


def evaluate_fairness(
    frame: pd.DataFrame, y_true: np.ndarray, predicted: np.ndarray, classes: list[str], params: FairnessParams
) -> dict[str, Any]:
    """The largest gap of a per-group rate between the groups of the sensitive column.

    ``recall_gap``: recall of the positive class per group (equal opportunity); ``positive_rate_gap``:
    the share of rows predicted positive per group (demographic parity). Groups with fewer than
    ``min_rows`` rows (or, for recall, no positive row) are skipped. A configured column the data
    lacks is a gate failure: the gap the configuration asks for cannot be measured.
    """
    result: dict[str, Any] = {"column": params.column, "measure": params.measure, "max_gap": params.max_gap}
    if params.column is None:
        return {**result, "measured": False, "reason": "no sensitive column configured", "failures": []}
    if params.column not in frame.columns:
        why = f"sensitive column '{params.column}' is not in the holdout, so the {params.measure} cannot be measured"
        return {**result, "measured": False, "reason": why, "failures": [why]}
    positive = params.positive_class if params.positive_class is not None else classes[-1]
    if positive not in classes:
        raise SliceConfigError(
            f"evaluation.fairness.positive_class '{positive}' is not a class of the model ({', '.join(classes)}); "
            "set it to one of them"
        )
    groups: list[dict[str, Any]] = []
    for label, mask in slice_groups(frame, params.column, params.bins):
        n, positives = int(mask.sum()), int((y_true[mask] == positive).sum())
        rate: float | None = None
        if n < params.min_rows:
            status = f"skipped: {n} rows < {params.min_rows}"
        elif params.measure == "recall_gap" and positives == 0:
            status = "skipped: no positive rows"
        else:
            hits = predicted[mask] == positive
            rate = float(hits[y_true[mask] == positive].mean() if params.measure == "recall_gap" else hits.mean())
            status = "ok"
        groups.append({"group": label, "rows": n, "positives": positives, "rate": rate, "status": status})
    rated = [g for g in groups if g["rate"] is not None]
    base = {**result, "positive_class": positive, "groups": groups}
    if len(rated) < 2:
        return {**base, "measured": False, "reason": "fewer than two groups large enough to compare", "failures": []}
    low, high = min(rated, key=lambda g: g["rate"]), max(rated, key=lambda g: g["rate"])
    gap = high["rate"] - low["rate"]
    failures = []
    if params.max_gap is not None and gap > params.max_gap:
        failures.append(
            f"fairness: {params.measure} {gap:.4f} between {params.column}={low['group']} ({low['rate']:.4f}) and "
            f"{params.column}={high['group']} ({high['rate']:.4f}) > max {params.max_gap}"
        )
    return {
        **base,
        "measured": True,
        "gap": gap,
        "lowest": low["group"],
        "highest": high["group"],
        "failures": failures,
    }


def decay_columns(X: pd.DataFrame, params: DecayParams, importance: list[dict[str, Any]]) -> list[str]:
    """The numeric columns to shift: the configured ones present in ``X``, else the most important."""
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) and X[c].std() > 0]
    if params.columns:
        return [c for c in params.columns if c in numeric]
    ranked = [str(r["feature"]) for r in importance if r["feature"] in numeric]
    return ranked[: params.top_features]


def decay_curve(score: Any, X: pd.DataFrame, y: pd.Series, params: DecayParams, columns: list[str]) -> dict[str, Any]:
    """``score(X, y)`` on the holdout with ``columns`` shifted by each of ``params.shifts`` standard
    deviations (plus seeded noise of 5% of a deviation, as ``portable_mlops.batches`` makes drifted
    batches): the quality the model keeps as its inputs drift away from what it was trained on."""
    from portable_mlops.batches import shift_columns

    result: dict[str, Any] = {"metric": params.metric, "columns": columns, "shifts": list(params.shifts)}
    if not columns:
        return {**result, "values": [], "reason": "no numeric column to shift"}
    values = []
    for shift in params.shifts:
        shifted = X.copy()
        if shift:
            shift_columns(shifted, columns, shift, np.random.default_rng(params.seed), X)
        values.append(_number(score(shifted, y)))
    drop = values[0] - values[-1] if values[0] is not None and values[-1] is not None else None
    return {**result, "values": values, "drop": drop}


def non_beneficial(importance: list[dict[str, Any]], key: str) -> list[str]:
    """Features whose permutation importance is zero or negative: shuffling them costs nothing."""
    return [str(r["feature"]) for r in importance if not r[key] > 0]


def _metric_name(name: str) -> str:
    """A name MLflow accepts as a metric key (letters, digits, ``_ - . / :`` and spaces)."""
    return re.sub(r"[^\w.\- /:]", "_", name)


def quality_metrics(quality: dict[str, Any]) -> dict[str, float]:
    """The quality results as flat MLflow metrics: per slice, the worst slice, the fairness gap, the
    decay curve (one metric per shift) and the number of features that add nothing."""
    slices, fairness, decay = quality["slices"], quality["fairness"], quality["decay"]
    metric = slices["metric"]
    out = {
        _metric_name(f"slice_{metric}/{r['column']}/{r['slice']}"): float(r[metric])
        for r in slices["rows"]
        if r["status"] == "ok"
    }
    if slices["worst"]:
        out[f"slice_{metric}_worst"] = float(slices["worst"][metric])
    if fairness.get("measured"):
        out[f"fairness_{fairness['measure']}"] = float(fairness["gap"])
    for shift, value in zip(decay["shifts"], decay["values"], strict=False):
        if value is not None:
            out[f"decay_{decay['metric']}_shift_{shift:g}"] = value
    out["non_beneficial_features"] = float(len(quality["non_beneficial_features"]))
    return out


def quality_warnings(quality: dict[str, Any]) -> list[str]:
    """What the log must say: performance regressions, features that add nothing, failed gate checks."""
    lines = [f"Performance regression: {m}" for m in (quality.get("performance") or {}).get("regressions", [])]
    unused = quality["non_beneficial_features"]
    if unused:
        lines.append(
            f"{len(unused)} feature(s) add nothing on the holdout (permutation importance <= 0): {', '.join(unused)}"
        )
    return lines + [f"Gate check failed: {failure}" for failure in quality["failures"]]


def quality_digest(quality: dict[str, Any]) -> dict[str, Any]:
    """The quality checks without their per-slice and per-group rows, for run and model metadata."""
    slices = quality["slices"]
    digest = {
        "slices": {k: slices[k] for k in ("metric", "floor", "worst", "scored", "skipped", "failures")},
        "fairness": {k: v for k, v in quality["fairness"].items() if k != "groups"},
        "decay": quality["decay"],
        "non_beneficial_features": quality["non_beneficial_features"],
    }
    if quality.get("performance"):
        digest["performance"] = {k: quality["performance"][k] for k in ("values", "champion_version", "regressions")}
    return digest


def batch_shift(batch: Any, reference: Any, columns: list[str]) -> dict[str, float]:
    """Each column's mean shift of a batch from the reference, from two whylogs profiles (in the
    columns' units); columns missing, or without numbers, in either profile are left out."""
    shifts = {}
    for column in columns:
        ours, theirs = batch.get_column(column), reference.get_column(column)
        if ours is None or theirs is None:
            continue
        mine, ref = ours.to_summary_dict(), theirs.to_summary_dict()
        if not mine.get("distribution/n") or not ref.get("distribution/n"):
            continue
        shifts[column] = float(mine["distribution/mean"]) - float(ref["distribution/mean"])
    return shifts


def expected_quality(
    score: Any, X: pd.DataFrame, y: pd.Series, batch: Any, reference: Any, metric: str
) -> dict[str, Any] | None:
    """The quality to expect of the champion on a batch: ``score(X, y)`` on its holdout with every
    numeric column moved by the batch's mean shift from the champion's training profile.

    Only mean shifts of numeric columns are carried over (not changes of spread, of text columns or
    of the label's relation to the features), so this is an estimate; the label of the batch is not
    needed. None when no numeric column of the holdout is in both profiles.
    """
    numeric = [c for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
    shifts = batch_shift(batch, reference, numeric)
    if not shifts:
        return None
    shifted = X.copy()
    for column, delta in shifts.items():
        shifted[column] = shifted[column] + delta
    stds = {c: float(X[c].std()) for c in shifts}
    in_std = {c: abs(d) / stds[c] for c, d in shifts.items() if stds[c] > 0}
    largest = max(in_std, key=lambda c: in_std[c]) if in_std else None
    return {
        "metric": metric,
        "expected": _number(score(shifted, y)),
        "unshifted": _number(score(X, y)),
        "columns": len(shifts),
        "largest_shift": {"column": largest, "std": in_std[largest]} if largest else None,
    }
