"""The champion moves in one place: alias and stage together, ``previous_champion`` on every move."""

from __future__ import annotations

from portable_mlops.lifecycle.champion import current_champion, mark_challenger, move_champion
from tests.unit.lifecycle.conftest import Registry, ZenmlVersionStandIn


def test_every_move_keeps_the_replaced_champion_as_previous_and_stages_the_new_one(registry: Registry) -> None:
    first, second, third = (registry.register(c) for c in (1.0, 2.0, 3.0))
    zen = ZenmlVersionStandIn()
    assert move_champion(registry.stack_registry, "m", first, zen) is None
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (first, None)
    assert move_champion(registry.stack_registry, "m", second, zen) == first
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (second, first)
    assert move_champion(registry.stack_registry, "m", third, zen) == second
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (third, second)
    assert zen.stages == ["production"] * 3
    # moving to the champion itself changes nothing in the aliases
    assert move_champion(registry.stack_registry, "m", third, zen) is None
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (third, second)


def test_a_challenger_that_becomes_champion_loses_its_challenger_alias(registry: Registry) -> None:
    first, second = registry.register(1.0), registry.register(2.0)
    move_champion(registry.stack_registry, "m", first, ZenmlVersionStandIn())
    staged = ZenmlVersionStandIn()
    mark_challenger(registry.stack_registry, "m", second, staged)
    assert registry.alias("challenger") == second and staged.stages == ["staging"]
    assert current_champion(registry.stack_registry, "m") == first
    move_champion(registry.stack_registry, "m", second, staged)
    assert registry.alias("challenger") is None and registry.alias("champion") == second
    assert staged.stages == ["staging", "production"]
