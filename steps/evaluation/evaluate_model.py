"""Step: evaluate the chosen model on the holdout set."""

from typing import Annotated, Any

import mlflow
import pandas as pd
from zenml import get_step_context, log_metadata, step
from zenml.logger import get_logger
from zenml.types import HTMLString

from portable_mlops.champion import champion_holdout_metrics, champion_recorded_metrics
from portable_mlops.data import features
from portable_mlops.evaluation import evaluate_holdout, evaluation_report
from portable_mlops.models import LabelEncodedClassifier
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, EvaluationParams
from portable_mlops.performance import MEASURES, model_size_mb, performance_summary, predict_ms_per_row
from portable_mlops.quality import quality_digest, quality_metrics, quality_warnings
from portable_mlops.tracking import source_run_id

logger = get_logger(__name__)


@step(experiment_tracker=True)
def evaluate_model(
    model: LabelEncodedClassifier,
    test: pd.DataFrame,
    candidates: pd.DataFrame,
    model_uri: str,
    source: DataSource,
    evaluation: EvaluationParams,
) -> tuple[
    Annotated[dict[str, float], Artifacts.METRICS],
    Annotated[HTMLString, Artifacts.EVALUATION_REPORT],
    Annotated[dict[str, Any], Artifacts.QUALITY],
]:
    """Score the model on the holdout, per slice, across a sensitive attribute's groups and under
    growing input shift; time it and compare its performance with the champion's.

    The report shows the new model against the champion on the same rows, the candidates, slices,
    inclusion, the quality-under-shift curve, features that add nothing (warned), performance
    (regressions warned), permutation importance, the confusion matrix, ROC and PR curves. Metrics
    go to the model's MLflow run and this step's, summaries to the step's and the model version's
    metadata. The gate reads the quality checks' ``failures``.

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
    held = evaluate_holdout(model, test, source, evaluation)
    X, y, metrics, sample, importance, quality = (
        held.X,
        held.y,
        held.metrics,
        held.sample,
        held.importance,
        held.quality,
    )
    client, run_id, name = mlflow.MlflowClient(), source_run_id(model_uri), get_step_context().model.name
    recorded = client.get_run(run_id).data.metrics
    values = {k: recorded[k] for k in MEASURES if k in recorded}
    values |= {"predict_ms_per_row": predict_ms_per_row(model, sample[0]), "model_size_mb": model_size_mb(model)}
    quality["performance"] = performance_summary(values, champion_recorded_metrics(name), evaluation.performance)
    for warning in quality_warnings(quality):
        logger.warning("%s", warning)
    logged = {f"holdout_{k}": v for k, v in metrics.items()} | quality_metrics(quality) | values
    for key, value in logged.items():
        client.log_metric(run_id, key, value)
    mlflow.log_metrics(logged)
    digest = {"holdout": metrics, **quality_digest(quality)}
    log_metadata(digest)
    log_metadata(metadata=digest, infer_model=True)
    champion = champion_holdout_metrics(name, features(test, source.target), y)
    candidates_rows = candidates.to_dict(orient="records")
    report = evaluation_report(model, X, y, metrics, candidates_rows, champion, quality, importance, sample)
    return metrics, HTMLString(report), quality
