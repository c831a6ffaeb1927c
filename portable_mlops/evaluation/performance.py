"""Performance of a model: fit time, prediction time per row, the training step's peak memory and
the model's size, and their comparison with the champion's recorded values (a regression is warned, never fatal).

The measures are MLflow metrics of the model's run, so the champion's values are read back from its
registry version's run on any stack.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from portable_mlops.params import PerformanceParams

#: The measures compared with the champion, as MLflow metric names, with their units for messages.
MEASURES = {"fit_seconds": "s", "predict_ms_per_row": "ms/row", "train_peak_rss_mb": "MB", "model_size_mb": "MB"}


def predict_ms_per_row(model: Any, X: pd.DataFrame, repeats: int = 3) -> float:
    """Milliseconds per row of ``predict_proba`` (a regression: ``predict``) on ``X`` (the best of
    ``repeats`` whole-frame calls)."""
    best = float("inf")
    predict = getattr(model, "predict_proba", None) or model.predict
    for _ in range(repeats):
        started = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - started)
    return 1000 * best / max(1, len(X))


def model_size_mb(model: Any) -> float:
    """The model's pickled size in MB: what a serving process loads and holds, model by model."""
    return len(cloudpickle.dumps(model)) / 2**20


@dataclass(frozen=True)
class Comparison:
    """One measure of the new model against the champion's."""

    measure: str
    value: float
    champion: float | None
    regression: bool

    @property
    def factor(self) -> float | None:
        """How many times the champion's value this is (None without a positive champion value)."""
        return self.value / self.champion if self.champion else None

    def message(self, max_factor: float) -> str:
        unit = MEASURES.get(self.measure, "")
        return (
            f"{self.measure} {self.value:.4g} {unit} is x{self.factor:.2f} the champion's {self.champion:.4g} {unit} "
            f"(> x{max_factor})"
        )


def compare(values: dict[str, float], champion: dict[str, float] | None, params: PerformanceParams) -> list[Comparison]:
    """Each measure against the champion's: a regression when it is more than ``max_factor`` times
    the champion's and larger by more than the measure's noise floor. A measure the champion never
    recorded (or recorded as 0) is compared with nothing."""
    out = []
    for measure in MEASURES:
        if measure not in values or not np.isfinite(values[measure]):
            continue
        value = float(values[measure])
        theirs = (champion or {}).get(measure)
        regression = bool(
            theirs and value > params.max_factor * theirs and value - theirs > params.noise_floor.get(measure, 0.0)
        )
        out.append(Comparison(measure, value, float(theirs) if theirs is not None else None, regression))
    return out


def regressions(comparisons: list[Comparison], params: PerformanceParams) -> list[str]:
    """One line per regression, for the log, the metadata and the run summary."""
    return [c.message(params.max_factor) for c in comparisons if c.regression]


class ComparisonRow(BaseModel):
    """One measure of the new model, the champion's, how many times it is, and the verdict."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    measure: str
    value: float
    champion: float | None
    factor: float | None
    regression: bool


class PerformanceResult(BaseModel):
    """This model's measures, the champion's version, the comparison and the regressions found."""

    model_config = ConfigDict(frozen=True, ser_json_inf_nan="constants")

    values: dict[str, float]
    champion_version: str | None
    max_factor: float
    comparison: list[ComparisonRow]
    regressions: list[str]


def performance_summary(
    values: dict[str, float], champion: tuple[str, dict[str, float]] | None, params: PerformanceParams
) -> PerformanceResult:
    """This model's measures against the champion's recorded ones, and the verdict (report, metadata, summary)."""
    comparisons = compare(values, champion[1] if champion else None, params)
    return PerformanceResult(
        values={c.measure: c.value for c in comparisons},
        champion_version=champion[0] if champion else None,
        max_factor=params.max_factor,
        comparison=[
            ComparisonRow(
                measure=c.measure, value=c.value, champion=c.champion, factor=c.factor, regression=c.regression
            )
            for c in comparisons
        ],
        regressions=regressions(comparisons, params),
    )
