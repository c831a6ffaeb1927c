"""The quality gate: a candidate replaces the champion only if it is better by a margin."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from portable_mlops.params import GateParams


@dataclass(frozen=True)
class Decision:
    """What the gate decided and why."""

    promote: bool
    metric: str
    candidate_score: float
    champion_score: float | None
    margin: float
    reason: str

    def as_dict(self) -> dict[str, object]:
        """A JSON-friendly copy for run metadata and artifacts."""
        return asdict(self)


def decide(candidate_score: float, champion_score: float | None, gate: GateParams) -> Decision:
    """Promote when there is no champion, or when the candidate beats it by more than the margin.

    A tie, a NaN on either side, or any shortfall keeps the champion: a worse model is never promoted.
    """
    metric = gate.metric
    if candidate_score != candidate_score:  # NaN
        return Decision(False, metric, candidate_score, champion_score, gate.margin, "candidate score is NaN")
    if champion_score is None:
        return Decision(True, metric, candidate_score, None, gate.margin, "no champion yet")
    if champion_score != champion_score:
        return Decision(False, metric, candidate_score, champion_score, gate.margin, "champion score is NaN")
    gain = candidate_score - champion_score
    if gain > gate.margin:
        reason = f"{metric} {candidate_score:.4f} beats champion {champion_score:.4f} by {gain:.4f} > {gate.margin}"
        return Decision(True, metric, candidate_score, champion_score, gate.margin, reason)
    reason = f"{metric} {candidate_score:.4f} vs champion {champion_score:.4f}: gain {gain:.4f} <= margin {gate.margin}"
    return Decision(False, metric, candidate_score, champion_score, gate.margin, reason)
