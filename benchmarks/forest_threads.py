"""What a random forest's (and XGBoost's) prediction costs on two threads and on one, by the number of
rows predicted.

    python -m benchmarks.forest_threads
    python -m benchmarks.forest_threads --rows 1 --rows 1000 --repeats 5

Fits the project's random-forest candidate (``modeling.estimators.build_candidate``: 200 trees, as the
search trains it) on the default data with two threads, then times ``predict`` on frames of each size:
the fitted model as trained (scikit-learn hands the trees to joblib threads), the same forest on one
thread, and the project's model (:class:`~portable_mlops.modeling.estimators.LabelEncodedClassifier`,
which picks one thread below ``FOREST_ONE_THREAD_BELOW`` rows). The project's XGBoost candidate, fitted
the same way, is timed as trained (two threads) and with its booster told to use one (it keeps its
threads in the project). Prints one JSON object of milliseconds per call (best of ``--repeats``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import click


def best_ms(repeats: int, work: Callable[[], Any]) -> float:
    """The fastest of ``repeats`` timings of ``work``, in milliseconds (one warm-up call first)."""
    work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(min(times) * 1000, 2)


@click.command()
@click.option("--rows", "sizes", type=int, multiple=True, default=(1, 1_000, 10_000, 100_000), show_default=True)
@click.option("--repeats", type=int, default=5, show_default=True)
def main(sizes: tuple[int, ...], repeats: int) -> None:
    """Time a 200-tree forest's predictions at each size, two threads against one."""
    import copy

    import pandas as pd

    from portable_mlops.data.loading import load_builtin
    from portable_mlops.modeling.estimators import FOREST_ONE_THREAD_BELOW, build_candidate

    data = load_builtin("breast_cancer")
    X, y = data.drop(columns=["diagnosis"]), data["diagnosis"]
    model = build_candidate("random_forest", X, seed=0, threads=2).fit(X, y)
    pipeline = model.estimator_
    forest = pipeline.steps[-1][1]
    one = copy.copy(forest)
    one.n_jobs = 1
    preprocess = pipeline.steps[0][1]
    boosted = build_candidate("xgboost", X, seed=0, threads=2).fit(X, y).estimator_
    booster = boosted.steps[-1][1].get_booster()
    one_booster = copy.deepcopy(booster)
    one_booster.set_param({"nthread": 1})
    figures: dict[str, Any] = {"trees": forest.n_estimators, "one_thread_below": FOREST_ONE_THREAD_BELOW}
    for size in sizes:
        frame = pd.concat([X] * (size // len(X) + 1), ignore_index=True).iloc[:size]
        matrix = preprocess.transform(frame)
        boosted_matrix = boosted.steps[0][1].transform(frame)
        figures[str(size)] = {
            "forest_two_threads_ms": best_ms(repeats, partial(forest.predict, matrix)),
            "forest_one_thread_ms": best_ms(repeats, partial(one.predict, matrix)),
            "model_predict_ms": best_ms(repeats, partial(model.predict, frame)),
            "xgboost_two_threads_ms": best_ms(repeats, partial(booster.inplace_predict, boosted_matrix)),
            "xgboost_one_thread_ms": best_ms(repeats, partial(one_booster.inplace_predict, boosted_matrix)),
        }
    click.echo(json.dumps(figures))


if __name__ == "__main__":
    main()
