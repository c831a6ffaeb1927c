"""The champion's staleness: its age, and the quality to expect of it at a batch's shift."""

from __future__ import annotations

import pandas as pd
import pytest

from portable_mlops.evaluation.metrics import score
from portable_mlops.modeling.estimators import build_candidate
from portable_mlops.monitoring.staleness import expected_quality
from tests.conftest import group_frame


def test_champion_staleness() -> None:
    from portable_mlops.monitoring.staleness import staleness

    day = 86_400_000
    assert staleness(0, 10 * day, 30) == (10.0, False)
    assert staleness(0, 31 * day, 30) == (31.0, True)
    assert staleness(5 * day, 0, 30) == (0.0, False)  # clock skew: never negative


def test_expected_quality_of_a_batch_moves_the_holdout_by_the_batch_shift() -> None:
    from portable_mlops.cli.summary import _expected
    from portable_mlops.data.profiling import profile_frame

    data = group_frame(800, seed=3).drop(columns=["group"])
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
    assert clean.expected is not None and drifted.expected is not None
    assert clean.expected == pytest.approx(clean.unshifted, abs=0.05)
    assert drifted.unshifted == clean.unshifted and drifted.expected < clean.expected - 0.2
    assert drifted.largest_shift is not None and drifted.largest_shift.column == "x"
    assert drifted.largest_shift.std == pytest.approx(1.5, abs=0.3)
    unrelated = profile_frame(pd.DataFrame({"other": [1.0, 2.0, 3.0]}))
    assert expected_quality(scorer, X_test, y_test, unrelated, unrelated, "balanced_accuracy") is None
    line = _expected(drifted, 12.4)[0]
    assert line.startswith(f"  staleness: champion 12 days old; expected balanced_accuracy {drifted.expected:.3f}")
    assert "most 'x' by" in line and _expected(None, 3.0) == []
