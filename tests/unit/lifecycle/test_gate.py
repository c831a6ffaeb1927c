"""The gate never promotes a model that is not better than the champion by the margin."""

from hypothesis import given
from hypothesis import strategies as st

from portable_mlops.lifecycle.gate import decide
from portable_mlops.params import GateParams

scores = st.floats(min_value=0.0, max_value=1.0) | st.just(float("nan"))


@given(
    candidate=scores,
    champion=scores,
    margin=st.floats(min_value=0.0, max_value=0.5),
    failed=st.lists(st.text(min_size=1), max_size=2),
)
def test_never_promotes_worse_or_equal(candidate: float, champion: float, margin: float, failed: list[str]) -> None:
    decision = decide(candidate, champion, GateParams(margin=margin), failed)
    if decision.promote:
        assert candidate - champion > margin and not failed


def test_a_failed_slice_or_fairness_check_keeps_the_champion_and_is_named() -> None:
    failed = ["slice mean radius=(13.4, 15.3] accuracy 0.8000 < floor 0.85"]
    decision = decide(0.99, 0.90, GateParams(), failed)
    assert not decision.promote and decision.failed_checks == failed
    assert decision.reason == f"{failed[0]} (roc_auc 0.9900 beats champion 0.9000 by 0.0900 > 0.0)"
    assert not decide(0.99, None, GateParams(), failed).promote  # not even the first model
    assert decide(0.99, None, GateParams(), []).promote


def test_promotes_when_no_champion() -> None:
    assert decide(0.7, None, GateParams()).promote


def test_promotes_clearly_better_only() -> None:
    gate = GateParams(margin=0.01)
    assert decide(0.95, 0.90, gate).promote
    assert not decide(0.905, 0.90, gate).promote
    assert not decide(0.90, 0.90, GateParams()).promote
    assert not decide(float("nan"), None, gate).promote


def test_a_rerun_of_the_champion_keeps_it_and_says_why() -> None:
    from portable_mlops.lifecycle.gate import already_champion

    decision = already_champion("3", 0.97, GateParams(metric="roc_auc", margin=0.0))
    assert decision.promote and decision.champion_score == decision.candidate_score == 0.97
    assert "version 3 is already the champion" in decision.reason and "no champion" not in decision.reason
