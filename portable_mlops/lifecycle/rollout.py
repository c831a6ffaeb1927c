"""Which registry versions a deployment run serves: deploy, canary, promote and rollback.

A plain function of the registry's aliases and of what is live, so every transition is unit-tested
without a deployer. The deploy step applies the result through the stack's deployer and, after the
new spec passed its smoke check, moves the registry aliases (promote, rollback).
"""

from __future__ import annotations

from dataclasses import dataclass

from portable_mlops.errors import UserFacingError


class RolloutError(UserFacingError, ValueError):
    """The rollout asked for cannot be done from the current state; nothing was changed."""


@dataclass(frozen=True)
class Live:
    """What the model's deployment serves now (``main`` is None when nothing is deployed)."""

    main: str | None = None
    canary: str | None = None


@dataclass(frozen=True)
class Served:
    """What the deployment must serve after this run, and the champion the registry must name."""

    main: str
    canary: str | None = None
    canary_traffic: int = 0
    #: The version to move the ``champion`` alias to (promote, rollback), or None to leave it.
    new_champion: str | None = None

    @property
    def versions(self) -> list[str]:
        return [self.main] + ([self.canary] if self.canary else [])


def plan_rollout(
    action: str,
    champion: str,
    challenger: str | None,
    previous: str | None,
    live: Live,
    canary_traffic: int,
) -> Served:
    """The target state of ``action`` given the registry aliases and the live deployment.

    * ``deploy``: the champion alone (a live canary is dropped).
    * ``canary``: the champion plus the challenger at ``canary_traffic`` percent.
    * ``promote``: the live canary alone; it becomes the champion.
    * ``rollback``: with a live canary, drop it; otherwise serve the previous champion again and make
      it the champion.
    """
    if action == "deploy":
        return Served(main=champion)
    if action == "canary":
        if challenger is None or challenger == champion:
            raise RolloutError(
                "no challenger to canary: train a model the gate keeps as 'challenger' "
                "(python run.py --pipeline training; add --no-cache to retrain on unchanged data), then run the canary"
            )
        return Served(main=champion, canary=challenger, canary_traffic=canary_traffic)
    if action == "promote":
        if live.canary is None:
            raise RolloutError("no canary is live to promote: run the deployment with rollout: canary first")
        return Served(main=live.canary, new_champion=live.canary if live.canary != champion else None)
    if action == "rollback":
        if live.canary is not None and live.main is not None:
            return Served(main=live.main)
        if previous is None or previous == champion:
            raise RolloutError("nothing to roll back: no canary is live and no earlier champion is recorded")
        return Served(main=previous, new_champion=previous)
    raise RolloutError(f"unknown rollout '{action}'; use deploy, canary, promote or rollback")
