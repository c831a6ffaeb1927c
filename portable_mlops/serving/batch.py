"""Scoring a batch with the champion: through the endpoint that serves it when the stack deploys
models, in-process from the registry when it does not."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import partial
from typing import Any

import pandas as pd

from portable_mlops.lifecycle.champion import champion_version
from portable_mlops.lifecycle.registry import load_version
from portable_mlops.monitoring.staleness import staleness
from portable_mlops.params import DataSource, ScoringParams
from portable_mlops.serving.client import ServingError, score_in_chunks
from portable_mlops.serving.deployers import model_servers, predict_via, served_version

logger = logging.getLogger(__name__)


@dataclass
class Scored:
    """The batch with a ``prediction`` column, and what the step records about the scoring."""

    frame: pd.DataFrame
    metadata: dict[str, Any]


def score_batch(
    model_registry: Any, deployer: Any, model_name: str, frame: pd.DataFrame, source: DataSource, params: ScoringParams
) -> Scored:
    """Add the champion's predictions to ``frame`` and say how old the champion is.

    With a deployer, the rows go to a running endpoint that serves the champion (an error says how to
    deploy it when there is none); without one, the champion is loaded and scored in-process.
    """
    version = champion_version(model_registry, model_name)
    X = frame.drop(columns=[source.target], errors="ignore")
    if deployer is None:
        model, scored_by = load_version(model_name, version), "in-process"
        predictions = score_in_chunks(model.predict, X, params.batch_size)
    else:
        services = [s for s in model_servers(deployer, model_name) if s.is_running and served_version(s) == version]
        if not services:
            raise ServingError(
                f"no running endpoint serves the champion of '{model_name}' (v{version}); "
                "deploy it: python run.py --pipeline deployment"
            )
        scored_by = str(services[0].prediction_url)
        predictions = score_in_chunks(partial(predict_via, services[0], timeout=params.timeout), X, params.batch_size)
    out = frame.copy()
    out["prediction"] = predictions
    created = model_registry.mlflow_client.get_model_version(model_name, version).creation_timestamp
    age, stale = staleness(int(created), int(time.time() * 1000), params.max_champion_age_days)
    if stale:
        logger.warning(
            "The champion (v%s) was trained %.0f days ago, beyond max_champion_age_days %s; retrain it: "
            "python run.py --pipeline training",
            version,
            age,
            params.max_champion_age_days,
        )
    metadata = {
        "scored_by": scored_by,
        "registry_version": version,
        "rows": len(out),
        "champion_age_days": round(age, 2),
        "champion_stale": stale,
    }
    return Scored(out, metadata)
