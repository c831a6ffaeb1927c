"""Step: the quality gate that decides whether the new model becomes the champion."""

from typing import Annotated, Any

import pandas as pd
from zenml import get_step_context, log_metadata, step

from materializers import HashedPandasMaterializer
from materializers.frame import frame_hash
from portable_mlops.data.loading import features
from portable_mlops.evaluation.checks import QualityChecks
from portable_mlops.lifecycle.gate import Decision, Scores
from portable_mlops.lifecycle.promotion import GATE_KEY, TARGET_KEY, gate_scores, promote
from portable_mlops.lifecycle.reference import reference_for
from portable_mlops.lifecycle.registry import active_registry
from portable_mlops.modeling.estimators import TabularModel, task_of
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, GateParams, RunFacts


@step(enable_cache=False)
def promote_model(
    model: TabularModel,
    registry_version: str,
    metrics: dict[str, float],
    quality: QualityChecks,
    test: pd.DataFrame,
    source: DataSource,
    gate: GateParams,
    facts: RunFacts,
) -> Annotated[Decision, Artifacts.PROMOTION]:
    """Judge the new model against the champion on this run's holdout and on the model's fixed
    reference set, and promote only a better one that reached the floor and passed the evaluation's
    checks (:mod:`portable_mlops.lifecycle.gate`).

    The model's first run keeps its holdout as the reference set; later runs use it as it is, unless
    ``gate.replace_reference_reason`` replaces it on purpose (recorded). A promotion moves the MLflow
    alias ``champion`` and the ZenML stage ``production`` together (the replaced version keeps
    ``previous_champion``); otherwise the new version gets ``challenger`` and ``staging``.

    Args:
        model: The new model.
        registry_version: The new model's registry version.
        metrics: The new model's holdout metrics (the evaluation's): its gate scores on the holdout.
        quality: The evaluation's quality checks; their ``failures`` keep the champion.
        test: The holdout split.
        source: Names the label column.
        gate: The metric, the margin, the floor, and an override or a reference replacement with its reason.
        facts: What the command line saw of the data and the champion: part of the cache key only.

    Returns:
        The decision with the scores of both models on both sets and the reason.
    """
    context = get_step_context()
    name = context.model.name
    run = str(context.pipeline_run.id)
    reference, kept = reference_for(
        name, test, gate.replace_reference_reason, run, HashedPandasMaterializer, holdout_hash=frame_hash(test)
    )
    same = reference is test  # the first run's, a replacement, or the same rows as the stored set
    holdout = features(test, source.target), test[source.target]
    reference_rows = features(reference, source.target), reference[source.target]

    def scores(champion: object) -> Scores:
        return gate_scores(champion, holdout, reference_rows, gate, reference_is_holdout=same)

    task = task_of(model)
    # The new model's holdout scores are the evaluation's metrics: the holdout is not predicted again.
    mine = gate_scores(model, holdout, reference_rows, gate, measured=metrics, reference_is_holdout=same)
    decision = promote(active_registry(), name, registry_version, mine, quality.failures, scores, gate, task)
    record: dict[str, Any] = {
        "promotion": decision.model_dump(),
        GATE_KEY: gate.for_task(task).model_dump(exclude={"override_reason", "replace_reference_reason"}),
        TARGET_KEY: source.target,
    }
    if kept:
        record["reference_set"] = kept
    log_metadata(record)
    context.model.log_metadata(record)
    return decision
