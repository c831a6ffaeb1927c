"""How stale the champion is: its age, and the quality to expect of it on a batch that moved away
from its training data (no labels needed)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from portable_mlops.evaluation.metrics import finite_or_none


class LargestShift(BaseModel):
    """The column that moved most, in standard deviations of the champion's holdout."""

    model_config = ConfigDict(frozen=True)

    column: str
    std: float


class ExpectedQuality(BaseModel):
    """The champion's expected quality at a batch's shift, against its quality on its own holdout."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    metric: str
    expected: float | None
    unshifted: float | None
    columns: int
    largest_shift: LargestShift | None = None


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
) -> ExpectedQuality | None:
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
    return ExpectedQuality(
        metric=metric,
        expected=finite_or_none(score(shifted, y)),
        unshifted=finite_or_none(score(X, y)),
        columns=len(shifts),
        largest_shift=LargestShift(column=largest, std=in_std[largest]) if largest else None,
    )


def staleness(created_ms: int, now_ms: int, limit_days: float) -> tuple[float, bool]:
    """The champion's age in days (from its registry timestamp) and whether it exceeds the limit."""
    age = max(0.0, (now_ms - created_ms) / 86_400_000)
    return age, age > limit_days
