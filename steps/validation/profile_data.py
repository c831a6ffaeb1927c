"""Step: profile the data with the stack's whylogs data validator."""

from datetime import UTC, datetime
from typing import Annotated

import pandas as pd
from whylogs.core import DatasetProfileView
from zenml import step
from zenml.client import Client

from portable_mlops.materializers import ProfileMaterializer
from portable_mlops.names import Artifacts
from portable_mlops.validation import profile_frame


@step(output_materializers=ProfileMaterializer)
def profile_data(frame: pd.DataFrame) -> Annotated[DatasetProfileView, Artifacts.DATA_PROFILE]:
    """Profile every column with whylogs (counts, types, distribution, frequent values).

    Uses the active stack's data validator when it has one, plain whylogs otherwise; either way the
    profile is the same and is stored with an HTML summary that renders offline.

    Args:
        frame: The data to profile.

    Returns:
        The whylogs profile view.
    """
    validator = Client().active_stack.data_validator
    if validator is not None and hasattr(validator, "data_profiling"):
        return validator.data_profiling(frame, dataset_timestamp=datetime.now(UTC))
    return profile_frame(frame)
