"""Step: search and train the candidate models, each logged to the stack's experiment tracker."""

import time
from typing import Annotated

import mlflow
import pandas as pd
from zenml import ArtifactConfig, get_step_context, log_metadata, step
from zenml.enums import ArtifactType
from zenml.logger import get_logger

from portable_mlops.forbidden import check_not_used, model_inputs
from portable_mlops.models import LabelEncodedClassifier, search_family
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, SearchParams
from portable_mlops.performance import PeakRss
from portable_mlops.tracking import log_candidate

logger = get_logger(__name__)


@step(experiment_tracker=True)
def train_candidates(
    train: pd.DataFrame, source: DataSource, search: SearchParams
) -> tuple[
    Annotated[LabelEncodedClassifier, ArtifactConfig(name=Artifacts.MODEL, artifact_type=ArtifactType.MODEL)],
    Annotated[pd.DataFrame, Artifacts.CANDIDATES],
    Annotated[str, Artifacts.MODEL_URI],
]:
    """Grid-search each configured family with cross-validation and keep the best.

    Forbidden features (``source.forbidden_features``) are dropped first, and a model that still
    takes one is refused. Every family's best model is logged to MLflow as a nested run (parameters,
    CV score, final fit time, the model with signature and input example); the best one's run also
    gets the step's peak memory, which the evaluation compares with the champion's.

    Args:
        train: The training split.
        source: Names the label column and the forbidden features.
        search: Families, their grids, folds, metric and seed.

    Returns:
        The best model, a table of all candidates, and the MLflow URI of the best model.
    """
    X, dropped = model_inputs(train, source)
    y = train[source.target]
    if dropped:
        logger.info("Forbidden features dropped before training: %s", ", ".join(dropped))
    rows = []
    best, best_uri, best_run, best_score = None, "", "", float("-inf")
    started = time.perf_counter()
    with PeakRss() as memory:
        for index, spec in enumerate(search.candidates, start=1):
            logger.info("Searching %s (%d/%d): grid %s", spec.family, index, len(search.candidates), spec.grid)
            result = search_family(spec, X, y, search)
            scores = {f"cv_{search.metric}": result.cv_score, "fit_seconds": result.fit_seconds}
            run_id, uri = log_candidate(spec.family, result.estimator, result.params, scores, X)
            logger.info("%s: cv %s %.4f with %s", spec.family, search.metric, result.cv_score, result.params)
            rows.append({"family": spec.family, **scores, "params": str(result.params), "mlflow_run_id": run_id})
            if best is None or result.cv_score > best_score:  # one configuration alone has no CV score (NaN)
                best, best_uri, best_run, best_score = result.estimator, uri, run_id, result.cv_score
    assert best is not None  # SearchParams guarantees at least one candidate
    check_not_used(best, source.forbidden_features)
    performance = {"search_seconds": time.perf_counter() - started, "train_peak_rss_mb": memory.peak_mb}
    mlflow.MlflowClient().log_metric(best_run, "train_peak_rss_mb", memory.peak_mb)
    mlflow.log_metrics(performance)
    features = {"configured": list(source.forbidden_features), "dropped": dropped, "used": list(X.columns)}
    log_metadata({"best_model_uri": best_uri, f"best_cv_{search.metric}": best_score, "performance": performance})
    get_step_context().model.log_metadata({"forbidden_features": features, "training_performance": performance})
    return best, pd.DataFrame(rows), best_uri
