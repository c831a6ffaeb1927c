"""whylogs profiling at the speed of its sketches.

whylogs 1.6.4 (its last release) spends almost all of a numeric frame's profiling time in one line of
``PreprocessedColumn._pandas_split``: ``floats.apply(lambda x: np.isinf(x))``, a Python call per value
only to count infinities. On 30 float columns that held profiling to about 20,000-50,000 rows/s,
20x slower than pandas ``describe()``. Two changes, neither of which alters a single metric:

1. :func:`split_float_series` does the same split with array operations. :func:`install` (run when
   this module is imported) puts it in front of whylogs' method for NumPy float columns only; every
   other column still goes through whylogs' own code. The resulting ``PreprocessedColumn`` holds the
   same arrays and counts.
2. :func:`profile_frame` profiles large frames in forked worker processes, one group of columns each,
   and merges the column profiles. A column's profile depends on that column's values alone, so
   the merged profile is the one whylogs builds in a single process.

What remains is whylogs' sketches themselves (KLL quantiles at k=1024, HyperLogLog, frequent items),
about 0.1 us per value per core. Their quantiles are randomised by datasketches: whylogs' own profile
of the same frame differs from run to run in them, within the sketch's rank error, and so does ours.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import whylogs as why
from whylogs.core import DatasetProfileView
from whylogs.core.preprocessing import PreprocessedColumn

import portable_mlops.compat  # noqa: F401  (before whylogs)

#: Below this many values a frame is profiled in-process: forking costs more than it saves.
PARALLEL_MIN_VALUES = 2_000_000

_ORIGINAL_SPLIT: Callable[..., None] = PreprocessedColumn._pandas_split


def split_float_series(column: PreprocessedColumn, series: pd.Series) -> bool:
    """Fill ``column`` from a NumPy-float ``series`` as whylogs' ``_pandas_split`` does; False if not one.

    whylogs' result for such a series: ``null_count`` and ``nan_count`` are the NaNs, ``inf_count`` the
    infinities, ``numpy.floats`` the non-NaN values as float64, in order.
    """
    if not isinstance(series, pd.Series) or not isinstance(series.dtype, np.dtype) or series.dtype.kind != "f":
        return False
    values = series.to_numpy()
    nan = np.isnan(values)
    nulls = int(nan.sum())
    floats = (values[~nan] if nulls else values).astype(float, copy=True)
    column.null_count = nulls
    column.nan_count = nulls
    column.inf_count = int(np.isinf(floats).sum())
    column.numpy.floats = floats
    return True


def _pandas_split(self: PreprocessedColumn, series: pd.Series, parse_numeric_string: bool = False) -> None:
    if not split_float_series(self, series):
        _ORIGINAL_SPLIT(self, series, parse_numeric_string)


def install() -> None:
    """Route whylogs' per-column split of float columns through :func:`split_float_series` (idempotent)."""
    PreprocessedColumn._pandas_split = _pandas_split  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore whylogs' own split (for comparisons)."""
    PreprocessedColumn._pandas_split = _ORIGINAL_SPLIT  # type: ignore[method-assign]


install()


def _profile_columns(frame: pd.DataFrame) -> DatasetProfileView:
    return why.log(pandas=frame).profile().view()


_FORKED_FRAME: pd.DataFrame | None = None  # the frame a forked worker reads, shared copy-on-write


def _profile_group(columns: Sequence[str]) -> bytes:
    assert _FORKED_FRAME is not None
    return _profile_columns(_FORKED_FRAME[list(columns)]).serialize()


def _start_worker() -> None:
    """A forked worker's signals: SIGTERM's default action (the end of the process) and SIGINT ignored
    (Ctrl-C is the parent's to handle; it then ends the workers).

    A step runs under ZenML's SIGTERM handler, which marks the step run stopped; a worker forked from
    the step inherits it, along with a second thread (OpenTelemetry's log processor restarts its own
    after a fork). A signal delivered to that thread left the worker's main thread waiting for work
    for ever, and the pool's ``terminate`` then waited for the worker: a training run on a million rows
    hung in ``profile_data``. A worker must neither hang nor report its parent's step as stopped.
    """
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def column_groups(frame: pd.DataFrame, workers: int) -> list[list[str]]:
    """Split the columns into ``workers`` groups of about equal cost (text columns count double)."""
    cost = {c: (2 if frame[c].dtype.kind in "OSUb" else 1) for c in frame.columns}
    groups: list[list[str]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for name in sorted(frame.columns, key=lambda c: -cost[c]):
        i = loads.index(min(loads))
        groups[i].append(name)
        loads[i] += cost[name]
    return [g for g in groups if g]


def default_workers() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def profile_frame(
    frame: pd.DataFrame, timestamp: datetime | None = None, workers: int | None = None
) -> DatasetProfileView:
    """Profile a frame with whylogs, stamped with ``timestamp`` (timezone-aware; now, UTC, by default).

    Frames of at least :data:`PARALLEL_MIN_VALUES` values are profiled by ``workers`` forked processes
    (default: the usable cores), a group of columns each; the column profiles are merged.
    """
    global _FORKED_FRAME
    workers = default_workers() if workers is None else workers
    groups = column_groups(frame, workers) if frame.size >= PARALLEL_MIN_VALUES and workers > 1 else []
    if len(groups) > 1 and "fork" in multiprocessing.get_all_start_methods():
        _FORKED_FRAME = frame
        pool = multiprocessing.get_context("fork").Pool(len(groups), initializer=_start_worker)
        try:
            parts = pool.map(_profile_group, groups)
            pool.close()  # the workers end when they read that there is no more work: no signal
        except BaseException:
            pool.terminate()  # SIGTERM, which a worker no longer handles (see _start_worker)
            raise
        finally:
            pool.join()
            _FORKED_FRAME = None
        view = DatasetProfileView.deserialize(parts[0])
        for part in parts[1:]:
            view = view.merge(DatasetProfileView.deserialize(part))
        columns = view.get_columns()
        view = DatasetProfileView(
            columns={name: columns[name] for name in frame.columns},
            dataset_timestamp=view.dataset_timestamp,
            creation_timestamp=view.creation_timestamp,
        )
    else:
        view = _profile_columns(frame)
    view.set_dataset_timestamp(timestamp or datetime.now(UTC))
    return view


def same_profile(a: DatasetProfileView, b: DatasetProfileView) -> list[str]:
    """What differs between two profiles of the same data, apart from KLL quantile estimates.

    Every count, type counter, null and NaN count, min, max, mean, standard deviation, cardinality
    estimate and frequent item must be equal; the KLL quantiles (``distribution/q_*``, ``median``) are
    randomised by whylogs' sketch and are checked against the data by the tests instead.
    """
    differences = []
    if list(a.get_columns()) != list(b.get_columns()):
        differences.append(f"columns: {list(a.get_columns())} != {list(b.get_columns())}")
    for name in a.get_columns():
        left = a.get_column(name).to_summary_dict()
        column_b = b.get_column(name)
        right = column_b.to_summary_dict() if column_b is not None else {}
        for key in sorted(set(left) | set(right)):
            if key.startswith("distribution/q_") or key == "distribution/median":
                continue
            if not _equal(left.get(key), right.get(key)):
                differences.append(f"{name} {key}: {left.get(key)!r} != {right.get(key)!r}")
    return differences


def _equal(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float) and np.isnan(x) and np.isnan(y):
        return True
    return bool(x == y)
