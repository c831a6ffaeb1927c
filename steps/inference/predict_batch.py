"""Step: score a batch with the champion, through its endpoint when the stack deploys models."""

import time
from functools import partial
from typing import Annotated

import pandas as pd
from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.logger import get_logger

from portable_mlops.champion import champion_version, staleness
from portable_mlops.deployment import model_servers, predict_via, served_version
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, ScoringParams
from portable_mlops.registry import active_registry, load_version
from portable_mlops.serving import ServingError, score_in_chunks

logger = get_logger(__name__)


@step(enable_cache=False)
def predict_batch(
    frame: pd.DataFrame, source: DataSource, scoring: ScoringParams
) -> Annotated[pd.DataFrame, Artifacts.PREDICTIONS]:
    """Add a ``prediction`` column to the batch.

    With a model deployer in the stack, the rows go to the endpoint that serves the champion (an
    error says how to deploy it when there is none); without one, the champion is loaded from the
    registry and scored in-process. The predictions are linked to the champion's model version.

    Args:
        frame: The validated batch.
        source: Names the label column, dropped before scoring if present.
        scoring: Rows per request and the request timeout.

    Returns:
        The batch with a ``prediction`` column.
    """
    registry, deployer = active_registry(), Client().active_stack.model_deployer
    name = get_step_context().model.name
    version = champion_version(registry, name)
    X = frame.drop(columns=[source.target], errors="ignore")
    if deployer is None:
        model, scored_by = load_version(name, version), "in-process"
        predictions = score_in_chunks(model.predict, X, scoring.batch_size)
    else:
        services = [s for s in model_servers(deployer, name) if s.is_running and served_version(s) == version]
        if not services:
            raise ServingError(
                f"no running endpoint serves the champion of '{name}' (v{version}); "
                "deploy it: python run.py --pipeline deployment"
            )
        scored_by = str(services[0].prediction_url)
        predictions = score_in_chunks(partial(predict_via, services[0], timeout=scoring.timeout), X, scoring.batch_size)
    out = frame.copy()
    out["prediction"] = predictions
    created = registry.mlflow_client.get_model_version(name, version).creation_timestamp
    age, stale = staleness(int(created), int(time.time() * 1000), scoring.max_champion_age_days)
    if stale:
        logger.warning(
            "The champion (v%s) was trained %.0f days ago, beyond max_champion_age_days %s; retrain it: "
            "python run.py --pipeline training",
            version,
            age,
            scoring.max_champion_age_days,
        )
    log_metadata(
        metadata={
            "scored_by": scored_by,
            "registry_version": version,
            "rows": len(out),
            "champion_age_days": round(age, 2),
            "champion_stale": stale,
        }
    )
    return out
