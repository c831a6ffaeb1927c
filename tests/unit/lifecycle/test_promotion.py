"""Promotion: the gate's decision applied through the champion module, on a real MLflow registry."""

from __future__ import annotations

import pytest

from portable_mlops.errors import PromotionError
from portable_mlops.lifecycle.promotion import promote
from portable_mlops.params import GateParams
from tests.unit.lifecycle.conftest import Registry, ZenmlVersionStandIn


def test_better_promotes_worse_stays_challenger_and_a_rerun_keeps_the_champion(registry: Registry) -> None:
    gate = GateParams(metric="roc_auc", margin=0.01)
    first = registry.register(1.0)
    decision = promote(registry.stack_registry, "m", first, 0.90, [], lambda model: 0.0, gate, ZenmlVersionStandIn())
    assert decision.promote and decision.reason == "no champion yet" and registry.alias("champion") == first

    better = registry.register(2.0)
    decision = promote(registry.stack_registry, "m", better, 0.95, [], lambda model: 0.90, gate, ZenmlVersionStandIn())
    assert decision.promote and (decision.registry_version, decision.previous_champion) == (better, first)
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (better, first)

    worse = registry.register(3.0)
    staged = ZenmlVersionStandIn()
    decision = promote(registry.stack_registry, "m", worse, 0.955, [], lambda model: 0.95, gate, staged)
    assert not decision.promote and "<= margin 0.01" in decision.reason
    assert (registry.alias("champion"), registry.alias("challenger")) == (better, worse)
    assert staged.stages == ["staging"]

    rerun = promote(registry.stack_registry, "m", better, 0.95, [], lambda model: 0.0, gate, ZenmlVersionStandIn())
    assert rerun.promote and "already the champion" in rerun.reason and registry.alias("champion") == better


def test_a_failed_check_keeps_the_champion(registry: Registry) -> None:
    first, second = registry.register(1.0), registry.register(2.0)
    promote(registry.stack_registry, "m", first, 0.9, [], lambda model: 0.0, GateParams(), ZenmlVersionStandIn())
    failed = ["slice a=b accuracy 0.5000 < floor 0.8"]
    decision = promote(
        registry.stack_registry, "m", second, 0.99, failed, lambda m: 0.9, GateParams(), ZenmlVersionStandIn()
    )
    assert not decision.promote and decision.reason.startswith(failed[0])
    assert registry.alias("champion") == first and registry.alias("challenger") == second


def test_a_champion_that_cannot_score_stops_the_promotion_and_changes_nothing(registry: Registry) -> None:
    first, second = registry.register(1.0), registry.register(2.0)
    promote(registry.stack_registry, "m", first, 0.9, [], lambda model: 0.0, GateParams(), ZenmlVersionStandIn())

    def cannot_score(model: object) -> float:
        raise KeyError("mean radius")

    with pytest.raises(PromotionError, match="the champion \\(version 1\\) cannot score this holdout"):
        promote(registry.stack_registry, "m", second, 0.99, [], cannot_score, GateParams(), ZenmlVersionStandIn())
    assert registry.alias("champion") == first and registry.alias("challenger") is None
