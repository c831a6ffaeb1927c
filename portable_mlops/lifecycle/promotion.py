"""Promotion: the gate's decision for a newly registered version, applied through the champion module.

:func:`promote` scores the current champion on the candidate's holdout, asks the gate
(:mod:`portable_mlops.lifecycle.gate`), and then either moves the champion to the candidate or marks
the candidate as challenger (:mod:`portable_mlops.lifecycle.champion`). The promote step only
gathers its inputs and records the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from portable_mlops.errors import PromotionError
from portable_mlops.lifecycle.champion import current_champion, mark_challenger, move_champion
from portable_mlops.lifecycle.gate import Decision, Override, Scores, already_champion, decide
from portable_mlops.lifecycle.registry import load_version
from portable_mlops.params import GateParams

logger = logging.getLogger(__name__)

#: A feature frame and its labels: the run's holdout, or the model's reference set.
Rows = tuple[Any, Any]


def gate_scores(
    model: Any,
    holdout: Rows,
    reference: Rows,
    gate: GateParams,
    measured: Mapping[str, float] | None = None,
    reference_is_holdout: bool = False,
) -> Scores:
    """``model``'s gate metric on the holdout and on the reference set, in its task's metric, and its
    floor metric there when that is another (R2 for a regression).

    The holdout is predicted once per run: ``measured`` holds the metrics the evaluation already took on
    it (every metric of the task, on every row) and is used instead of predicting again. A reference set
    that is this run's holdout (the model's first run, a replacement, or the same rows again) gets the
    holdout's scores: a model without ``measured`` (the champion) then predicts those rows once.
    """
    from functools import cache

    from portable_mlops.evaluation.metrics import score
    from portable_mlops.modeling.estimators import task_of

    task = task_of(model)
    metric, (floor_metric, _) = str(gate.for_task(task).metric), gate.floor(task)

    @cache
    def on_holdout(name: str) -> float:
        return float(measured[name]) if measured is not None and name in measured else score(model, *holdout, name)

    def on_reference(name: str) -> float:
        return on_holdout(name) if reference_is_holdout else score(model, *reference, name)

    scores = Scores(holdout=on_holdout(metric), reference=on_reference(metric))
    if floor_metric == metric:
        return scores
    return scores.model_copy(
        update={"floor_holdout": on_holdout(floor_metric), "floor_reference": on_reference(floor_metric)}
    )


def promote(
    model_registry: Any,
    model_name: str,
    registry_version: str,
    candidate: Scores,
    failed_checks: Sequence[str],
    champion_scores: Callable[[Any], Scores],
    gate: GateParams,
    task: str = "classification",
) -> Decision:
    """Decide whether ``registry_version`` replaces the champion, and apply the decision.

    ``champion_scores(model)`` scores a model the way the candidate was scored (the same holdout and
    reference set, the same metric). A champion that cannot be loaded or cannot score those rows stops
    the promotion with a :class:`PromotionError` and changes nothing. A version that is the champion
    already (a cached re-run registered nothing new) stays champion. An override is recorded on the
    registry version (tags ``gate_override_*``) as well as in the decision.
    """
    champion = current_champion(model_registry, model_name)
    if champion == registry_version:
        decision = already_champion(registry_version, candidate.holdout, gate, task)
        move_champion(model_registry, model_name, registry_version)
        return decision.model_copy(update={"registry_version": registry_version})
    theirs = None
    if champion is not None:
        model = load_version(model_name, champion)
        from portable_mlops.modeling.estimators import task_of

        if task_of(model) != task:
            raise PromotionError(
                f"the champion (version {champion}) is a {task_of(model)} and this model a {task}; nothing was "
                "changed; train it under its own --model-name"
            )
        try:
            theirs = champion_scores(model)
        except Exception as exc:
            raise PromotionError(
                f"the champion (version {champion}) cannot score this holdout ({exc}); "
                "train the new data under its own --model-name"
            ) from exc
    decision = decide(candidate, theirs, gate, failed_checks, task)
    logger.info("Gate: %s -> %s", decision.reason, "PROMOTE" if decision.promote else "keep champion")
    if decision.override is not None:
        record_override(model_registry, model_name, registry_version, decision.override)
    if decision.promote:
        move_champion(model_registry, model_name, registry_version)
    else:
        mark_challenger(model_registry, model_name, registry_version)
    return decision.model_copy(update={"registry_version": registry_version, "previous_champion": champion})


def record_override(model_registry: Any, model_name: str, version: str, override: Override) -> None:
    """Put who overrode the gate, when and why on the registry version (MLflow tags)."""
    client = model_registry.mlflow_client
    for key, value in override.model_dump().items():
        client.set_model_version_tag(model_name, version, f"gate_override_{key}", str(value)[:5000])


#: Keys of the model-version metadata the promote step writes: the gate's params and the label column.
GATE_KEY, TARGET_KEY = "gate", "target"


def judge_version(model_registry: Any, model_name: str, version: str, override_reason: str | None) -> Decision:
    """The gate's decision on making an existing registry version the champion (``--rollout promote``).

    The same gate as at training, with the gate params that version was trained with: the version and
    the champion on that version's training holdout and on the model's reference set, the floor, and
    that version's evaluation checks. ``override_reason`` promotes a refused version (recorded).
    """
    from zenml.client import Client

    from portable_mlops.data.loading import features
    from portable_mlops.lifecycle.champion import TRAINING_RUN_KEY, model_version_of
    from portable_mlops.lifecycle.reference import load_reference
    from portable_mlops.names import Artifacts

    champion = current_champion(model_registry, model_name)
    found = model_version_of(model_name, version)
    if found is None or TRAINING_RUN_KEY not in found.run_metadata or GATE_KEY not in found.run_metadata:
        raise PromotionError(
            f"registry version {version} of '{model_name}' has no training record here (trained elsewhere?); "
            "promote a version trained by this project's training pipeline"
        )
    gate = GateParams(**{**dict(found.run_metadata[GATE_KEY]), "override_reason": override_reason})
    target = str(found.run_metadata.get(TARGET_KEY, ""))
    outputs = {
        name: step.outputs[name][0].load()
        for step in Client().get_pipeline_run(str(found.run_metadata[TRAINING_RUN_KEY])).steps.values()
        for name in (Artifacts.TEST_SET, Artifacts.QUALITY)
        if name in step.outputs
    }
    holdout, reference = outputs[Artifacts.TEST_SET], load_reference(model_name)
    if reference is None or target not in holdout.columns:
        raise PromotionError(f"model '{model_name}' has no reference set or label column to judge v{version} on")
    sets = [(features(frame, target), frame[target]) for frame in (holdout, reference)]

    def scores(model: Any) -> Scores:
        return gate_scores(model, sets[0], sets[1], gate)

    from portable_mlops.modeling.estimators import task_of

    model = load_version(model_name, version)
    candidate = scores(model)
    theirs = scores(load_version(model_name, champion)) if champion and champion != version else None
    decision = decide(candidate, theirs, gate, outputs[Artifacts.QUALITY].failures, task_of(model))
    if decision.override is not None:
        record_override(model_registry, model_name, version, decision.override)
    return decision.model_copy(update={"registry_version": version, "previous_champion": champion})
