"""Step: profile the data with the stack's whylogs data validator."""

from typing import Annotated

import pandas as pd
from whylogs.core import DatasetProfileView
from zenml import step

from materializers import ProfileMaterializer
from portable_mlops.names import Artifacts
from stacks.flavors.whylogs_drift import active_validator


@step(output_materializers=ProfileMaterializer)
def profile_data(frame: pd.DataFrame) -> Annotated[DatasetProfileView, Artifacts.DATA_PROFILE]:
    """Profile every column with whylogs (counts, types, distribution, frequent values).

    The profile is stored with an HTML summary that renders offline; a champion's training profile is
    the reference later data is validated and checked for drift against.

    Args:
        frame: The data to profile.

    Returns:
        The whylogs profile view.
    """
    return active_validator().data_profiling(frame)
