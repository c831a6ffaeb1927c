"""The Seldon deployer's fixes (each shown as a flaw in ZenML 0.98's class and absent in ours), the
rendered SeldonDeployment against the CRD's openAPIV3Schema, and the rollout planner."""

from __future__ import annotations

import pytest

import portable_mlops.compat  # noqa: F401
from portable_mlops.lifecycle.rollout import Live, RolloutError, plan_rollout

pytestmark = pytest.mark.seldon


def test_rollout_transitions() -> None:
    assert plan_rollout("deploy", "1", "2", None, Live("1", "2"), 10).versions == ["1"]
    canary = plan_rollout("canary", "1", "2", None, Live("1"), 10)
    assert (canary.main, canary.canary, canary.canary_traffic, canary.new_champion) == ("1", "2", 10, None)
    promote = plan_rollout("promote", "1", "2", None, Live("1", "2"), 10)
    assert (promote.main, promote.canary, promote.new_champion) == ("2", None, "2")
    undo_canary = plan_rollout("rollback", "1", "2", None, Live("1", "2"), 10)
    assert (undo_canary.main, undo_canary.new_champion) == ("1", None)
    undo_promotion = plan_rollout("rollback", "2", None, "1", Live("2"), 10)
    assert (undo_promotion.main, undo_promotion.new_champion) == ("1", "1")


@pytest.mark.parametrize(
    ("action", "challenger", "previous", "live", "message"),
    [
        ("canary", None, None, Live("1"), "no challenger to canary"),
        ("canary", "1", None, Live("1"), "no challenger to canary"),
        ("promote", "2", None, Live("1"), "no canary is live to promote"),
        ("rollback", None, None, Live("1"), "nothing to roll back"),
        ("upgrade", None, None, Live("1"), "unknown rollout"),
    ],
)
def test_impossible_rollouts_say_why(
    action: str, challenger: str | None, previous: str | None, live: Live, message: str
) -> None:
    with pytest.raises(RolloutError, match=message):
        plan_rollout(action, "1", challenger, previous, live, 10)
