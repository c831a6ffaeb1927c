"""A model's whole evaluation on the holdout: metrics, quality checks, diagnostics, performance
against the champion's, and the report.

The evaluate step gathers what lives in the registry (the model run's recorded measures, the
champion) and calls :func:`evaluate_candidate`; nothing here needs an orchestrator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from portable_mlops.evaluation.checks import QualityChecks, evaluate_fairness, evaluate_slices, quality_metrics
from portable_mlops.evaluation.diagnostics import (
    Importance,
    decay_columns,
    decay_curve,
    diagnostic_sample,
    feature_importance,
    non_beneficial,
)
from portable_mlops.evaluation.metrics import compute_metrics, metrics_from, predictions, score, true_values
from portable_mlops.evaluation.performance import MEASURES, model_size_mb, performance_summary, predict_ms_per_row
from portable_mlops.evaluation.report import evaluation_report
from portable_mlops.modeling.estimators import task_of
from portable_mlops.modeling.features import model_inputs
from portable_mlops.params import DataSource, EvaluationParams


@dataclass
class HoldoutEvaluation:
    """A model's evaluation on the holdout: its inputs, metrics, the diagnostic sample, permutation
    importance and the quality checks."""

    X: pd.DataFrame
    y: pd.Series
    metrics: dict[str, float]
    sample: tuple[pd.DataFrame, pd.Series]
    importance: list[Importance]
    quality: QualityChecks


def evaluate_holdout(model: Any, test: pd.DataFrame, source: DataSource, params: EvaluationParams) -> HoldoutEvaluation:
    """Metrics and quality checks on every holdout row (predicted once); permutation importance and
    quality under shift on a :func:`diagnostic_sample`.

    ``test`` is the whole holdout: slice and sensitive columns may be ones the model does not take.
    ``params`` are resolved for the model's task here (:meth:`EvaluationParams.for_task`).
    """
    task = task_of(model)
    params = params.for_task(task)
    assert params.decay.metric is not None  # for_task fills it
    X, y = model_inputs(test, source)[0], test[source.target]
    y_true = true_values(y, model)
    predicted, proba, classes = predictions(model, X)
    small = diagnostic_sample(test, source.target, params.diagnostic_rows, stratified=task == "classification")
    sample = model_inputs(small, source)[0], small[source.target]
    importance = feature_importance(model, *sample, top=None)
    columns = decay_columns(X, params.decay, importance)
    metric = params.decay.metric
    quality = QualityChecks(
        slices=evaluate_slices(test, y_true, predicted, proba, classes, params.slices),
        fairness=evaluate_fairness(test, y_true, predicted, classes, params.fairness),
        decay=decay_curve(lambda X_, y_: score(model, X_, y_, metric), *sample, params.decay, columns),
        non_beneficial_features=non_beneficial(importance),
    )
    metrics = metrics_from(y_true, predicted, proba, classes, task)
    return HoldoutEvaluation(X, y, metrics, sample, importance, quality)


@dataclass(frozen=True)
class Champion:
    """What the evaluation needs of the current champion: its registry version, the model (or why it
    could not be loaded) and the measures its MLflow run recorded (fit time, memory, ...)."""

    version: str
    model: Any | None = None
    load_error: str | None = None
    recorded: dict[str, float] = field(default_factory=dict)


@dataclass
class Evaluation:
    """The evaluate step's outputs and what it logs."""

    metrics: dict[str, float]
    quality: QualityChecks
    report: str
    #: Flat numbers for MLflow: holdout metrics, quality metrics and performance measures.
    logged: dict[str, float]


def champion_metrics(
    champion: Champion | None, X: pd.DataFrame, y: pd.Series
) -> tuple[str, dict[str, float] | str] | None:
    """The champion's version with its metrics on the same holdout, or why it cannot score it; None
    without a champion. For the report only: the gate decides with its own, failing check."""
    if champion is None:
        return None
    if champion.model is None:
        return champion.version, champion.load_error or "not loaded"
    try:
        return champion.version, compute_metrics(champion.model, X, y)
    except Exception as exc:  # noqa: BLE001 - shown in the report; the gate fails with the reason
        return champion.version, f"{type(exc).__name__}: {str(exc)[:300]}"


def evaluate_candidate(
    model: Any,
    test: pd.DataFrame,
    candidates: list[dict[Any, Any]],
    source: DataSource,
    params: EvaluationParams,
    recorded: dict[str, float],
    champion: Champion | None,
) -> Evaluation:
    """Everything the evaluate step computes for the best candidate.

    ``recorded`` are the measures the model's training run logged (fit time, peak memory);
    prediction time and model size are measured here. The performance verdict compares them with the
    champion's recorded ones; the report shows the new model against the champion on the same rows.
    """
    held = evaluate_holdout(model, test, source, params)
    values = {k: recorded[k] for k in MEASURES if k in recorded}
    values |= {"predict_ms_per_row": predict_ms_per_row(model, held.sample[0]), "model_size_mb": model_size_mb(model)}
    against = (champion.version, champion.recorded) if champion is not None else None
    quality = held.quality.model_copy(update={"performance": performance_summary(values, against, params.performance)})
    logged = {f"holdout_{k}": v for k, v in held.metrics.items()} | quality_metrics(quality) | values
    X_all = test.drop(columns=[source.target])
    report = evaluation_report(
        model,
        held.X,
        held.y,
        held.metrics,
        candidates,
        champion_metrics(champion, X_all, held.y),
        quality,
        held.importance,
        held.sample,
    )
    return Evaluation(held.metrics, quality, report, logged)
