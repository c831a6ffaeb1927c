"""Step: search and train the candidate models, each logged to the stack's experiment tracker."""

from typing import Annotated

import pandas as pd
from zenml import ArtifactConfig, log_metadata, step
from zenml.enums import ArtifactType
from zenml.logger import get_logger

from portable_mlops.data import features
from portable_mlops.models import LabelEncodedClassifier, search_family
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, SearchParams
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

    Every family's best model is logged to MLflow as a nested run (parameters, CV score, the model
    with signature and input example).

    Args:
        train: The training split.
        source: Names the label column.
        search: Families, their grids, folds, metric and seed.

    Returns:
        The best model, a table of all candidates, and the MLflow URI of the best model.
    """
    X, y = features(train, source.target), train[source.target]
    rows = []
    best, best_uri, best_score = None, "", float("-inf")
    for index, spec in enumerate(search.candidates, start=1):
        logger.info("Searching %s (%d/%d): grid %s", spec.family, index, len(search.candidates), spec.grid)
        result = search_family(spec, X, y, search)
        run_id, uri = log_candidate(
            spec.family, result.estimator, result.params, {f"cv_{search.metric}": result.cv_score}, X
        )
        logger.info("%s: cv %s %.4f with %s", spec.family, search.metric, result.cv_score, result.params)
        rows.append(
            {
                "family": spec.family,
                f"cv_{search.metric}": result.cv_score,
                "params": str(result.params),
                "mlflow_run_id": run_id,
            }
        )
        if result.cv_score > best_score:
            best, best_uri, best_score = result.estimator, uri, result.cv_score
    assert best is not None  # SearchParams guarantees at least one candidate
    log_metadata({"best_model_uri": best_uri, f"best_cv_{search.metric}": best_score})
    candidates = pd.DataFrame(rows)
    return best, candidates, best_uri
