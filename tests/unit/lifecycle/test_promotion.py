"""Promotion: the gate's decision applied through the champion module, on a real MLflow registry."""

from __future__ import annotations

import pytest

from portable_mlops.errors import PromotionError
from portable_mlops.lifecycle.gate import Scores
from portable_mlops.lifecycle.promotion import promote
from portable_mlops.params import GateParams
from tests.unit.lifecycle.conftest import Registry

GATE = GateParams(metric="roc_auc", margin=0.01, min_score=0.5)


def same(value: float) -> Scores:
    return Scores(holdout=value, reference=value)


def test_better_promotes_worse_stays_challenger_and_a_rerun_keeps_the_champion(
    registry: Registry, stages: list[tuple[str, str]]
) -> None:
    first = registry.register(1.0)
    decision = promote(registry.stack_registry, "m", first, same(0.90), [], lambda model: same(0.0), GATE)
    assert (
        decision.promote
        and decision.reason.startswith("no champion yet; roc_auc ")
        and registry.alias("champion") == first
    )

    better = registry.register(2.0)
    decision = promote(registry.stack_registry, "m", better, same(0.95), [], lambda model: same(0.90), GATE)
    assert decision.promote and (decision.registry_version, decision.previous_champion) == (better, first)
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (better, first)

    worse = registry.register(3.0)
    decision = promote(registry.stack_registry, "m", worse, same(0.955), [], lambda model: same(0.95), GATE)
    assert not decision.promote and "<= margin 0.01" in decision.reason
    assert (registry.alias("champion"), registry.alias("challenger")) == (better, worse)
    assert stages[-1] == (worse, "staging")

    rerun = promote(registry.stack_registry, "m", better, same(0.95), [], lambda model: same(0.0), GATE)
    assert rerun.promote and "already the champion" in rerun.reason and registry.alias("champion") == better


def test_a_failed_check_or_an_override_is_applied_and_recorded(registry: Registry, stages) -> None:  # type: ignore[no-untyped-def]
    first, second, third = registry.register(1.0), registry.register(2.0), registry.register(3.0)
    promote(registry.stack_registry, "m", first, same(0.9), [], lambda model: same(0.0), GATE)
    failed = ["slice a=b accuracy 0.5000 < floor 0.8"]
    decision = promote(registry.stack_registry, "m", second, same(0.99), failed, lambda m: same(0.9), GATE)
    assert not decision.promote and decision.reason == failed[0]
    assert registry.alias("champion") == first and registry.alias("challenger") == second

    overriding = GATE.model_copy(update={"override_reason": "approved by the model review board, ticket 42"})
    decision = promote(registry.stack_registry, "m", third, same(0.7), [], lambda m: same(0.9), overriding)
    assert decision.promote and decision.override is not None and registry.alias("champion") == third
    tags = registry.client.get_model_version("m", third).tags
    assert tags["gate_override_reason"] == "approved by the model review board, ticket 42"
    assert tags["gate_override_by"] == decision.override.by and tags["gate_override_refused_because"]


def test_a_champion_that_cannot_score_stops_the_promotion_and_changes_nothing(registry: Registry, stages) -> None:  # type: ignore[no-untyped-def]
    first, second = registry.register(1.0), registry.register(2.0)
    promote(registry.stack_registry, "m", first, same(0.9), [], lambda model: same(0.0), GATE)

    def cannot_score(model: object) -> Scores:
        raise KeyError("mean radius")

    with pytest.raises(PromotionError, match="the champion \\(version 1\\) cannot score this holdout"):
        promote(registry.stack_registry, "m", second, same(0.99), [], cannot_score, GATE)
    assert registry.alias("champion") == first and registry.alias("challenger") is None


def count_predictions(model):  # type: ignore[no-untyped-def]
    """The row counts of every ``predict_proba`` call made on ``model`` from now on."""
    seen: list[int] = []
    real = model.predict_proba

    def counted(rows):  # type: ignore[no-untyped-def]
        seen.append(len(rows))
        return real(rows)

    model.predict_proba = counted
    return seen


@pytest.mark.parametrize("first_run", [False, True])
def test_the_new_model_is_scored_from_the_evaluations_metrics_not_by_predicting_the_holdout_again(
    cancer, first_run: bool
) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.evaluation.metrics import compute_metrics
    from portable_mlops.lifecycle.promotion import gate_scores
    from portable_mlops.modeling.estimators import build_candidate

    X, y = cancer.drop(columns=["diagnosis"]), cancer["diagnosis"]
    model = build_candidate("logistic_regression", X, 0).fit(X.iloc[::3], y.iloc[::3])
    holdout, reference = (X.iloc[1::3], y.iloc[1::3]), (X.iloc[2::3], y.iloc[2::3])
    if first_run:
        reference = holdout  # the first run keeps its holdout as the reference set
    gate = GateParams()
    expected = gate_scores(model, holdout, reference, gate)  # predicting both sets
    measured = compute_metrics(model, *holdout)  # what evaluate_model outputs

    seen = count_predictions(model)
    mine = gate_scores(model, holdout, reference, gate, measured=measured, reference_is_holdout=first_run)
    assert mine == expected
    assert seen == ([] if first_run else [len(reference[0])])  # the holdout is never predicted again
    wrong = {**measured, "roc_auc": 0.5}
    assert gate_scores(model, holdout, reference, gate, measured=wrong).holdout == 0.5  # it is what is read


def test_a_regressions_gate_and_floor_scores_come_from_the_evaluations_metrics(diabetes) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.evaluation.metrics import compute_metrics
    from portable_mlops.lifecycle.promotion import gate_scores
    from portable_mlops.modeling.estimators import build_candidate

    X, y = diabetes.drop(columns=["progression"]), diabetes["progression"]
    model = build_candidate("ridge", X, 0, task="regression").fit(X.iloc[::2], y.iloc[::2])
    holdout = (X.iloc[1::2], y.iloc[1::2])
    gate = GateParams(metric=None)
    expected = gate_scores(model, holdout, holdout, gate)
    assert expected.floor_holdout is not None  # rmse is compared, r2 is the floor
    measured = compute_metrics(model, *holdout)
    model.predict = None  # nothing may be predicted
    assert gate_scores(model, holdout, holdout, gate, measured=measured, reference_is_holdout=True) == expected


def test_a_champion_judged_on_a_reference_set_of_the_holdouts_rows_predicts_them_once(cancer) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.lifecycle.promotion import gate_scores
    from portable_mlops.modeling.estimators import build_candidate

    X, y = cancer.drop(columns=["diagnosis"]), cancer["diagnosis"]
    champion = build_candidate("logistic_regression", X, 0).fit(X.iloc[::2], y.iloc[::2])
    holdout = (X.iloc[1::2], y.iloc[1::2])
    expected = gate_scores(champion, holdout, holdout, GateParams())
    seen = count_predictions(champion)
    assert gate_scores(champion, holdout, holdout, GateParams(), reference_is_holdout=True) == expected
    assert seen == [len(holdout[0])]
