"""Step: load the training data."""

from typing import Annotated

import pandas as pd
from zenml import get_step_context, log_metadata, step

from materializers import HashedPandasMaterializer
from portable_mlops.lifecycle.champion import load_data_for
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource


@step(enable_cache=False, output_materializers=HashedPandasMaterializer)
def load_data(source: DataSource, fingerprint: str = "") -> Annotated[pd.DataFrame, Artifacts.RAW_DATA]:
    """Read the data source and normalise its column types (``champion://holdout``: the rows of the
    champion's holdout, which it never trained on).

    Cached only when ``run.py`` gave the data's fingerprint (a file can change under the same URI); the
    frame is stored with a content hash, so the steps after it are cached when the data did not change.

    Args:
        source: Where the data is and which column is the label.
        fingerprint: The data's content as the command line saw it (``RunFacts.data``): the cache key only.

    Returns:
        The frame: numeric features as float, others as text, rows without a label dropped.
    """
    frame = load_data_for(get_step_context().model.name, source)
    log_metadata(
        metadata={"source": source.uri, "target": source.target, "rows": len(frame), "columns": frame.shape[1]},
        infer_artifact=True,
    )
    return frame
