"""Step: the quality gate that decides whether the new model becomes the champion."""

from typing import Annotated, Any

import pandas as pd
from zenml import get_step_context, log_metadata, step
from zenml.enums import ModelStages
from zenml.logger import get_logger
from zenml.model_registries.base_model_registry import ModelVersionStage

from portable_mlops.data import features
from portable_mlops.errors import PromotionError
from portable_mlops.evaluation import score
from portable_mlops.names import Aliases, Artifacts
from portable_mlops.params import DataSource, GateParams
from portable_mlops.promotion import already_champion, decide
from portable_mlops.registry import active_registry, load_version, version_by_alias

logger = get_logger(__name__)


@step(enable_cache=False)
def promote_model(
    registry_version: str,
    metrics: dict[str, float],
    quality: dict[str, Any],
    test: pd.DataFrame,
    source: DataSource,
    gate: GateParams,
) -> Annotated[dict[str, object], Artifacts.PROMOTION]:
    """Compare the new model with the champion on the same holdout and promote only a better one
    that also passed the evaluation's checks (every slice above the floor, the fairness gap within
    its maximum).

    The champion is re-scored on this run's holdout, so both numbers come from the same rows. A
    promotion moves the MLflow alias ``champion`` and the ZenML model stage ``production``; otherwise
    the new version gets the alias ``challenger`` and the stage ``staging``, and the champion stays.

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
    registry = active_registry()
    context = get_step_context()
    name = context.model.name
    client = registry.mlflow_client  # type: ignore[union-attr]
    champion = version_by_alias(client, name, Aliases.CHAMPION)
    champion_score = None
    if champion is not None and str(champion.version) != registry_version:
        champion_model = load_version(name, str(champion.version))
        try:
            champion_score = score(champion_model, features(test, source.target), test[source.target], gate.metric)
        except Exception as exc:
            raise PromotionError(
                f"the champion (version {champion.version}) cannot score this holdout ({exc}); "
                "train the new data under its own --model-name"
            ) from exc
    unchanged = champion is not None and str(champion.version) == registry_version
    if unchanged:
        decision = already_champion(registry_version, metrics[gate.metric], gate)
    else:
        decision = decide(metrics[gate.metric], champion_score, gate, quality.get("failures", []))
    logger.info("Gate: %s -> %s", decision.reason, "PROMOTE" if decision.promote else "keep champion")
    if unchanged:
        context.model.set_stage(ModelStages.PRODUCTION, force=True)
    elif decision.promote:
        registry.update_model_version(name, registry_version, stage=ModelVersionStage.PRODUCTION)  # type: ignore[union-attr]
        context.model.set_stage(ModelStages.PRODUCTION, force=True)
    else:
        client.set_registered_model_alias(name, Aliases.CHALLENGER, registry_version)
        context.model.set_stage(ModelStages.STAGING, force=True)
    result: dict[str, object] = {
        **decision.as_dict(),
        "registry_version": registry_version,
        "previous_champion": str(champion.version) if champion and not unchanged else None,
    }
    log_metadata({"promotion": result})
    context.model.log_metadata({"promotion": result})
    return result
