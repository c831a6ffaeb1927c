"""The holdout evaluation end to end: a sensitive column forbidden to the model, sliced and gated."""

from __future__ import annotations

from portable_mlops.evaluation.holdout import evaluate_holdout
from portable_mlops.lifecycle.gate import Scores, decide
from portable_mlops.modeling.estimators import build_candidate
from portable_mlops.modeling.features import check_not_used, model_inputs
from portable_mlops.params import DataSource, EvaluationParams, GateParams
from tests.conftest import group_frame


def test_inclusion_end_to_end_the_sensitive_column_is_forbidden_sliced_and_gated() -> None:
    data = group_frame()
    source = DataSource(uri="groups.csv", target="label", forbidden_features=["group"])
    train, test = data.iloc[:400], data.iloc[400:].reset_index(drop=True)
    X, dropped = model_inputs(train, source)
    assert dropped == ["group"] and list(X.columns) == ["x", "noise"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, train["label"])
    check_not_used(model, source.forbidden_features)  # trained without it: accepted
    params = EvaluationParams(fairness={"column": "group", "max_gap": 0.1}, slices={"columns": [{"column": "group"}]})
    held = evaluate_holdout(model, test, source, params)
    assert list(held.X.columns) == ["x", "noise"]  # the model's inputs: the sensitive column is not one
    fairness = held.quality.fairness
    assert fairness.measured and fairness.lowest == "b" and fairness.gap is not None and fairness.gap > 0.1
    assert [r.slice for r in held.quality.slices.rows] == ["a", "b"]  # sliced by the column the model never saw
    failures = held.quality.failures
    assert failures == fairness.failures and failures[0].startswith("fairness: recall_gap")
    decision = decide(
        Scores(holdout=0.99, reference=0.99), Scores(holdout=0.90, reference=0.90), GateParams(), failures
    )
    assert not decision.promote and decision.reason.startswith("fairness: recall_gap")
