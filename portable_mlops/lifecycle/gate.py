"""The quality gate: a candidate replaces the champion only if it is better by a margin."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from portable_mlops.params import GateParams


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
    #: The candidate's registry version, and the champion it replaced or kept (filled by the promotion).
    registry_version: str = ""
    previous_champion: str | None = None


def decide(
    candidate_score: float, champion_score: float | None, gate: GateParams, failed_checks: Sequence[str] = ()
) -> Decision:
    """Promote when there is no champion, or when the candidate beats it by more than the margin,
    and the candidate failed none of the evaluation's checks (slice floor, fairness gap).

    A tie, a NaN on either side, any shortfall or any failed check keeps the champion: a worse model
    is never promoted. The reason names every failed check first.
    """
    decision = _by_metric(candidate_score, champion_score, gate)
    if not failed_checks:
        return decision
    checks = "; ".join(failed_checks)
    return decision.model_copy(
        update={"promote": False, "reason": f"{checks} ({decision.reason})", "failed_checks": list(failed_checks)}
    )


def _by_metric(candidate_score: float, champion_score: float | None, gate: GateParams) -> Decision:
    metric = gate.metric

    def verdict(promote: bool, reason: str) -> Decision:
        return Decision(
            promote=promote,
            metric=metric,
            candidate_score=candidate_score,
            champion_score=champion_score,
            margin=gate.margin,
            reason=reason,
        )

    if candidate_score != candidate_score:  # NaN
        return verdict(False, "candidate score is NaN")
    if champion_score is None:
        return verdict(True, "no champion yet")
    if champion_score != champion_score:
        return verdict(False, "champion score is NaN")
    gain = candidate_score - champion_score
    if gain > gate.margin:
        return verdict(
            True, f"{metric} {candidate_score:.4f} beats champion {champion_score:.4f} by {gain:.4f} > {gate.margin}"
        )
    return verdict(
        False,
        f"{metric} {candidate_score:.4f} vs champion {champion_score:.4f}: gain {gain:.4f} <= margin {gate.margin}",
    )


def already_champion(version: str, candidate_score: float, gate: GateParams) -> Decision:
    """The decision when the registered version is the champion already: a re-run on the same data
    and config reused the cached training and registered nothing new, so nothing moves."""
    reason = f"version {version} is already the champion (this run reused its cached training)"
    return Decision(
        promote=True,
        metric=gate.metric,
        candidate_score=candidate_score,
        champion_score=candidate_score,
        margin=gate.margin,
        reason=reason,
    )
