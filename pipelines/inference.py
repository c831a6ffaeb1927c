"""The batch inference pipeline: validate, score, and monitor drift."""

from zenml import pipeline

from portable_mlops.names import Pipelines
from portable_mlops.params import DataSource, DriftParams, RunFacts, ScoringParams, ValidationParams
from steps import detect_drift, load_data, predict_batch, profile_data, validate_data
from steps.cache import CODE_CACHE_POLICY


@pipeline(name=Pipelines.INFERENCE, cache_policy=CODE_CACHE_POLICY)
def inference_pipeline(
    source: DataSource,
    validation: ValidationParams = ValidationParams(),
    scoring: ScoringParams = ScoringParams(),
    drift: DriftParams = DriftParams(),
    facts: RunFacts = RunFacts(),
) -> None:
    """Validate a batch like training data, score it with the champion, check it for drift."""
    frame, task = load_data(source, facts.data, facts.model)
    profile = profile_data(frame)
    report = validate_data(frame, profile, source, validation, facts, task=task)
    predict_batch(frame, source, scoring, after=[report])
    detect_drift(profile, source, drift, after=[report])
