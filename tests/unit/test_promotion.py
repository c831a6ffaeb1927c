"""The gate never promotes a model that is not better than the champion by the margin."""

from hypothesis import given
from hypothesis import strategies as st

from portable_mlops.params import GateParams
from portable_mlops.promotion import decide

scores = st.floats(min_value=0.0, max_value=1.0) | st.just(float("nan"))


@given(candidate=scores, champion=scores, margin=st.floats(min_value=0.0, max_value=0.5))
def test_never_promotes_worse_or_equal(candidate: float, champion: float, margin: float) -> None:
    decision = decide(candidate, champion, GateParams(margin=margin))
    if decision.promote:
        assert candidate - champion > margin


def test_promotes_when_no_champion() -> None:
    assert decide(0.7, None, GateParams()).promote


def test_promotes_clearly_better_only() -> None:
    gate = GateParams(margin=0.01)
    assert decide(0.95, 0.90, gate).promote
    assert not decide(0.905, 0.90, gate).promote
    assert not decide(0.90, 0.90, GateParams()).promote
    assert not decide(float("nan"), None, gate).promote


def test_champion_staleness() -> None:
    from portable_mlops.champion import staleness

    day = 86_400_000
    assert staleness(0, 10 * day, 30) == (10.0, False)
    assert staleness(0, 31 * day, 30) == (31.0, True)
    assert staleness(5 * day, 0, 30) == (0.0, False)  # clock skew: never negative
