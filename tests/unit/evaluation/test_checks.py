"""The quality checks: slices and their floor, inclusion (fairness across a sensitive attribute), and
their MLflow metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portable_mlops.evaluation.checks import (
    QualityChecks,
    SliceConfigError,
    evaluate_fairness,
    evaluate_slices,
    quality_metrics,
    slice_labels,
)
from portable_mlops.evaluation.diagnostics import DecayResult
from portable_mlops.params import FairnessParams, SliceParams

CLASSES = ["no", "yes"]


def _outcomes(groups: dict[str, tuple[int, int]]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A frame with column ``group``; per group (rows, wrong predictions), labels alternating yes/no."""
    labels, predicted, names = [], [], []
    for name, (rows, wrong) in groups.items():
        truth = np.array(["yes", "no"] * (rows // 2) + ["yes"] * (rows % 2))
        guess = truth.copy()
        guess[:wrong] = np.where(truth[:wrong] == "yes", "no", "yes")
        labels.append(truth)
        predicted.append(guess)
        names += [name] * rows
    return pd.DataFrame({"group": names}), np.concatenate(labels), np.concatenate(predicted)


def _proba(predicted: np.ndarray) -> np.ndarray:
    positive = (predicted == "yes").astype(float)
    return np.column_stack([1 - positive, positive])


def test_slices_are_values_or_quantile_bins_with_missing_apart() -> None:
    frame = pd.DataFrame({"city": ["a", "b", None, "a"] * 10, "size": [*range(39), np.nan]})
    labels, order = slice_labels(frame, "city", 0)
    assert order == ["a", "b", "missing"] and (labels == "a").sum() == 20 and (labels == "missing").sum() == 10
    assert list(labels[:4]) == ["a", "b", "missing", "a"]
    labels, order = slice_labels(frame, "size", 4)
    assert [int((labels == o).sum()) for o in order] == [10, 10, 9, 10, 1]  # 39 numbers in quartiles, 1 missing
    assert order[0] == "(-0.001, 9.5]" and order[-1] == "missing" and labels[-1] == "missing"
    with pytest.raises(SliceConfigError, match="cannot be binned; set its bins to 0"):
        slice_labels(frame, "city", 4)
    with pytest.raises(SliceConfigError, match="has 60 distinct values, too many slices; give it bins"):
        slice_labels(pd.DataFrame({"size": range(60)}), "size", 0)


def test_worst_slice_below_the_floor_fails_and_small_or_absent_slices_are_skipped() -> None:
    frame, y, predicted = _outcomes({"a": (40, 0), "b": (40, 12), "c": (6, 6)})
    params = SliceParams(columns=[{"column": "group"}, {"column": "region", "bins": 4}], floor=0.8, min_rows=20)
    result = evaluate_slices(frame, y, predicted, _proba(predicted), CLASSES, params)
    assert [(r.slice, r.status) for r in result.rows] == [
        ("a", "ok"),
        ("b", "ok"),
        ("c", "skipped: 6 rows < 20"),  # all wrong, but too small to judge: reported, not gated
    ]
    assert result.worst is not None and (result.worst.column, result.worst.slice, result.worst.rows) == (
        "group",
        "b",
        40,
    )
    assert result.worst.value == pytest.approx(0.7)
    assert result.failures == ["slice group=b accuracy 0.7000 < floor 0.8"]
    assert result.missing_columns == ["region"] and result.skipped == 1
    passing = evaluate_slices(frame, y, predicted, _proba(predicted), CLASSES, params.model_copy(update={"floor": 0.6}))
    assert passing.failures == []


def test_a_slice_with_one_class_is_skipped_for_ranking_metrics() -> None:
    frame = pd.DataFrame({"group": ["a"] * 30 + ["b"] * 30})
    y = np.array(["yes", "no"] * 15 + ["yes"] * 30)
    predicted = y.copy()
    result = evaluate_slices(
        frame,
        y,
        predicted,
        _proba(predicted),
        CLASSES,
        SliceParams(columns=[{"column": "group"}], metric="roc_auc", floor=0.9),
    )
    assert [r.status for r in result.rows] == ["ok", "skipped: roc_auc needs both classes"]
    assert result.worst is not None and result.worst.slice == "a" and result.failures == []


def test_fairness_gap_between_groups_fails_beyond_the_maximum() -> None:
    # group a: every positive found; group b: 8 of 20 positives missed (recall 0.6)
    frame, y, predicted = _outcomes({"a": (40, 0), "b": (40, 0), "tiny": (4, 0)})
    missed = np.flatnonzero((frame["group"] == "b").to_numpy() & (y == "yes"))[:8]
    predicted[missed] = "no"
    params = FairnessParams(column="group", max_gap=0.1)
    result = evaluate_fairness(frame, y, predicted, CLASSES, params)
    assert result.measured and result.positive_class == "yes"
    assert result.gap == pytest.approx(0.4) and (result.lowest, result.highest) == ("b", "a")
    assert [g.status for g in result.groups] == ["ok", "ok", "skipped: 4 rows < 20"]
    assert [g.rate for g in result.groups] == [pytest.approx(1.0), pytest.approx(0.6), None]
    assert result.failures == ["fairness: recall_gap 0.4000 between group=b (0.6000) and group=a (1.0000) > max 0.1"]
    parity = evaluate_fairness(frame, y, predicted, CLASSES, params.model_copy(update={"measure": "positive_rate_gap"}))
    assert parity.gap == pytest.approx(8 / 40) and parity.failures
    lenient = evaluate_fairness(frame, y, predicted, CLASSES, params.model_copy(update={"max_gap": 0.5}))
    assert lenient.measured and lenient.failures == []


def test_fairness_is_not_measured_without_a_column_and_fails_when_the_column_is_absent() -> None:
    frame, y, predicted = _outcomes({"a": (40, 0)})
    none = evaluate_fairness(frame, y, predicted, CLASSES, FairnessParams())
    assert not none.measured and none.failures == []
    absent = evaluate_fairness(frame, y, predicted, CLASSES, FairnessParams(column="sex"))
    assert absent.failures == ["sensitive column 'sex' is not in the holdout, so the recall_gap cannot be measured"]
    with pytest.raises(SliceConfigError, match="positive_class 'maybe' is not a class of the model"):
        evaluate_fairness(frame, y, predicted, CLASSES, FairnessParams(column="group", positive_class="maybe"))


def test_quality_metrics_are_valid_mlflow_metric_names() -> None:
    from mlflow.utils.validation import _validate_metric_name

    frame, y, predicted = _outcomes({"(1.5, 2]": (40, 2), "b": (40, 0)})
    quality = QualityChecks(
        slices=evaluate_slices(
            frame, y, predicted, _proba(predicted), CLASSES, SliceParams(columns=[{"column": "group"}])
        ),
        fairness=evaluate_fairness(frame, y, predicted, CLASSES, FairnessParams(column="group")),
        decay=DecayResult(metric="accuracy", columns=["x"], shifts=[0.0, 0.5], values=[0.9, None]),
        non_beneficial_features=["z"],
    )
    metrics = quality_metrics(quality)
    for name in metrics:
        _validate_metric_name(name)
    assert metrics["slice_accuracy/group/_1.5_ 2_"] == pytest.approx(0.95) and metrics["slice_accuracy/group/b"] == 1
    assert metrics["slice_accuracy_worst"] == pytest.approx(0.95)
    assert metrics["fairness_recall_gap"] == pytest.approx(0.05)  # one of 20 positives missed in the first group
    assert metrics["decay_accuracy_shift_0"] == 0.9 and "decay_accuracy_shift_0.5" not in metrics
    assert metrics["non_beneficial_features"] == 1.0
