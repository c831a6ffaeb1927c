"""The hyperparameter search: each family grid-searched with seeded cross-validation (stratified for a
classification).

Plain scikit-learn (no orchestrator): the training step calls :func:`search_family` per configured
family; the estimators it fits come from :mod:`portable_mlops.modeling.estimators`.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, KFold, ParameterGrid, StratifiedKFold

from portable_mlops.modeling.estimators import TabularModel, build_candidate
from portable_mlops.params import CandidateSpec, Family, SearchParams

logger = logging.getLogger(__name__)

#: scikit-learn's scorers of the error metrics: negated, so that higher is better in the search.
NEGATED_SCORERS = {"rmse": "neg_root_mean_squared_error", "mae": "neg_mean_absolute_error"}


def scoring_name(metric: str, n_classes: int) -> str:
    """The scikit-learn scorer for ``metric`` given the number of classes (a negated one for an error)."""
    if metric == "roc_auc" and n_classes > 2:
        return "roc_auc_ovr_weighted"
    return NEGATED_SCORERS.get(metric, metric)


@dataclass
class SearchResult:
    """The best estimator of one family, its parameters, its cross-validated score and the seconds
    its final fit (on all the training rows) took. An error metric's score is the error itself (lower is better)."""

    family: Family
    estimator: TabularModel
    params: dict[str, Any]
    cv_score: float
    fit_seconds: float = float("nan")


class FitProgress:
    """A scorer that logs how many of a search's cross-validation fits are done ("search xgboost:
    12/36 fits"). The search scores each fit once, so counting scores counts fits; with ``n_jobs > 1``
    the fits run in worker processes, whose counts are not seen here."""

    def __init__(self, scorer: Any, family: str, total: int, reports: int = 10) -> None:
        self.scorer, self.family, self.total = scorer, family, total
        self.every = max(1, total // reports)
        self.done = 0

    def __call__(self, estimator: Any, X: pd.DataFrame, y: pd.Series) -> float:
        value = float(self.scorer(estimator, X, y))
        self.done += 1
        if self.done % self.every == 0 or self.done == self.total:
            logger.info("search %s: %d/%d fits", self.family, self.done, self.total)
        return value


def estimator_threads(search: SearchParams) -> int:
    """Threads per tree model: every usable core when the search fits one model at a time, else one
    (``n_jobs`` parallel fits already use the cores)."""
    if search.n_jobs != 1:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def fit_once(
    spec: CandidateSpec, X: pd.DataFrame, y: pd.Series, search: SearchParams, task: str = "classification"
) -> SearchResult:
    """Fit the single configuration of ``spec`` on all of ``X``, without cross-validation.

    For a search of one family with one configuration there is nothing to choose, so the k
    cross-validation fits would only produce a score: ``cv_score`` is NaN and the holdout evaluation
    is the model's measure.
    """
    params = {name: values[0] for name, values in spec.grid.items()}
    candidate = build_candidate(spec.family, X, search.seed, estimator_threads(search), task)
    candidate.set_params(**{f"estimator__model__{name}": value for name, value in params.items()})
    logger.info("search %s: one configuration, fitted once without cross-validation", spec.family)
    started = time.perf_counter()
    candidate.fit(X, y)
    return SearchResult(spec.family, candidate, params, float("nan"), time.perf_counter() - started)


def search_family(
    spec: CandidateSpec, X: pd.DataFrame, y: pd.Series, search: SearchParams, task: str = "classification"
) -> SearchResult:
    """Grid-search one family with seeded cross-validation (stratified for a classification); refit the
    best on all of ``X``. ``search`` is resolved for the task (:meth:`SearchParams.for_task`).

    A search of this one family with one configuration is :func:`fit_once` (nothing to choose).
    """
    grid = {f"estimator__model__{name}": values for name, values in spec.grid.items()}
    search = search.for_task(task)
    assert search.candidates is not None and search.metric is not None  # SearchParams.for_task fills them
    if len(search.candidates) == 1 and len(ParameterGrid(grid or [{}])) == 1:
        return fit_once(spec, X, y, search, task)
    folds = StratifiedKFold if task == "classification" else KFold
    cv = folds(n_splits=search.cv_folds, shuffle=True, random_state=search.seed)
    candidate = build_candidate(spec.family, X, search.seed, estimator_threads(search), task)
    fits = len(ParameterGrid(grid or [{}])) * search.cv_folds
    if search.n_jobs != 1:
        logger.info("search %s: %d fits on %s workers", spec.family, fits, search.n_jobs)
    name = scoring_name(search.metric, y.nunique())
    scorer = FitProgress(check_scoring(candidate, scoring=name), spec.family, fits)
    gs = GridSearchCV(
        candidate,
        grid or [{}],
        scoring=scorer,
        cv=cv,
        n_jobs=search.n_jobs,
        error_score="raise",
    )
    gs.fit(X, y)
    params = {k.removeprefix("estimator__model__"): v for k, v in gs.best_params_.items()}
    best = -float(gs.best_score_) if name.startswith("neg_") else float(gs.best_score_)
    return SearchResult(spec.family, gs.best_estimator_, params, best, float(gs.refit_time_))
