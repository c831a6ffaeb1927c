"""Step: check the data against constraints derived from the champion's training profile."""

from typing import Annotated

import pandas as pd
from whylogs.core import DatasetProfileView
from zenml import get_step_context, log_metadata, step
from zenml.logger import get_logger
from zenml.types import HTMLString

from portable_mlops.data.reports import validation_report
from portable_mlops.data.validation import check_rows, raise_on_failures, reference_checks, schema_drift
from portable_mlops.lifecycle.champion import production_artifact
from portable_mlops.lifecycle.reference import load_reference
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, EvaluationParams, GateParams, RunFacts, SearchParams, ValidationParams
from stacks.flavors.whylogs_drift import active_validator

logger = get_logger(__name__)


@step(enable_cache=False)
def validate_data(
    frame: pd.DataFrame,
    profile: DatasetProfileView,
    source: DataSource,
    validation: ValidationParams,
    facts: RunFacts,
    replace_reference_reason: str | None = None,
    task: str = "classification",
    search: SearchParams | None = None,
    evaluation: EvaluationParams | None = None,
    gate: GateParams | None = None,
) -> Annotated[HTMLString, Artifacts.VALIDATION_REPORT]:
    """Check required columns and types, null fractions, value ranges and target classes.

    The rules come from the champion's training profile (this data's own profile on a model's first
    run) and are checked by the stack's data validator. A batch to score (``require_target`` false)
    may lack the label column. Cached only with the run's facts (the champion can change). A failed rule
    stops the pipeline here, before any training, with a message naming the column and the rule.

    Args:
        frame: The data, for the row-level rules (row count, rows per class).
        profile: The data's whylogs profile.
        source: Names the label column.
        validation: Tolerances of the rules.
        facts: What the command line saw of the data and the champion: part of the cache key only.
        replace_reference_reason: Training only: this run replaces the model's reference set (with this
            reason), so the data is not checked against the one it replaces.
        task: classification (the label's classes are checked) or regression (its numbers and range).
        search: Training only: the search, checked to suit the task before anything is trained.
        evaluation: Training only: the evaluation's metrics and fairness, checked to suit the task.
        gate: Training only: the gate's metric, checked to suit the task.

    Returns:
        The validation report (every rule with its outcome).
    """
    for settings in (search, evaluation, gate):  # another task's metric or family: refused before training
        if settings is not None and task in ("classification", "regression"):
            settings.for_task(task)
    name = get_step_context().model.name
    reference = production_artifact(name, Artifacts.DATA_PROFILE)
    reference_name = "the champion's training data" if reference is not None else "this data (no champion yet)"
    results = check_rows(frame, source.target, validation, source.require_target, task)
    results += active_validator().data_validation(
        profile, reference, target=source.target, params=validation, require_target=source.require_target, task=task
    )
    if source.require_target:  # training data: its columns and labels against the model's fixed reference set
        reference_set = load_reference(name)
        results += reference_checks(frame, reference_set, source.target, validation, replace_reference_reason, task)
    failed = [r for r in results if not r.passed]
    log_metadata({"rules": len(results), "failed": len(failed), "reference": reference_name})
    for result in failed:
        logger.error("Data rule failed: column '%s': %s (%s)", result.column, result.rule, result.observed)
    raise_on_failures(results, has_champion=reference is not None)
    handled = schema_drift(profile, reference, source.target) if reference is not None else {}
    for key, values in handled.items():
        shown = ", ".join(values[:5])
        if key == "extra_columns" and source.require_target:
            logger.warning(
                "Columns not in the champion's data: %s; the new model may use them, the gate decides", shown
            )
        elif key == "extra_columns":
            logger.warning("Columns the champion does not use are ignored when scoring: %s", shown)
        else:
            logger.warning("Column '%s' has values the champion never saw (%s); scored as unknown", key[7:], shown)
    if handled:
        log_metadata({"handled": handled})
    return HTMLString(validation_report(results, reference_name))
