"""Promotion: the gate's decision for a newly registered version, applied through the champion module.

:func:`promote` scores the current champion on the candidate's holdout, asks the gate
(:mod:`portable_mlops.lifecycle.gate`), and then either moves the champion to the candidate or marks
the candidate as challenger (:mod:`portable_mlops.lifecycle.champion`). The promote step only
gathers its inputs and records the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from portable_mlops.errors import PromotionError
from portable_mlops.lifecycle.champion import current_champion, mark_challenger, move_champion
from portable_mlops.lifecycle.gate import Decision, already_champion, decide
from portable_mlops.lifecycle.registry import load_version
from portable_mlops.params import GateParams

logger = logging.getLogger(__name__)


def promote(
    model_registry: Any,
    model_name: str,
    registry_version: str,
    candidate_score: float,
    failed_checks: Sequence[str],
    champion_score: Callable[[Any], float],
    gate: GateParams,
    zenml_version: Any | None = None,
) -> Decision:
    """Decide whether ``registry_version`` replaces the champion, and apply the decision.

    ``champion_score(model)`` scores a model the way the candidate was scored (same rows, same
    metric). A champion that cannot be loaded or cannot score those rows stops the promotion with
    a :class:`PromotionError` and changes nothing. A version that is the champion already (a cached
    re-run registered nothing new) stays champion.
    """
    champion = current_champion(model_registry, model_name)
    if champion == registry_version:
        decision = already_champion(registry_version, candidate_score, gate)
        move_champion(model_registry, model_name, registry_version, zenml_version)
        return decision.model_copy(update={"registry_version": registry_version})
    theirs = None
    if champion is not None:
        model = load_version(model_name, champion)
        try:
            theirs = champion_score(model)
        except Exception as exc:
            raise PromotionError(
                f"the champion (version {champion}) cannot score this holdout ({exc}); "
                "train the new data under its own --model-name"
            ) from exc
    decision = decide(candidate_score, theirs, gate, failed_checks)
    logger.info("Gate: %s -> %s", decision.reason, "PROMOTE" if decision.promote else "keep champion")
    if decision.promote:
        move_champion(model_registry, model_name, registry_version, zenml_version)
    else:
        mark_challenger(model_registry, model_name, registry_version, zenml_version)
    return decision.model_copy(update={"registry_version": registry_version, "previous_champion": champion})
