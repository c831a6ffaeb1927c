"""Step: split the data into training and holdout sets."""

from typing import Annotated

import pandas as pd
from zenml import step

from materializers import HashedPandasMaterializer
from portable_mlops.data.loading import split_frame
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, SplitParams

#: A mapping in output order, not one class: ZenML 0.98 spreads a single class over a set of the output
#: names, whose order (hence the cache key) changes with each process's hash seed.
MATERIALIZERS: dict[str, type[HashedPandasMaterializer]] = {
    Artifacts.TRAIN_SET: HashedPandasMaterializer,
    Artifacts.TEST_SET: HashedPandasMaterializer,
}


@step(output_materializers=MATERIALIZERS)
def split_data(
    frame: pd.DataFrame, source: DataSource, split: SplitParams, task: str = "classification"
) -> tuple[Annotated[pd.DataFrame, Artifacts.TRAIN_SET], Annotated[pd.DataFrame, Artifacts.TEST_SET]]:
    """Split seeded; a classification is stratified on the label, so both sets keep the class balance.

    Args:
        frame: The validated data.
        source: Names the label column.
        split: Holdout fraction and seed.
        task: classification (stratified) or regression.

    Returns:
        The training set and the holdout set.
    """
    train, test = split_frame(frame, source.target, split, task)
    return train, test
