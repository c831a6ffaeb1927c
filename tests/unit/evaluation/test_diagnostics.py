"""The diagnostics: permutation importance, quality under growing shift, features that add nothing, the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portable_mlops.evaluation.diagnostics import (
    IMPORTANCE_METRICS,
    Importance,
    decay_columns,
    decay_curve,
    feature_importance,
    non_beneficial,
)
from portable_mlops.evaluation.metrics import score
from portable_mlops.modeling.estimators import build_candidate
from portable_mlops.params import DecayParams
from tests.conftest import group_frame


def test_quality_falls_as_the_shift_of_the_important_columns_grows() -> None:
    data = group_frame(800, seed=1).drop(columns=["group"])
    X, y = data.drop(columns=["label"]), data["label"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X.iloc[:500], y.iloc[:500])
    X_test, y_test = X.iloc[500:], y.iloc[500:]
    importance = feature_importance(model, X_test, y_test, top=None)
    params = DecayParams(top_features=1).for_task("classification")
    columns = decay_columns(X_test.assign(city="n"), params, importance)
    assert columns == ["x"]  # the most important numeric column; text columns are never shifted
    curve = decay_curve(lambda X_, y_: score(model, X_, y_, params.metric), X_test, y_test, params, columns)
    assert curve.shifts == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert curve.values[0] == pytest.approx(score(model, X_test, y_test, params.metric))
    assert curve.values[-1] is not None and curve.values[0] is not None
    assert curve.values[-1] < curve.values[0] - 0.2 and curve.drop is not None and curve.drop > 0.2
    empty = decay_curve(lambda X_, y_: 1.0, X_test, y_test, params, [])
    assert empty.values == [] and empty.reason == "no numeric column to shift"


def test_features_that_add_nothing_are_flagged() -> None:
    data = group_frame(400, seed=2).drop(columns=["group"]).assign(constant=1.0)
    X, y = data.drop(columns=["label"]), data["label"]
    model = build_candidate("random_forest", X, seed=0).fit(X, y)
    importance = feature_importance(model, X, y, top=None)
    flagged = non_beneficial(importance)
    assert "constant" in flagged and "x" not in flagged
    rows = [Importance(feature=f, drop=d, std=0.0) for f, d in (("a", 0.01), ("b", 0.0), ("c", -0.02))]
    assert non_beneficial(rows) == ["b", "c"]


def test_feature_importance_ranks_the_signal_above_noise() -> None:
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame({"signal": rng.normal(size=n), "noise": rng.normal(size=n), "city": rng.choice(["a", "b"], n)})
    label = np.where(frame["signal"] + rng.normal(scale=0.3, size=n) > 0, "yes", "no")
    model = build_candidate("random_forest", frame, seed=0).fit(frame, label)
    rows = feature_importance(model, frame, pd.Series(label))
    assert IMPORTANCE_METRICS["classification"] == "roc_auc" and rows[0].feature == "signal"
    assert rows[0].drop > 0.1 > max(r.drop for r in rows[1:])


def test_diagnostic_sample_is_stratified_seeded_and_capped(cancer) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.evaluation.diagnostics import diagnostic_sample

    small = diagnostic_sample(cancer, "diagnosis", 200)
    assert len(small) == 200 and small.equals(diagnostic_sample(cancer, "diagnosis", 200))
    share = cancer["diagnosis"].value_counts(normalize=True)
    assert (small["diagnosis"].value_counts(normalize=True) - share).abs().max() < 0.01
    assert diagnostic_sample(cancer, "diagnosis", 10_000) is cancer


def test_a_large_holdouts_diagnostic_sample_keeps_each_class_share_to_a_row() -> None:
    import numpy as np
    import pandas as pd

    from portable_mlops.evaluation.diagnostics import diagnostic_sample

    rng = np.random.default_rng(3)
    labels = rng.choice(["a", "b", "c"], size=300_000, p=[0.7, 0.25, 0.05])
    frame = pd.DataFrame({"x": np.arange(300_000), "label": labels})
    small = diagnostic_sample(frame, "label", 10_000)
    assert len(small) == 10_000 and small["x"].is_unique and small.equals(diagnostic_sample(frame, "label", 10_000))
    expected = frame["label"].value_counts() * 10_000 / len(frame)
    assert ((small["label"].value_counts() - expected).abs() < 1).all()
    assert not small.equals(diagnostic_sample(frame, "label", 10_000, seed=1))
    plain = diagnostic_sample(frame, "label", 10_000, stratified=False)
    assert len(plain) == 10_000 and plain["x"].is_unique
