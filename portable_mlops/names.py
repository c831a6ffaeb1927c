"""Every artifact, step, pipeline and registry name the project uses, in one place."""

from enum import StrEnum


class Artifacts(StrEnum):
    """Names of the artifacts that steps output (``Annotated[..., Artifacts.X]``)."""

    RAW_DATA = "raw_data"
    #: What the model predicts, as the load step resolved it from the labels: classification or regression.
    TASK = "task"
    DATA_PROFILE = "data_profile"
    VALIDATION_REPORT = "validation_report"
    TRAIN_SET = "train_set"
    TEST_SET = "test_set"
    MODEL = "model"
    CANDIDATES = "candidates"
    MODEL_URI = "mlflow_model_uri"
    METRICS = "holdout_metrics"
    EVALUATION_REPORT = "evaluation_report"
    QUALITY = "quality_checks"
    REGISTRY_VERSION = "registry_version"
    PROMOTION = "promotion_decision"
    DEPLOYMENT = "deployment"
    PREDICTIONS = "predictions"
    DRIFT = "drift_summary"
    DRIFT_REPORT = "drift_report"


class Pipelines(StrEnum):
    """Names of the pipelines, as they appear on the dashboard."""

    TRAINING = "training"
    DEPLOYMENT = "deployment"
    INFERENCE = "inference"


class Aliases(StrEnum):
    """MLflow registered-model aliases that mark a version's role."""

    CHAMPION = "champion"
    CHALLENGER = "challenger"
    #: The champion before the last promote or rollback of a deployment (what a rollback returns to).
    PREVIOUS_CHAMPION = "previous_champion"
