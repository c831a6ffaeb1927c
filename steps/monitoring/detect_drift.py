"""Step: compare the batch with the champion's training data and report drift."""

from typing import Annotated

from whylogs.core import DatasetProfileView
from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.logger import get_logger
from zenml.types import HTMLString

from portable_mlops.lifecycle.champion import NoChampionError, expected_on_batch, production_artifact
from portable_mlops.monitoring.drift import DriftSummary, drift_report_html, is_labelled, summarise_drift
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, DriftParams
from stacks.flavors.whylogs_drift import active_validator

logger = get_logger(__name__)


@step(enable_cache=False)
def detect_drift(
    profile: DatasetProfileView, source: DataSource, drift: DriftParams
) -> tuple[Annotated[DriftSummary, Artifacts.DRIFT], Annotated[HTMLString, Artifacts.DRIFT_REPORT]]:
    """Per-column drift scores of the batch against the champion's training profile, and a verdict.

    Drift is recorded as run and model metadata, logged, and posted to the stack's alerter when it has
    one. Beside the drift goes the champion's quality to expect on this batch (its holdout with every
    numeric column moved by the batch's mean shift; no labels needed). When ``retrain_on_drift`` is
    set and the batch carries labels, the summary asks for retraining on this batch (``run.py``
    starts the training pipeline; the same quality gate applies).

    Args:
        profile: The batch's whylogs profile.
        source: The batch's URI and label column (excluded from the test).
        drift: False-alarm rate, correction, per-column thresholds, retraining switch.

    Returns:
        The drift summary and an HTML report that renders offline.
    """
    name = get_step_context().model.name
    reference = production_artifact(name, Artifacts.DATA_PROFILE)
    if reference is None:
        raise NoChampionError(f"model '{name}' has no champion profile to compare with; train one first")
    report = active_validator().drift_detection(profile, reference, drift, exclude=[source.target])
    summary = summarise_drift(
        report,
        source.uri,
        source.target,
        is_labelled(profile, source.target),
        drift.retrain_on_drift,
        expected_on_batch(name, source.target, profile, reference),
    )
    log_metadata(metadata={"drift": summary.model_dump()})
    log_metadata(metadata={"last_drift_check": summary.model_dump()}, infer_model=True)
    if report.drifted:
        message = (
            f"Drift in {len(report.drifted_columns)} column(s) of {source.uri}: {', '.join(report.drifted_columns[:8])}"
        )
        logger.warning(message)
        alerter = Client().active_stack.alerter
        if alerter is not None:
            alerter.post(message)
    else:
        logger.info("No drift in %s (%d columns tested)", source.uri, len(report.columns))
    return summary, HTMLString(drift_report_html(report, profile, reference))
