"""Step: search and train the candidate models, each logged to the stack's experiment tracker."""

from typing import Annotated

import mlflow
import pandas as pd
from zenml import ArtifactConfig, get_step_context, log_metadata, step
from zenml.enums import ArtifactType

from portable_mlops.modeling.estimators import TabularModel
from portable_mlops.modeling.training import train_best
from portable_mlops.names import Artifacts
from portable_mlops.params import DataSource, SearchParams


@step(experiment_tracker=True)
def train_candidates(
    train: pd.DataFrame, source: DataSource, search: SearchParams, task: str = "classification"
) -> tuple[
    Annotated[TabularModel, ArtifactConfig(name=Artifacts.MODEL, artifact_type=ArtifactType.MODEL)],
    Annotated[pd.DataFrame, Artifacts.CANDIDATES],
    Annotated[str, Artifacts.MODEL_URI],
]:
    """Grid-search each configured family with cross-validation and keep the best
    (:func:`portable_mlops.modeling.training.train_best`).

    Forbidden features (``source.forbidden_features``) are dropped first, and a model that still
    takes one is refused. Every family's best model is logged to MLflow as a nested run (parameters,
    CV score, final fit time, the model with signature and input example).

    Args:
        train: The training split.
        source: Names the label column and the forbidden features.
        search: Families, their grids, folds, metric and seed (null ones: the task's defaults).
        task: classification or regression, as the load step resolved it.

    Returns:
        The best model, a table of all candidates, and the MLflow URI of the best model.
    """
    search = search.for_task(task)
    trained = train_best(train, source, search, task)
    mlflow.log_metrics(trained.performance)
    mlflow.set_tag("task", task)
    features = {"configured": list(source.forbidden_features), "dropped": trained.dropped, "used": trained.used}
    log_metadata(
        {
            "task": task,
            "best_model_uri": trained.model_uri,
            f"best_cv_{search.metric}": trained.score,
            "performance": trained.performance,
        }
    )
    get_step_context().model.log_metadata(
        {"task": task, "forbidden_features": features, "training_performance": trained.performance}
    )
    return trained.model, trained.candidates, trained.model_uri
