"""Step: load the training data."""

from typing import Annotated

import pandas as pd
from zenml import get_step_context, log_metadata, step

from materializers import HashedPandasMaterializer
from portable_mlops.data.loading import frame_task
from portable_mlops.lifecycle.champion import load_data_for, production_artifact
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource

#: A mapping, not one class: ZenML 0.98 spreads a single class over every output (see split_data).
MATERIALIZERS: dict[str, type[HashedPandasMaterializer]] = {Artifacts.RAW_DATA: HashedPandasMaterializer}


@step(enable_cache=False, output_materializers=MATERIALIZERS)
def load_data(
    source: DataSource, fingerprint: str = "", model: str = ""
) -> tuple[Annotated[pd.DataFrame, Artifacts.RAW_DATA], Annotated[str, Artifacts.TASK]]:
    """Read the data source and normalise its column types (``champion://holdout``: the rows of the
    champion's holdout, which it never trained on), and resolve the task: the champion's, once the
    model has one (labels or a ``--task`` that contradict it are refused), else from the labels.

    Cached only when ``run.py`` gave the data's fingerprint (a file can change under the same URI); the
    frame is stored with a content hash, so the steps after it are cached when the data did not change.

    Args:
        source: Where the data is, which column is the label, and the task (or ``auto``).
        fingerprint: The data's content as the command line saw it (``RunFacts.data``): the cache key only.
        model: The model's name (``RunFacts.model``): the cache key only (the task may be its champion's).

    Returns:
        The frame (numeric features as float, others as text, rows without a label dropped) and the
        task: ``classification`` or ``regression`` (``source.task`` as configured when neither the data
        has labels nor the model a champion).
    """
    name = get_step_context().model.name
    frame = load_data_for(name, source)
    task = frame_task(frame, source, production_artifact(name, Artifacts.TASK), name)
    log_metadata(
        metadata={
            "source": source.uri,
            "target": source.target,
            "task": task,
            "rows": len(frame),
            "columns": frame.shape[1],
        },
        artifact_name=Artifacts.RAW_DATA,
        infer_artifact=True,
    )
    return frame, task
