"""Step: compare the batch with the champion's training data and report drift."""

from typing import Annotated, Any

from whylogs.core import DatasetProfileView
from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.logger import get_logger
from zenml.types import HTMLString

from portable_mlops.champion import NoChampionError, production_artifact
from portable_mlops.drift import drift_report_html
from portable_mlops.evaluation import compute_metrics
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, DriftParams
from portable_mlops.quality import expected_quality
from portable_mlops.validation import null_fraction
from stacks.flavors.whylogs_drift import active_validator

logger = get_logger(__name__)


@step(enable_cache=False)
def detect_drift(
    profile: DatasetProfileView, source: DataSource, drift: DriftParams
) -> tuple[Annotated[dict[str, Any], Artifacts.DRIFT], Annotated[HTMLString, Artifacts.DRIFT_REPORT]]:
    """Per-column drift scores of the batch against the champion's training profile, and a verdict.

    Drift is recorded as run and model metadata, logged, and posted to the stack's alerter when it has
    one. Beside the drift goes the champion's quality to expect on this batch: its holdout scored with
    every numeric column moved by the batch's mean shift (no labels needed), the impact of the data
    moving away from what the champion was trained on. When ``retrain_on_drift`` is set and the batch carries
    labels, the summary asks for retraining on this batch (``run.py`` starts the training pipeline;
    the same quality gate applies).

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
    labelled = (
        profile.get_column(source.target) is not None
        and null_fraction(profile.get_column(source.target).to_summary_dict()) < 1.0
    )
    summary: dict[str, Any] = {
        **report.summary(),
        "source": source.uri,
        "target": source.target,
        "labelled": labelled,
        "retrain": bool(report.drifted and drift.retrain_on_drift and labelled),
        "expected_quality": _expected_quality(name, source.target, profile, reference),
    }
    log_metadata(metadata={"drift": summary})
    log_metadata(metadata={"last_drift_check": summary}, infer_model=True)
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


def _expected_quality(
    name: str, target: str, profile: DatasetProfileView, reference: DatasetProfileView
) -> dict[str, Any] | None:
    """The champion's expected quality at this batch's shift; None (logged) when it cannot be computed."""
    try:
        model, test = production_artifact(name, Artifacts.MODEL), production_artifact(name, Artifacts.TEST_SET)
        quality = production_artifact(name, Artifacts.QUALITY)
        if model is None or test is None or target not in test.columns:
            return None
        metric = str(quality["decay"]["metric"]) if quality else "balanced_accuracy"
        X, y = test.drop(columns=[target]), test[target]
        return expected_quality(lambda X_, y_: compute_metrics(model, X_, y_)[metric], X, y, profile, reference, metric)
    except Exception as exc:  # noqa: BLE001 - an estimate for monitoring must never stop the drift check
        logger.warning("Expected quality at this batch's shift not computed: %s: %s", type(exc).__name__, exc)
        return None
