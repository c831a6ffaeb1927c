"""The gate never promotes a model that is not better than the champion by the margin, that falls behind
it on the reference set, that is under the floor, or that failed a check; an override says who and why."""

from hypothesis import given
from hypothesis import strategies as st

from portable_mlops.lifecycle.gate import Scores, already_champion, decide
from portable_mlops.params import GateParams

score = st.floats(min_value=0.0, max_value=1.0) | st.just(float("nan"))
GATE = GateParams(min_score=0.0)


def s(holdout: float, reference: float) -> Scores:
    return Scores(holdout=holdout, reference=reference)


@given(
    candidate=st.tuples(score, score),
    champion=st.tuples(score, score) | st.none(),
    margin=st.floats(min_value=0.0, max_value=0.5),
    floor=st.floats(min_value=0.0, max_value=1.0),
    failed=st.lists(st.text(min_size=1), max_size=2),
)
def test_never_promotes_worse_behind_below_the_floor_or_failed(
    candidate: tuple[float, float], champion: tuple[float, float] | None, margin: float, floor: float, failed: list[str]
) -> None:
    gate = GateParams(margin=margin, min_score=floor)
    decision = decide(s(*candidate), s(*champion) if champion else None, gate, failed)
    if decision.promote:
        assert not failed and min(candidate) >= floor
        if champion is not None:
            assert candidate[0] - champion[0] > margin and champion[1] - candidate[1] <= margin


def test_wrong_labels_that_make_the_champion_look_bad_do_not_promote() -> None:
    """On the new data's own holdout the champion looks bad (its labels are wrong); on the reference set
    (labels the new data cannot change) the candidate falls behind: it stays a challenger."""
    decision = decide(s(0.99, 0.62), s(0.40, 0.99), GATE)
    assert not decision.promote
    assert (
        decision.reason
        == "roc_auc 0.6200 on the reference set falls behind the champion's 0.9900 by 0.3700 > margin 0.0"
    )
    assert (decision.candidate_reference_score, decision.champion_reference_score) == (0.62, 0.99)


def test_the_floor_holds_for_the_first_model_too() -> None:
    gate = GateParams(min_score=0.9)
    first = decide(s(0.85, 0.85), None, gate)
    assert not first.promote and first.reason == "roc_auc 0.8500 on the holdout is below the floor min_score 0.9"
    assert decide(s(0.95, 0.93), None, gate).promote
    assert not decide(s(0.95, 0.80), None, gate).promote  # the reference set counts too


def test_a_failed_slice_or_fairness_check_keeps_the_champion_and_is_named() -> None:
    failed = ["slice mean radius=(13.4, 15.3] accuracy 0.8000 < floor 0.85"]
    decision = decide(s(0.99, 0.99), s(0.90, 0.90), GATE, failed)
    assert not decision.promote and decision.failed_checks == failed and decision.reason == failed[0]
    assert not decide(s(0.99, 0.99), None, GATE, failed).promote  # not even the first model
    assert decide(s(0.99, 0.99), None, GATE, []).promote


def test_promotes_clearly_better_only() -> None:
    gate = GateParams(margin=0.01, min_score=0.0)
    assert decide(s(0.95, 0.95), s(0.90, 0.95), gate).promote
    assert decide(s(0.95, 0.945), s(0.90, 0.95), gate).promote  # behind on the reference by no more than the margin
    assert not decide(s(0.905, 0.95), s(0.90, 0.95), gate).promote
    assert not decide(s(0.90, 0.90), s(0.90, 0.90), GATE).promote
    assert not decide(s(float("nan"), 0.9), None, gate).promote


def test_an_override_promotes_and_records_who_when_why_and_what_the_gate_said() -> None:
    gate = GateParams(override_reason="the canary converted 4% better for two weeks", min_score=0.0)
    decision = decide(s(0.91, 0.91), s(0.95, 0.95), gate)
    assert decision.promote and decision.override is not None
    assert decision.override.reason == "the canary converted 4% better for two weeks"
    assert decision.override.by and decision.override.at.endswith("+00:00")
    assert decision.override.refused_because.startswith("roc_auc 0.9100 on the reference set falls behind")
    assert decision.reason.startswith(f"OVERRIDE by {decision.override.by}: the canary converted")
    assert decide(s(0.99, 0.99), s(0.90, 0.90), gate).override is None  # nothing to override


def test_a_rerun_of_the_champion_keeps_it_and_says_why() -> None:
    decision = already_champion("3", 0.97, GateParams(metric="roc_auc", margin=0.0))
    assert decision.promote and decision.champion_score == decision.candidate_score == 0.97
    assert "version 3 is already the champion" in decision.reason and "no champion" not in decision.reason


def test_a_regression_gate_compares_errors_lower_first_and_holds_the_r2_floor() -> None:
    gate = GateParams()
    champion = Scores(holdout=55.0, reference=54.0, floor_holdout=0.45, floor_reference=0.46)
    better = Scores(holdout=50.0, reference=53.0, floor_holdout=0.52, floor_reference=0.48)
    worse = Scores(holdout=60.0, reference=53.0, floor_holdout=0.40, floor_reference=0.48)
    promoted = decide(better, champion, gate, task="regression")
    assert promoted.promote and promoted.metric == "rmse"
    assert promoted.reason.startswith("rmse 50.0000 beats champion 55.0000 by 5.0000 > 0.0")
    kept = decide(worse, champion, gate, task="regression")
    assert not kept.promote and "gain -5.0000 <= margin 0.0" in kept.reason
    behind = Scores(holdout=50.0, reference=58.0, floor_holdout=0.52, floor_reference=0.40)
    assert "falls behind the champion's 54.0000 by 4.0000" in decide(behind, champion, gate, task="regression").reason
    useless = Scores(holdout=10.0, reference=10.0, floor_holdout=-0.2, floor_reference=0.3)
    first = decide(useless, None, gate, task="regression")
    assert not first.promote and first.reason == "r2 -0.2000 on the holdout is below the floor min_r2 0.0"
    lenient = decide(useless, None, GateParams(min_r2=-0.5), task="regression")
    assert lenient.promote and lenient.reason == "no champion yet; r2 -0.2000 on the holdout reaches the floor -0.5"
