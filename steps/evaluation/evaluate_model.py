"""Step: evaluate the chosen model on the holdout set."""

from typing import Annotated

import mlflow
import pandas as pd
from zenml import get_step_context, log_metadata, step
from zenml.logger import get_logger
from zenml.types import HTMLString

from portable_mlops.evaluation.checks import QualityChecks, quality_digest, quality_warnings
from portable_mlops.lifecycle.champion import champion_snapshot
from portable_mlops.modeling.estimators import TabularModel
from portable_mlops.modeling.tracking import source_run_id
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, EvaluationParams

logger = get_logger(__name__)


@step(experiment_tracker=True)
def evaluate_model(
    model: TabularModel,
    test: pd.DataFrame,
    candidates: pd.DataFrame,
    model_uri: str,
    source: DataSource,
    evaluation: EvaluationParams,
) -> tuple[
    Annotated[dict[str, float], Artifacts.METRICS],
    Annotated[HTMLString, Artifacts.EVALUATION_REPORT],
    Annotated[QualityChecks, Artifacts.QUALITY],
]:
    """Score the model on the holdout, per slice, across a sensitive attribute's groups and under
    growing input shift; time it and compare its performance with the champion's
    (:func:`portable_mlops.evaluation.holdout.evaluate_candidate`).

    Metrics go to the model's MLflow run and this step's, summaries to the step's and the model
    version's metadata. The gate reads the quality checks' ``failures``.

    Args:
        model: The best candidate.
        test: The holdout split (all columns: slices may use ones the model does not take).
        candidates: All candidates with their cross-validated scores, for the report.
        model_uri: The model's MLflow URI (``models:/<model id>``).
        source: Names the label column and the forbidden features.
        evaluation: Slices, fairness, shifts and performance thresholds.

    Returns:
        The holdout metrics, an HTML report that renders offline, and the quality checks.
    """
    # Imported here: the evaluation draws its report with matplotlib, which a run that reuses this step's
    # cached output never needs (importing the pipeline would cost 0.6 s more).
    from portable_mlops.evaluation.holdout import evaluate_candidate

    client, run_id = mlflow.MlflowClient(), source_run_id(model_uri)
    recorded = client.get_run(run_id).data.metrics
    result = evaluate_candidate(
        model,
        test,
        candidates.to_dict(orient="records"),
        source,
        evaluation,
        recorded,
        champion_snapshot(get_step_context().model.name),
    )
    for warning in quality_warnings(result.quality):
        logger.warning("%s", warning)
    for key, value in result.logged.items():
        client.log_metric(run_id, key, value)
    mlflow.log_metrics(result.logged)
    digest = {"holdout": result.metrics, **quality_digest(result.quality)}
    log_metadata(digest)
    log_metadata(metadata=digest, infer_model=True)
    return result.metrics, HTMLString(result.report), result.quality
