"""The training pipeline: load, profile, validate, split, train, evaluate, register, promote."""

from zenml import pipeline

from portable_mlops.names import Pipelines
from portable_mlops.params import (
    DataSource,
    EvaluationParams,
    GateParams,
    RunFacts,
    SearchParams,
    SplitParams,
    ValidationParams,
)
from steps import (
    evaluate_model,
    load_data,
    profile_data,
    promote_model,
    register_model,
    split_data,
    train_candidates,
    validate_data,
)
from steps.cache import CODE_CACHE_POLICY


@pipeline(name=Pipelines.TRAINING, cache_policy=CODE_CACHE_POLICY)
def training_pipeline(
    source: DataSource,
    split: SplitParams = SplitParams(),
    search: SearchParams = SearchParams(),
    validation: ValidationParams = ValidationParams(),
    evaluation: EvaluationParams = EvaluationParams(),
    gate: GateParams = GateParams(),
    facts: RunFacts = RunFacts(),
) -> None:
    """Train candidates on validated data; promote the best only if it beats the champion on this
    run's holdout, does not fall behind it on the model's reference set, reaches the floor and passes
    the evaluation's checks (slice floor, fairness gap)."""
    frame, task = load_data(source, facts.data, facts.model)
    profile = profile_data(frame)
    report = validate_data(
        frame, profile, source, validation, facts, gate.replace_reference_reason, task, search, evaluation, gate
    )
    train, test = split_data(frame, source, split, task, after=[report])
    model, candidates, model_uri = train_candidates(train, source, search, task)
    metrics, _, quality = evaluate_model(model, test, candidates, model_uri, source, evaluation)
    version = register_model(model_uri, metrics, task, facts.model)
    promote_model(model, version, metrics, quality, test, source, gate, facts)
