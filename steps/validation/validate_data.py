"""Step: check the data against constraints derived from the champion's training profile."""

from typing import Annotated

import pandas as pd
from whylogs.core import DatasetProfileView
from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.enums import ModelStages
from zenml.logger import get_logger
from zenml.types import HTMLString

from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, ValidationParams
from portable_mlops.reports import validation_report
from portable_mlops.validation import check_profile, check_rows, raise_on_failures

logger = get_logger(__name__)


def champion_profile(model_name: str) -> DatasetProfileView | None:
    """The data profile linked to the model's production version, if there is one."""
    try:
        version = Client().get_model_version(model_name, ModelStages.PRODUCTION)
    except KeyError:
        return None
    artifact = version.get_artifact(Artifacts.DATA_PROFILE)
    return artifact.load() if artifact is not None else None


@step(enable_cache=False)
def validate_data(
    frame: pd.DataFrame, profile: DatasetProfileView, source: DataSource, validation: ValidationParams
) -> Annotated[HTMLString, Artifacts.VALIDATION_REPORT]:
    """Check required columns and types, null fractions, value ranges and target classes.

    The rules come from the champion's training profile (this data's own profile on a model's first
    run). Never cached: the champion can change between runs. A failed rule stops the pipeline here,
    before any training, with a message naming the column and the rule.

    Args:
        frame: The data, for the row-level rules (row count, rows per class).
        profile: The data's whylogs profile.
        source: Names the label column.
        validation: Tolerances of the rules.

    Returns:
        The validation report (every rule with its outcome).
    """
    reference = champion_profile(get_step_context().model.name)
    reference_name = "the champion's training data" if reference is not None else "this data (no champion yet)"
    results = check_rows(frame, source.target, validation) + check_profile(
        profile, reference or profile, source.target, validation
    )
    failed = [r for r in results if not r.passed]
    log_metadata({"rules": len(results), "failed": len(failed), "reference": reference_name})
    for result in failed:
        logger.error("Data rule failed: column '%s': %s (%s)", result.column, result.rule, result.observed)
    raise_on_failures(results, has_champion=reference is not None)
    return HTMLString(validation_report(results, reference_name))
