"""Pydantic parameter models: what a config file or the command line may set, and how it is checked.

Each model is passed to steps as one argument. Validation messages say how to fix the input.
"""

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from portable_mlops.errors import UserFacingError

ClassificationMetric = Literal["roc_auc", "f1_macro", "accuracy", "balanced_accuracy"]
RegressionMetric = Literal["rmse", "mae", "r2"]
Metric = Literal["roc_auc", "f1_macro", "accuracy", "balanced_accuracy", "rmse", "mae", "r2"]
#: What a model predicts: class labels or a number.
Task = Literal["classification", "regression"]
#: The metrics of each task; a config naming another task's metric is refused with the list.
TASK_METRICS: dict[str, tuple[str, ...]] = {
    "classification": ("roc_auc", "f1_macro", "accuracy", "balanced_accuracy"),
    "regression": ("rmse", "mae", "r2"),
}
#: Error metrics: lower is better (the gate, the search and the slices compare in this direction).
LOWER_IS_BETTER = frozenset({"rmse", "mae"})


def better(metric: str, value: float, than: float) -> float:
    """How much better ``value`` is than ``than`` in ``metric``'s own direction (negative: worse);
    an error metric (RMSE, MAE) is better when lower."""
    return than - value if metric in LOWER_IS_BETTER else value - than


#: Why a person overrode a safeguard: recorded with who and when, so it must say something.
Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=10),
    Field(description="At least 10 characters: recorded on the model version with who and when."),
]
Family = Literal["logistic_regression", "ridge", "random_forest", "xgboost"]
#: The families each task can train: logistic regression classifies, ridge (linear least squares) regresses.
TASK_FAMILIES: dict[str, tuple[str, ...]] = {
    "classification": ("logistic_regression", "random_forest", "xgboost"),
    "regression": ("ridge", "random_forest", "xgboost"),
}


class TaskError(UserFacingError, ValueError):
    """A setting names a metric or a model family of the other task (classification or regression)."""


def metric_for(task: str, metric: str | None, defaults: dict[str, str], setting: str) -> str:
    """``metric`` if it belongs to ``task``, the task's default when it is None; else a one-line error."""
    if metric is None:
        return defaults[task]
    if metric not in TASK_METRICS[task]:
        raise TaskError(
            f"{setting} is {metric}, a metric of {'regression' if task == 'classification' else 'classification'}, "
            f"but this is a {task}; set {setting} to one of {', '.join(TASK_METRICS[task])} or leave it out"
        )
    return metric


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataSource(_Params):
    """Where the training data comes from and which column is the label.

    ``uri`` is ``sklearn://<name>`` for a data set that ships inside scikit-learn (``breast_cancer``,
    ``wine``, ``iris``; ``diabetes`` for a regression), or a CSV / Parquet path or fsspec URI (``s3://...``, ``gs://...``).
    """

    uri: str = Field(description="sklearn://<name>, or a CSV / Parquet path or fsspec URI (run.py --data).")
    target: str = Field(description="The label column (run.py --target).")
    task: Literal["auto", "classification", "regression"] = Field(
        "auto",
        description=(
            "What the model predicts (run.py --task). auto: a regression when the target is numeric with more "
            "than 20 distinct values, else a classification."
        ),
    )
    require_target: bool = Field(
        True, description="Training needs labels; a batch to score may come without them (then false)."
    )
    forbidden_features: list[str] = Field(
        default_factory=list,
        description=(
            "Columns no model may use (e.g. protected attributes, or data not allowed in production). Training "
            "drops them before the search and refuses a model that still takes one; evaluation may slice by them."
        ),
    )

    @field_validator("uri", "target")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty: give a data URI with --data and a label column with --target")
        return value.strip()

    @model_validator(mode="after")
    def _target_not_forbidden(self) -> "DataSource":
        if self.target in self.forbidden_features:
            raise ValueError(
                f"source.forbidden_features names the label column '{self.target}'; remove it from the list"
            )
        return self


class RunFacts(_Params):
    """What the command line saw of the outside world when the run started, for the steps that read it.

    The steps that read the data source or depend on the champion (load, validate, register, promote)
    take these as a parameter, so they are part of those steps' cache key: ``run.py`` fills them in and
    lets those steps be cached, and a re-run on unchanged data, config and champion reuses them while a
    changed file or a new champion runs them again. Left empty (a pipeline called without ``run.py``),
    those steps are never cached.
    """

    data: str = Field("", description="A fingerprint of the data source's content (hash, ETag or size and time).")
    champion: str = Field("", description="The champion's registry version and reference set when the run started.")
    model: str = Field("", description="The model's name: the same data under another name is another model's run.")


class SplitParams(_Params):
    """The seeded, stratified holdout split."""

    test_size: float = Field(0.25, gt=0.0, lt=1.0, description="Fraction of rows held out, e.g. 0.25.")
    seed: int = 42


class CandidateSpec(_Params):
    """One model family and the grid of hyperparameters searched for it."""

    family: Family
    grid: dict[str, list[float | int | str | None]] = Field(default_factory=dict)

    @field_validator("grid")
    @classmethod
    def _grid_lists_not_empty(
        cls, grid: dict[str, list[float | int | str | None]]
    ) -> dict[str, list[float | int | str | None]]:
        for name, values in grid.items():
            if not values:
                raise ValueError(f"grid entry '{name}' is empty: list at least one value or remove it")
        return grid


class SearchParams(_Params):
    """The hyperparameter search over candidate families."""

    candidates: list[CandidateSpec] | None = Field(
        None,
        description=(
            "Families and grids; null: logistic_regression (C 0.1, 1, 10) for a classification, ridge (alpha 0.1, 1, "
            "10) for a regression, and xgboost (max_depth 3, 5) for both."
        ),
    )
    cv_folds: int = Field(3, ge=2, le=10)
    metric: Metric | None = Field(None, description="The CV metric; null: roc_auc (classification), rmse (regression).")
    seed: int = 42
    n_jobs: int = Field(1, ge=1, description="Parallel fits in the search; 1 keeps it light on small machines.")

    @model_validator(mode="after")
    def _families_unique(self) -> "SearchParams":
        if self.candidates is None:
            return self
        families = [c.family for c in self.candidates]
        if not families:
            raise ValueError("search.candidates is empty: list at least one model family")
        if len(set(families)) != len(families):
            raise ValueError(f"search.candidates repeats a family ({families}): merge the grids into one entry")
        return self

    def for_task(self, task: str) -> "SearchParams":
        """These params with the task's defaults filled in; a metric or family of the other task is refused."""
        metric = metric_for(task, self.metric, {"classification": "roc_auc", "regression": "rmse"}, "search.metric")
        linear = (
            CandidateSpec(family="logistic_regression", grid={"C": [0.1, 1.0, 10.0]})
            if task == "classification"
            else CandidateSpec(family="ridge", grid={"alpha": [0.1, 1.0, 10.0]})
        )
        xgboost = CandidateSpec(
            family="xgboost", grid={"max_depth": [3, 5], "n_estimators": [100], "learning_rate": [0.1]}
        )
        candidates = self.candidates if self.candidates is not None else [linear, xgboost]
        wrong = [c.family for c in candidates if c.family not in TASK_FAMILIES[task]]
        if wrong:
            raise TaskError(
                f"search.candidates names {', '.join(wrong)}, which cannot train a {task}; use "
                f"{', '.join(TASK_FAMILIES[task])} (or leave search.candidates out for the defaults)"
            )
        return self.model_copy(update={"metric": metric, "candidates": candidates})


class ValidationParams(_Params):
    """Tolerances for the constraints derived from the reference profile."""

    max_null_fraction: float = Field(
        0.5, ge=0.0, le=1.0, description="A feature may be at most this fraction null, reference or not."
    )
    null_fraction_slack: float = Field(
        0.1, ge=0.0, le=1.0, description="Allowed rise of a column's null fraction over the reference's."
    )
    range_slack: float = Field(
        0.5, ge=0.0, description="Allowed widening of a numeric range, as a fraction of the reference's span."
    )
    min_rows: int = Field(20, ge=2, description="Fewest rows the pipeline will train or score on.")
    min_class_rows: int = Field(
        5, ge=2, description="Fewest rows per target class (the stratified split and the CV need them)."
    )
    max_label_shift: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description=(
            "Largest distance between the label distribution of new training data and the model's reference "
            "set (total variation of the class shares; Kolmogorov-Smirnov for a regression); beyond it the run "
            "stops before training (wrong or corrupted labels)."
        ),
    )


class GateParams(_Params):
    """The quality gate that decides whether a new model replaces the champion.

    A candidate is judged twice: on its own run's holdout (it must beat the champion there by more
    than ``margin``) and on the model's fixed reference set, a holdout kept from the model's first run
    whose labels later data cannot change (it must not fall behind the champion there by more than
    ``margin``). Every model, the first included, must reach ``min_score`` on both.
    """

    metric: Metric | None = Field(
        None,
        description="The metric compared; null: roc_auc (classification), rmse (regression; lower wins).",
    )
    margin: float = Field(
        0.0,
        ge=0.0,
        description="The candidate must beat the champion by more than this on the same holdout (metric's units).",
    )
    min_score: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Classification: the floor of the gate metric every model must reach on its holdout and on the "
            "reference set, the first included."
        ),
    )
    min_r2: float = Field(
        0.0,
        le=1.0,
        description=(
            "Regression: the floor of R2 every model must reach on its holdout and on the reference set, the first "
            "included (0: no better than always predicting the mean)."
        ),
    )
    override_reason: Reason | None = Field(
        None,
        description="Promote even though the gate refuses, for this reason (run.py --override-gate); recorded.",
    )
    replace_reference_reason: Reason | None = Field(
        None,
        description="Replace the model's reference set with this run's holdout, for this reason; recorded.",
    )

    def for_task(self, task: str) -> "GateParams":
        """These params with the task's metric filled in; a metric of the other task is refused."""
        metric = metric_for(task, self.metric, {"classification": "roc_auc", "regression": "rmse"}, "gate.metric")
        return self.model_copy(update={"metric": metric})

    def floor(self, task: str) -> tuple[str, float]:
        """The metric every model's floor is measured in, and the floor: the gate metric and ``min_score``
        for a classification, R2 and ``min_r2`` for a regression (an error has no scale-free floor)."""
        if task == "regression":
            return "r2", self.min_r2
        return str(self.for_task(task).metric), self.min_score


class SliceSpec(_Params):
    """A column to slice the holdout by: its values (``bins: 0``) or ``bins`` quantile bins of a numeric column."""

    column: str
    bins: int = Field(0, ge=0, le=20, description="0: one slice per value; 2-20: quantile bins of a numeric column.")

    @field_validator("bins")
    @classmethod
    def _not_one_bin(cls, bins: int) -> int:
        if bins == 1:
            raise ValueError("bins: 1 makes one slice, the whole holdout; use 0 (per value) or 2 or more bins")
        return bins


class SliceParams(_Params):
    """Holdout quality per data slice, and the floor the promotion gate holds every slice to."""

    columns: list[SliceSpec] = Field(default_factory=list, description="Columns to slice by; absent ones are skipped.")
    metric: Literal["accuracy", "balanced_accuracy", "roc_auc", "rmse", "mae", "r2"] | None = Field(
        None,
        description=(
            "Metric per slice; null: accuracy (classification), rmse (regression). balanced_accuracy and roc_auc "
            "need both classes in a slice."
        ),
    )
    min_rows: int = Field(20, ge=1, description="A slice with fewer holdout rows is reported as skipped, not gated.")
    floor: float | None = Field(
        None,
        description=(
            "The gate keeps a model whose worst slice is worse than this (null: no limit): below it for accuracy, "
            "balanced_accuracy, roc_auc and r2, above it for the errors rmse and mae (then a ceiling, in the "
            "target's units)."
        ),
    )

    def for_task(self, task: str) -> "SliceParams":
        """These params with the task's metric filled in; a metric of the other task is refused."""
        metric = metric_for(
            task, self.metric, {"classification": "accuracy", "regression": "rmse"}, "evaluation.slices.metric"
        )
        if self.floor is not None and metric not in LOWER_IS_BETTER and metric != "r2" and not 0 <= self.floor <= 1:
            raise TaskError(
                f"evaluation.slices.floor is {self.floor}, but {metric} lies between 0 and 1; give a floor in that "
                "range (e.g. 0.85)"
            )
        return self.model_copy(update={"metric": metric})


class FairnessParams(_Params):
    """Inclusion: the gap of a per-group rate between the groups of a sensitive attribute."""

    column: str | None = Field(
        None,
        description=(
            "The sensitive attribute (e.g. sex); null: not measured. List it in forbidden_features too. "
            "Classification only: both measures are rates of a class."
        ),
    )
    bins: int = Field(0, ge=0, le=20, description="0: groups are the column's values; 2-20: quantile bins.")
    measure: Literal["recall_gap", "positive_rate_gap"] = Field(
        "recall_gap",
        description="recall_gap: equal opportunity (recall of the positive class); positive_rate_gap: parity.",
    )
    positive_class: str | None = Field(None, description="The favourable/positive class; default: the last class.")
    max_gap: float | None = Field(
        0.1, ge=0.0, le=1.0, description="The gate keeps a model whose gap exceeds this (null: measure only)."
    )
    min_rows: int = Field(20, ge=1, description="Groups with fewer holdout rows are reported as skipped.")


class DecayParams(_Params):
    """Quality under growing covariate shift: how fast the model decays as its inputs drift away."""

    shifts: list[float] = Field(
        default_factory=lambda: [0.0, 0.5, 1.0, 1.5, 2.0], description="Shifts in standard deviations, e.g. 0, 0.5, 1."
    )
    columns: list[str] = Field(
        default_factory=list, description="Numeric columns to shift; empty: the most important numeric ones."
    )
    top_features: int = Field(4, ge=1, description="How many of the most important numeric columns (columns empty).")
    metric: Metric | None = Field(
        None,
        description=(
            "null: balanced_accuracy (classification; a thresholded metric: a shift moves every score alike, which "
            "rank metrics such as roc_auc barely see), rmse (regression)."
        ),
    )
    seed: int = 0

    def for_task(self, task: str) -> "DecayParams":
        """These params with the task's metric filled in; a metric of the other task is refused."""
        metric = metric_for(
            task, self.metric, {"classification": "balanced_accuracy", "regression": "rmse"}, "evaluation.decay.metric"
        )
        return self.model_copy(update={"metric": metric})

    @field_validator("shifts")
    @classmethod
    def _shifts(cls, shifts: list[float]) -> list[float]:
        if not shifts:
            raise ValueError("decay.shifts is empty: list shifts in standard deviations, e.g. [0, 0.5, 1, 1.5, 2]")
        return sorted(set(shifts))


class PerformanceParams(_Params):
    """When a model's fit time, prediction time, training memory or size counts as a regression on the champion's."""

    max_factor: float = Field(
        2.0, gt=1.0, description="A measure more than this many times the champion's is a regression (warned)."
    )
    noise_floor: dict[str, float] = Field(
        default_factory=lambda: {
            "fit_seconds": 0.5,
            "predict_ms_per_row": 0.05,
            "train_peak_rss_mb": 100.0,
            "model_size_mb": 1.0,
        },
        description="Differences below these absolute amounts are noise, never a regression.",
    )

    @field_validator("noise_floor")
    @classmethod
    def _known_measures(cls, floors: dict[str, float]) -> dict[str, float]:
        known = {"fit_seconds", "predict_ms_per_row", "train_peak_rss_mb", "model_size_mb"}
        unknown = sorted(set(floors) - known)
        if unknown:
            raise ValueError(f"unknown measures {unknown} in performance.noise_floor; use {sorted(known)}")
        return floors


class EvaluationParams(_Params):
    """What the evaluation measures beyond the overall holdout metrics, and what the gate holds it to."""

    slices: SliceParams = Field(default_factory=lambda: SliceParams())
    fairness: FairnessParams = Field(default_factory=lambda: FairnessParams())
    decay: DecayParams = Field(default_factory=lambda: DecayParams())
    performance: PerformanceParams = Field(default_factory=lambda: PerformanceParams())
    diagnostic_rows: int = Field(
        10_000,
        ge=100,
        description=(
            "Permutation importance, quality under shift, prediction timing and the plots use a stratified sample "
            "of at most this many holdout rows (their cost grows with rows x features); the metrics, slices and "
            "the gate use every holdout row."
        ),
    )

    def for_task(self, task: str) -> "EvaluationParams":
        """These params with the task's metrics filled in (slices, decay); fairness is a classification measure."""
        if task == "regression" and self.fairness.column is not None:
            raise TaskError(
                f"evaluation.fairness.column is set ({self.fairness.column}), but both fairness measures are rates "
                "of a class and this is a regression; remove evaluation.fairness.column (slice by it instead: "
                "evaluation.slices.columns)"
            )
        return self.model_copy(update={"slices": self.slices.for_task(task), "decay": self.decay.for_task(task)})


class DriftParams(_Params):
    """How drift of a batch against the champion's training profile is decided."""

    alpha: float = Field(
        0.01, gt=0.0, lt=1.0, description="Accepted false-alarm rate for the whole batch (all columns together)."
    )
    correction: Literal["bonferroni", "none"] = Field(
        "bonferroni", description="bonferroni divides alpha by the number of columns; none tests each at alpha."
    )
    column_alpha: dict[str, float] = Field(
        default_factory=dict, description="Per-column p-value thresholds that replace the computed one."
    )
    min_drifted_columns: int = Field(1, ge=1, description="Columns that must drift for the batch to count as drifted.")
    exclude: list[str] = Field(default_factory=list, description="Columns never tested (ids, timestamps).")
    retrain_on_drift: bool = Field(False, description="Train on the batch (it needs labels) when it drifted.")


Rollout = Literal["deploy", "canary", "promote", "rollback"]
_QUANTITY = r"^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$"


class Resources(_Params):
    """Kubernetes requests and limits of the model container (Seldon), e.g. ``cpu: 500m``."""

    requests: dict[str, str] = Field(default_factory=lambda: {"cpu": "100m", "memory": "512Mi"})
    limits: dict[str, str] = Field(default_factory=lambda: {"memory": "1Gi"})

    @field_validator("requests", "limits")
    @classmethod
    def _quantities(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - {"cpu", "memory"})
        if unknown:
            raise ValueError(f"unknown resources {unknown}; use cpu and memory")
        bad = {k: v for k, v in value.items() if not re.match(_QUANTITY, str(v))}
        if bad:
            raise ValueError(f"not Kubernetes quantities: {bad}; write e.g. cpu: 500m, memory: 1Gi")
        return value


class DeployParams(_Params):
    """How the champion is deployed and checked before it takes traffic."""

    smoke_rows: int = Field(20, ge=1, description="Holdout rows sent to the new endpoint before it is accepted.")
    timeout: int = Field(120, ge=1, description="Seconds to wait for the endpoint to start or stop.")
    workers: int = Field(
        1,
        ge=1,
        description=(
            "Processes that predict: MLflow's scoring server's workers; MLServer: 1 predicts in the server's own "
            "process, more starts that many worker processes (for as many free cores)."
        ),
    )
    force: bool = Field(False, description="Redeploy even when a healthy endpoint already serves the champion.")
    rollout: Rollout = Field(
        "deploy",
        description=(
            "deploy: serve the champion; canary: add the challenger beside it with canary_traffic percent; "
            "promote: give the canary all traffic and make it the champion; rollback: undo the last canary or "
            "promotion. Canaries need a deployer that splits traffic (Seldon)."
        ),
    )
    canary_traffic: int = Field(10, ge=1, le=99, description="Percent of requests the canary gets.")
    override_reason: Reason | None = Field(
        None,
        description="Promote a canary the gate refuses, for this reason (run.py --override-gate); recorded.",
    )
    replicas: int = Field(1, ge=1, le=100, description="Pods per predictor (Seldon).")
    resources: Resources = Field(default_factory=lambda: Resources())
    serving_image: str | None = Field(
        None,
        description=(
            "The MLServer image Seldon runs (Seldon); default: <stack registry>/pmlops-mlserver:<hash of the model's "
            "requirements>, which `make serving-image` builds and pushes."
        ),
    )
    model_root: str | None = Field(
        None, description="Where served model directories go; default: <artifact store>/served-models (Seldon)."
    )


class ScoringParams(_Params):
    """How a batch is scored."""

    batch_size: int = Field(1000, ge=1, description="Rows per request to the endpoint.")
    timeout: float = Field(30.0, gt=0, description="Seconds to wait for one request.")
    max_champion_age_days: float = Field(
        90, gt=0, description="A champion trained longer ago than this is reported stale (retrain it)."
    )
