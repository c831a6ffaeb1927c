"""Step: evaluate the chosen model on the holdout set."""

from typing import Annotated

import mlflow
import pandas as pd
from zenml import get_step_context, log_metadata, step
from zenml.types import HTMLString

from portable_mlops.champion import champion_holdout_metrics
from portable_mlops.data import features
from portable_mlops.evaluation import compute_metrics, evaluation_report
from portable_mlops.models import LabelEncodedClassifier
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource
from portable_mlops.tracking import source_run_id


@step(experiment_tracker=True)
def evaluate_model(
    model: LabelEncodedClassifier, test: pd.DataFrame, candidates: pd.DataFrame, model_uri: str, source: DataSource
) -> tuple[Annotated[dict[str, float], Artifacts.METRICS], Annotated[HTMLString, Artifacts.EVALUATION_REPORT]]:
    """Score the model on the holdout and report it against the current champion on the same rows.

    The report shows both models' metrics, the candidates, permutation feature importance, the
    confusion matrix, ROC and PR curves. The metrics go to the run's metadata, to the model version,
    and to the model's MLflow run.

    Args:
        model: The best candidate.
        test: The holdout split.
        candidates: All candidates with their cross-validated scores, for the report.
        model_uri: The model's MLflow URI (``models:/<model id>``).
        source: Names the label column.

    Returns:
        The holdout metrics and an HTML report that renders offline.
    """
    X, y = features(test, source.target), test[source.target]
    metrics = compute_metrics(model, X, y)
    run_id = source_run_id(model_uri)
    client = mlflow.MlflowClient()
    for name, value in metrics.items():
        client.log_metric(run_id, f"holdout_{name}", value)
    mlflow.log_metrics({f"holdout_{name}": value for name, value in metrics.items()})
    log_metadata(metadata={"holdout": metrics}, infer_model=True)
    champion = champion_holdout_metrics(get_step_context().model.name, X, y)
    report = evaluation_report(model, X, y, metrics, candidates.to_dict(orient="records"), champion)
    return metrics, HTMLString(report)
