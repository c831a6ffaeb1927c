"""Training: every configured family searched, each family's best logged to MLflow, the best kept.

:func:`train_best` is the training step's logic; it needs MLflow (the stack's experiment tracker
sets the active run) but no orchestrator.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import mlflow
import pandas as pd
import psutil

from portable_mlops.modeling.estimators import TabularModel
from portable_mlops.modeling.features import check_not_used, model_inputs
from portable_mlops.modeling.search import search_family
from portable_mlops.modeling.tracking import log_candidate
from portable_mlops.params import LOWER_IS_BETTER, DataSource, SearchParams

logger = logging.getLogger(__name__)


class PeakRss:
    """Peak resident memory of this process while the ``with`` block runs, sampled by a thread.

    ``peak_mb`` includes what the process held before the block (on the local orchestrator the
    steps share one process); child processes (a search with ``n_jobs > 1``) are not counted.
    """

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak_mb = 0.0
        self._process = psutil.Process(os.getpid())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _read(self) -> None:
        self.peak_mb = max(self.peak_mb, self._process.memory_info().rss / 2**20)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._read()

    def __enter__(self) -> PeakRss:
        self._read()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._read()


@dataclass
class Trained:
    """The best candidate, where MLflow logged it, and the table of all candidates."""

    model: TabularModel
    model_uri: str
    run_id: str
    score: float
    candidates: pd.DataFrame
    #: Forbidden columns dropped before the search, and the columns the model takes.
    dropped: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    #: Seconds the whole search took and the peak resident memory while it ran.
    performance: dict[str, float] = field(default_factory=dict)


def train_best(train: pd.DataFrame, source: DataSource, search: SearchParams, task: str = "classification") -> Trained:
    """Search every family of ``search`` on ``train``, log each family's best as a nested MLflow run,
    and return the best by cross-validated score (the first, when a lone configuration has none;
    the lowest for an error metric such as RMSE).

    Forbidden features are dropped first, and a best model that still takes one is refused. The best
    run also gets the search's peak memory, which the evaluation compares with the champion's.
    """
    search = search.for_task(task)
    assert search.candidates is not None and search.metric is not None
    X, dropped = model_inputs(train, source)
    y = train[source.target]
    if dropped:
        logger.info("Forbidden features dropped before training: %s", ", ".join(dropped))
    rows: list[dict[str, Any]] = []
    best: tuple[Any, str, str, float] | None = None
    started = time.perf_counter()
    with PeakRss() as memory:
        for index, spec in enumerate(search.candidates, start=1):
            logger.info("Searching %s (%d/%d): grid %s", spec.family, index, len(search.candidates), spec.grid)
            result = search_family(spec, X, y, search, task)
            scores = {f"cv_{search.metric}": result.cv_score, "fit_seconds": result.fit_seconds}
            run_id, uri = log_candidate(spec.family, result.estimator, result.params, scores, X)
            logger.info("%s: cv %s %.4f with %s", spec.family, search.metric, result.cv_score, result.params)
            rows.append({"family": spec.family, **scores, "params": str(result.params), "mlflow_run_id": run_id})
            lower = search.metric in LOWER_IS_BETTER  # one configuration alone has no CV score (NaN): never better
            if best is None or (result.cv_score < best[3] if lower else result.cv_score > best[3]):
                best = (result.estimator, uri, run_id, result.cv_score)
    assert best is not None  # SearchParams guarantees at least one candidate
    model, uri, run_id, score = best
    check_not_used(model, source.forbidden_features)
    performance = {"search_seconds": time.perf_counter() - started, "train_peak_rss_mb": memory.peak_mb}
    mlflow.MlflowClient().log_metric(run_id, "train_peak_rss_mb", memory.peak_mb)
    return Trained(model, uri, run_id, score, pd.DataFrame(rows), dropped, list(X.columns), performance)
