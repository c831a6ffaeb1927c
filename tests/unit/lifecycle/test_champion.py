"""The champion moves in one place: alias and stage together, ``previous_champion`` on every move."""

from __future__ import annotations

from portable_mlops.lifecycle.champion import current_champion, mark_challenger, move_champion
from tests.unit.lifecycle.conftest import Registry


def test_every_move_keeps_the_replaced_champion_as_previous_and_stages_the_new_one(
    registry: Registry, stages: list[tuple[str, str]]
) -> None:
    first, second, third = (registry.register(c) for c in (1.0, 2.0, 3.0))
    assert move_champion(registry.stack_registry, "m", first) is None
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (first, None)
    assert move_champion(registry.stack_registry, "m", second) == first
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (second, first)
    assert move_champion(registry.stack_registry, "m", third) == second
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (third, second)
    assert stages == [(first, "production"), (second, "production"), (third, "production")]
    # moving to the champion itself changes no alias
    assert move_champion(registry.stack_registry, "m", third) is None
    assert (registry.alias("champion"), registry.alias("previous_champion")) == (third, second)


def test_a_challenger_that_becomes_champion_loses_its_challenger_alias(
    registry: Registry, stages: list[tuple[str, str]]
) -> None:
    first, second = registry.register(1.0), registry.register(2.0)
    move_champion(registry.stack_registry, "m", first)
    mark_challenger(registry.stack_registry, "m", second)
    assert registry.alias("challenger") == second and stages[-1] == (second, "staging")
    assert current_champion(registry.stack_registry, "m") == first
    move_champion(registry.stack_registry, "m", second)
    assert registry.alias("challenger") is None and registry.alias("champion") == second
    assert stages[-1] == (second, "production")


def test_the_stage_follows_the_alias_when_another_promotion_moved_it_meanwhile(registry: Registry, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two promotions racing: while this one stages its version, the other moves the alias; the stage
    is moved again until it names the alias's version."""
    first, second = registry.register(1.0), registry.register(2.0)
    staged: list[str] = []

    def stage(model: str, version: str, stage: str) -> None:
        staged.append(version)
        if len(staged) == 1:  # the other run promotes its version right after this one staged
            registry.client.set_registered_model_alias("m", "champion", second)

    monkeypatch.setattr("portable_mlops.lifecycle.champion.set_stage", stage)
    move_champion(registry.stack_registry, "m", first)
    assert staged == [first, second] and registry.alias("champion") == second
