"""Step: score a batch with the champion, through its endpoint when the stack deploys models."""

from typing import Annotated

import pandas as pd
from zenml import get_step_context, log_metadata, step
from zenml.client import Client

from portable_mlops.lifecycle.registry import active_registry
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, ScoringParams
from portable_mlops.serving.batch import score_batch


@step(enable_cache=False)
def predict_batch(
    frame: pd.DataFrame, source: DataSource, scoring: ScoringParams
) -> Annotated[pd.DataFrame, Artifacts.PREDICTIONS]:
    """Add a ``prediction`` column to the batch.

    With a model deployer in the stack, the rows go to the endpoint that serves the champion; without
    one, the champion is loaded from the registry and scored in-process
    (:func:`portable_mlops.serving.batch.score_batch`). The predictions are linked to the champion's
    model version; the champion's age is recorded and a stale one is warned about.

    Args:
        frame: The validated batch.
        source: Names the label column, dropped before scoring if present.
        scoring: Rows per request, the request timeout and the champion's maximum age.

    Returns:
        The batch with a ``prediction`` column.
    """
    scored = score_batch(
        active_registry(),
        Client().active_stack.model_deployer,
        get_step_context().model.name,
        frame,
        source,
        scoring,
    )
    log_metadata(metadata=scored.metadata)
    return scored.frame
