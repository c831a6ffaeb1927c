"""Step: the quality gate that decides whether the new model becomes the champion."""

from typing import Annotated

import pandas as pd
from zenml import get_step_context, log_metadata, step

from portable_mlops.data.loading import features
from portable_mlops.evaluation.checks import QualityChecks
from portable_mlops.evaluation.metrics import score
from portable_mlops.lifecycle.gate import Decision
from portable_mlops.lifecycle.promotion import promote
from portable_mlops.lifecycle.registry import active_registry
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, GateParams


@step(enable_cache=False)
def promote_model(
    registry_version: str,
    metrics: dict[str, float],
    quality: QualityChecks,
    test: pd.DataFrame,
    source: DataSource,
    gate: GateParams,
) -> Annotated[Decision, Artifacts.PROMOTION]:
    """Compare the new model with the champion on the same holdout and promote only a better one
    that also passed the evaluation's checks (every slice above the floor, the fairness gap within
    its maximum).

    A promotion moves the MLflow alias ``champion`` and the ZenML stage ``production`` together
    (the replaced version keeps ``previous_champion``); otherwise the new version gets the alias
    ``challenger`` and the stage ``staging`` (:func:`portable_mlops.lifecycle.promotion.promote`).

    Args:
        registry_version: The new model's registry version.
        metrics: The new model's holdout metrics.
        quality: The evaluation's quality checks; their ``failures`` keep the champion.
        test: The holdout split.
        source: Names the label column.
        gate: The metric and the margin to beat.

    Returns:
        The decision with both scores and the reason.
    """
    context = get_step_context()
    X, y = features(test, source.target), test[source.target]
    decision = promote(
        active_registry(),
        context.model.name,
        registry_version,
        metrics[gate.metric],
        quality.failures,
        lambda champion: score(champion, X, y, gate.metric),
        gate,
        zenml_version=context.model,
    )
    log_metadata({"promotion": decision.model_dump()})
    context.model.log_metadata({"promotion": decision.model_dump()})
    return decision
