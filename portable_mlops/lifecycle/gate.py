"""The quality gate: a worse model never becomes champion, by any path.

A candidate is scored twice, with the champion scored on the same rows each time:

* on its own run's holdout, where it must beat the champion by more than ``margin``;
* on the model's fixed reference set (a holdout kept from the model's first run, replaced only on
  purpose), where it must not fall behind the champion by more than ``margin``. New data with wrong
  labels makes the champion look bad on the new holdout; it cannot change the reference's labels.

Every model, the first included, must reach the floor on both (``min_score`` of the gate metric for
a classification, ``min_r2`` of R2 for a regression), and must have failed none of the evaluation's
checks (slice floor, fairness gap). Every comparison is in the metric's own direction: a lower RMSE
wins. Training and ``--rollout promote`` both ask :func:`decide`. An override exists only with a
reason, recorded with who and when (:class:`Override`).
"""

from __future__ import annotations

import getpass
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict

from portable_mlops.params import GateParams, better


class Scores(BaseModel):
    """One model's gate metric on the run's holdout and on the reference set, and its floor metric
    there when that is another one (R2, for a regression's error metric)."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    holdout: float
    reference: float
    floor_holdout: float | None = None
    floor_reference: float | None = None


class Override(BaseModel):
    """A person promoting what the gate refused: who, when, why, and what the gate had said."""

    model_config = ConfigDict(frozen=True)

    by: str
    at: str
    reason: str
    refused_because: str


class Decision(BaseModel):
    """What the gate decided and why (artifact ``promotion_decision``, read by the run summary)."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    promote: bool
    metric: str
    candidate_score: float
    champion_score: float | None
    margin: float
    reason: str
    failed_checks: list[str] = []
    #: Both models on the model's reference set, and the floor every model must reach.
    candidate_reference_score: float | None = None
    champion_reference_score: float | None = None
    min_score: float | None = None
    #: The metric ``min_score`` is a floor of: the gate metric, or R2 for a regression.
    floor_metric: str | None = None
    override: Override | None = None
    #: The candidate's registry version, and the champion it replaced or kept (filled by the promotion).
    registry_version: str = ""
    previous_champion: str | None = None


def _nan(value: float | None) -> bool:
    return value is not None and value != value


def refusal(candidate: Scores, champion: Scores | None, gate: GateParams, task: str = "classification") -> str | None:
    """Why the gate's metric keeps the champion, or None when the candidate passes; ``gate`` holds the
    task's metric (:meth:`GateParams.for_task`)."""
    gate = gate.for_task(task)
    metric, margin = str(gate.metric), gate.margin
    floor_metric, floor = gate.floor(task)
    setting = "min_r2" if task == "regression" else "min_score"
    if _nan(candidate.holdout) or _nan(candidate.reference):
        return "candidate score is NaN"
    floors = (
        ("holdout", candidate.holdout if candidate.floor_holdout is None else candidate.floor_holdout),
        ("reference set", candidate.reference if candidate.floor_reference is None else candidate.floor_reference),
    )
    for where, value in floors:
        if _nan(value) or value < floor:
            return f"{floor_metric} {value:.4f} on the {where} is below the floor {setting} {floor}"
    if champion is None:
        return None
    if _nan(champion.holdout) or _nan(champion.reference):
        return "champion score is NaN"
    behind = better(metric, champion.reference, candidate.reference)
    if behind > margin:
        return (
            f"{metric} {candidate.reference:.4f} on the reference set falls behind the champion's "
            f"{champion.reference:.4f} by {behind:.4f} > margin {margin}"
        )
    gain = better(metric, candidate.holdout, champion.holdout)
    if gain <= margin:
        return (
            f"{metric} {candidate.holdout:.4f} vs champion {champion.holdout:.4f}: gain {gain:.4f} <= margin {margin}"
        )
    return None


def decide(
    candidate: Scores,
    champion: Scores | None,
    gate: GateParams,
    failed_checks: Sequence[str] = (),
    task: str = "classification",
) -> Decision:
    """Promote only a candidate that passes :func:`refusal` and failed none of the evaluation's checks.

    A tie, a NaN, a shortfall on either set, a score under the floor or any failed check keeps the
    champion; the reason names every failed check first. With ``gate.override_reason`` a refused
    candidate is promoted all the same, and the decision records who overrode it, when and why.
    """
    gate = gate.for_task(task)
    why = refusal(candidate, champion, gate, task)
    reasons = [*failed_checks, *([why] if why else [])]
    if not reasons:
        floor_metric, floor = gate.floor(task)
        reached = candidate.holdout if candidate.floor_holdout is None else candidate.floor_holdout
        ok = (
            f"no champion yet; {floor_metric} {reached:.4f} on the holdout reaches the floor {floor}"
            if champion is None
            else (
                f"{gate.metric} {candidate.holdout:.4f} beats champion {champion.holdout:.4f} by "
                f"{better(str(gate.metric), candidate.holdout, champion.holdout):.4f} > {gate.margin}; reference set "
                f"{candidate.reference:.4f} vs {champion.reference:.4f}"
            )
        )
    decision = Decision(
        promote=not reasons,
        metric=str(gate.metric),
        candidate_score=candidate.holdout,
        champion_score=champion.holdout if champion else None,
        margin=gate.margin,
        reason="; ".join(reasons) if reasons else ok,
        failed_checks=list(failed_checks),
        candidate_reference_score=candidate.reference,
        champion_reference_score=champion.reference if champion else None,
        min_score=gate.floor(task)[1],
        floor_metric=gate.floor(task)[0],
    )
    if reasons and gate.override_reason:
        return overridden(decision, gate.override_reason)
    return decision


def overridden(decision: Decision, reason: str) -> Decision:
    """The refused ``decision`` turned into a promotion by a person, with who, when and why recorded."""
    override = Override(
        by=getpass.getuser(),
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        reason=reason,
        refused_because=decision.reason,
    )
    return decision.model_copy(
        update={
            "promote": True,
            "override": override,
            "reason": f"OVERRIDE by {override.by}: {reason} (the gate refused: {decision.reason})",
        }
    )


def already_champion(version: str, candidate_score: float, gate: GateParams, task: str = "classification") -> Decision:
    """The decision when the registered version is the champion already: a re-run on the same data
    and config reused the cached training and registered nothing new, so nothing moves."""
    reason = f"version {version} is already the champion (this run reused its cached training)"
    return Decision(
        promote=True,
        metric=str(gate.for_task(task).metric),
        candidate_score=candidate_score,
        champion_score=candidate_score,
        margin=gate.margin,
        reason=reason,
    )
