"""Quality beyond the overall numbers: slices and their floor, inclusion (fairness across a sensitive
attribute), quality under growing shift, features that add nothing, and forbidden features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portable_mlops.errors import ForbiddenFeatureError
from portable_mlops.evaluation import IMPORTANCE_METRIC, assess, feature_importance, score
from portable_mlops.forbidden import check_not_used, model_inputs
from portable_mlops.models import build_candidate
from portable_mlops.params import DataSource, DecayParams, EvaluationParams, FairnessParams, GateParams, SliceParams
from portable_mlops.promotion import decide
from portable_mlops.quality import (
    SliceConfigError,
    decay_columns,
    decay_curve,
    evaluate_fairness,
    evaluate_slices,
    expected_quality,
    non_beneficial,
    quality_metrics,
    slice_groups,
)

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
    by_value = dict(slice_groups(frame, "city", 0))
    assert list(by_value) == ["a", "b", "missing"] and by_value["a"].sum() == 20 and by_value["missing"].sum() == 10
    binned = slice_groups(frame, "size", 4)
    assert [int(mask.sum()) for _, mask in binned] == [10, 10, 9, 10, 1]  # 39 numbers in quartiles, 1 missing
    assert binned[0][0] == "(-0.001, 9.5]" and binned[-1][0] == "missing"
    with pytest.raises(SliceConfigError, match="cannot be binned; set its bins to 0"):
        slice_groups(frame, "city", 4)
    with pytest.raises(SliceConfigError, match="has 60 distinct values, too many slices; give it bins"):
        slice_groups(pd.DataFrame({"size": range(60)}), "size", 0)


def test_worst_slice_below_the_floor_fails_and_small_or_absent_slices_are_skipped() -> None:
    frame, y, predicted = _outcomes({"a": (40, 0), "b": (40, 12), "c": (6, 6)})
    params = SliceParams(columns=[{"column": "group"}, {"column": "region", "bins": 4}], floor=0.8, min_rows=20)
    result = evaluate_slices(frame, y, predicted, _proba(predicted), CLASSES, params)
    assert [(r["slice"], r["status"]) for r in result["rows"]] == [
        ("a", "ok"),
        ("b", "ok"),
        ("c", "skipped: 6 rows < 20"),  # all wrong, but too small to judge: reported, not gated
    ]
    assert result["worst"] == {"column": "group", "slice": "b", "rows": 40, "accuracy": pytest.approx(0.7)}
    assert result["failures"] == ["slice group=b accuracy 0.7000 < floor 0.8"]
    assert result["missing_columns"] == ["region"] and result["skipped"] == 1
    passing = evaluate_slices(frame, y, predicted, _proba(predicted), CLASSES, params.model_copy(update={"floor": 0.6}))
    assert passing["failures"] == []


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
    assert [r["status"] for r in result["rows"]] == ["ok", "skipped: roc_auc needs both classes"]
    assert result["worst"]["slice"] == "a" and result["failures"] == []


def test_fairness_gap_between_groups_fails_beyond_the_maximum() -> None:
    # group a: every positive found; group b: 8 of 20 positives missed (recall 0.6)
    frame, y, predicted = _outcomes({"a": (40, 0), "b": (40, 0), "tiny": (4, 0)})
    missed = np.flatnonzero((frame["group"] == "b").to_numpy() & (y == "yes"))[:8]
    predicted[missed] = "no"
    params = FairnessParams(column="group", max_gap=0.1)
    result = evaluate_fairness(frame, y, predicted, CLASSES, params)
    assert result["measured"] and result["positive_class"] == "yes"
    assert result["gap"] == pytest.approx(0.4) and (result["lowest"], result["highest"]) == ("b", "a")
    assert [g["status"] for g in result["groups"]] == ["ok", "ok", "skipped: 4 rows < 20"]
    assert result["failures"] == ["fairness: recall_gap 0.4000 between group=b (0.6000) and group=a (1.0000) > max 0.1"]
    parity = evaluate_fairness(frame, y, predicted, CLASSES, params.model_copy(update={"measure": "positive_rate_gap"}))
    assert parity["gap"] == pytest.approx(8 / 40) and parity["failures"]
    lenient = evaluate_fairness(frame, y, predicted, CLASSES, params.model_copy(update={"max_gap": 0.5}))
    assert lenient["measured"] and lenient["failures"] == []


def test_fairness_is_not_measured_without_a_column_and_fails_when_the_column_is_absent() -> None:
    frame, y, predicted = _outcomes({"a": (40, 0)})
    none = evaluate_fairness(frame, y, predicted, CLASSES, FairnessParams())
    assert not none["measured"] and none["failures"] == []
    absent = evaluate_fairness(frame, y, predicted, CLASSES, FairnessParams(column="sex"))
    assert absent["failures"] == ["sensitive column 'sex' is not in the holdout, so the recall_gap cannot be measured"]
    with pytest.raises(SliceConfigError, match="positive_class 'maybe' is not a class of the model"):
        evaluate_fairness(frame, y, predicted, CLASSES, FairnessParams(column="group", positive_class="maybe"))


def _group_data(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Synthetic data with a sensitive column ``group``: for group b the label follows ``x`` with a
    higher threshold, so a model that may not see ``group`` misses b's positives near the boundary."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    x = rng.normal(size=n)
    label = np.where(x > np.where(group == "a", 0.0, -0.8), "yes", "no")
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n), "group": group, "label": label})


def test_inclusion_end_to_end_the_sensitive_column_is_forbidden_sliced_and_gated() -> None:
    data = _group_data()
    source = DataSource(uri="groups.csv", target="label", forbidden_features=["group"])
    train, test = data.iloc[:400], data.iloc[400:].reset_index(drop=True)
    X, dropped = model_inputs(train, source)
    assert dropped == ["group"] and list(X.columns) == ["x", "noise"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, train["label"])
    check_not_used(model, source.forbidden_features)  # trained without it: accepted
    X_test, y_test = model_inputs(test, source)[0], test["label"]
    importance = feature_importance(model, X_test, y_test, top=None)
    params = EvaluationParams(fairness={"column": "group", "max_gap": 0.1}, slices={"columns": [{"column": "group"}]})
    quality = assess(model, test, X_test, y_test, importance, params)
    fairness = quality["fairness"]
    assert fairness["measured"] and fairness["lowest"] == "b" and fairness["gap"] > 0.1
    assert quality["failures"] == fairness["failures"] and quality["failures"][0].startswith("fairness: recall_gap")
    decision = decide(0.99, 0.90, GateParams(), quality["failures"])
    assert not decision.promote and decision.reason.startswith("fairness: recall_gap")


def test_a_model_that_takes_a_forbidden_feature_is_refused() -> None:
    data = _group_data(200)
    X = data.drop(columns=["label"])
    model = build_candidate("logistic_regression", X, seed=0).fit(X, data["label"])
    with pytest.raises(ForbiddenFeatureError, match=r"uses forbidden feature\(s\) 'group'; drop them .* train again"):
        check_not_used(model, ["group", "not_there"])
    check_not_used(model, ["not_there"])
    with pytest.raises(ForbiddenFeatureError, match="every feature column is forbidden"):
        model_inputs(data, DataSource(uri="d.csv", target="label", forbidden_features=["x", "noise", "group"]))


def test_quality_falls_as_the_shift_of_the_important_columns_grows() -> None:
    data = _group_data(800, seed=1).drop(columns=["group"])
    X, y = data.drop(columns=["label"]), data["label"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X.iloc[:500], y.iloc[:500])
    X_test, y_test = X.iloc[500:], y.iloc[500:]
    importance = feature_importance(model, X_test, y_test, top=None)
    params = DecayParams(top_features=1)
    columns = decay_columns(X_test.assign(city="n"), params, importance)
    assert columns == ["x"]  # the most important numeric column; text columns are never shifted
    curve = decay_curve(lambda X_, y_: score(model, X_, y_, params.metric), X_test, y_test, params, columns)
    assert curve["shifts"] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert curve["values"][0] == pytest.approx(score(model, X_test, y_test, params.metric))
    assert curve["values"][-1] < curve["values"][0] - 0.2 and curve["drop"] > 0.2
    assert decay_curve(lambda X_, y_: 1.0, X_test, y_test, params, [])["values"] == []


def test_features_that_add_nothing_are_flagged() -> None:
    data = _group_data(400, seed=2).drop(columns=["group"]).assign(constant=1.0)
    X, y = data.drop(columns=["label"]), data["label"]
    model = build_candidate("random_forest", X, seed=0).fit(X, y)
    importance = feature_importance(model, X, y, top=None)
    flagged = non_beneficial(importance, f"{IMPORTANCE_METRIC} drop")
    assert "constant" in flagged and "x" not in flagged
    assert non_beneficial(
        [{"feature": "a", "d": 0.01}, {"feature": "b", "d": 0.0}, {"feature": "c", "d": -0.02}], "d"
    ) == ["b", "c"]


def test_quality_metrics_are_valid_mlflow_metric_names() -> None:
    from mlflow.utils.validation import _validate_metric_name

    frame, y, predicted = _outcomes({"(1.5, 2]": (40, 2), "b": (40, 0)})
    quality = {
        "slices": evaluate_slices(
            frame, y, predicted, _proba(predicted), CLASSES, SliceParams(columns=[{"column": "group"}])
        ),
        "fairness": evaluate_fairness(frame, y, predicted, CLASSES, FairnessParams(column="group")),
        "decay": {"metric": "accuracy", "shifts": [0.0, 0.5], "values": [0.9, None]},
        "non_beneficial_features": ["z"],
    }
    metrics = quality_metrics(quality)
    for name in metrics:
        _validate_metric_name(name)
    assert metrics["slice_accuracy/group/_1.5_ 2_"] == pytest.approx(0.95) and metrics["slice_accuracy/group/b"] == 1
    assert metrics["slice_accuracy_worst"] == pytest.approx(0.95)
    assert metrics["fairness_recall_gap"] == pytest.approx(0.05)  # one of 20 positives missed in the first group
    assert metrics["decay_accuracy_shift_0"] == 0.9 and "decay_accuracy_shift_0.5" not in metrics
    assert metrics["non_beneficial_features"] == 1.0


def test_expected_quality_of_a_batch_moves_the_holdout_by_the_batch_shift() -> None:
    from portable_mlops.profiling import profile_frame
    from portable_mlops.summary import _expected

    data = _group_data(800, seed=3).drop(columns=["group"])
    X, y = data.drop(columns=["label"]), data["label"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X.iloc[:500], y.iloc[:500])
    X_test, y_test = X.iloc[500:], y.iloc[500:]
    reference = profile_frame(data.iloc[:500])

    def scorer(X_: pd.DataFrame, y_: pd.Series) -> float:
        return score(model, X_, y_, "balanced_accuracy")

    clean = expected_quality(scorer, X_test, y_test, profile_frame(data.iloc[500:]), reference, "balanced_accuracy")
    batch = data.iloc[500:].assign(x=lambda f: f["x"] + 1.5)  # labels unused: only the profile's means count
    drifted = expected_quality(scorer, X_test, y_test, profile_frame(batch), reference, "balanced_accuracy")
    assert clean is not None and drifted is not None
    assert clean["expected"] == pytest.approx(clean["unshifted"], abs=0.05)
    assert drifted["unshifted"] == clean["unshifted"] and drifted["expected"] < clean["expected"] - 0.2
    assert drifted["largest_shift"]["column"] == "x" and drifted["largest_shift"]["std"] == pytest.approx(1.5, abs=0.3)
    unrelated = profile_frame(pd.DataFrame({"other": [1.0, 2.0, 3.0]}))
    assert expected_quality(scorer, X_test, y_test, unrelated, unrelated, "balanced_accuracy") is None
    line = _expected(drifted, 12.4)[0]
    assert line.startswith(f"  staleness: champion 12 days old; expected balanced_accuracy {drifted['expected']:.3f}")
    assert "most 'x' by" in line and _expected(None, 3.0) == []
