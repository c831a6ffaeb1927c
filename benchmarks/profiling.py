"""whylogs profiling throughput against pandas ``describe()`` on the same frame, and the profile check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import ratio, spread, timed
from portable_mlops.data import profiling


def numeric_frame(rows: int, columns: int = 30, seed: int = 0) -> pd.DataFrame:
    """``rows`` x ``columns`` normal floats with a few NaNs and infinities, as real data has."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, columns))
    values[rng.integers(0, rows, max(rows // 1000, 1)), rng.integers(0, columns, max(rows // 1000, 1))] = np.nan
    values[rng.integers(0, rows, max(rows // 5000, 1)), 0] = np.inf
    return pd.DataFrame(values, columns=[f"x{i:02d}" for i in range(columns)])


def quantile_rank_error(view: Any, frame: pd.DataFrame) -> float:
    """The largest distance, in rank, between a profile's quantile estimates and the data's true ranks."""
    worst = 0.0
    points = {"q_05": 0.05, "q_25": 0.25, "median": 0.5, "q_75": 0.75, "q_95": 0.95}
    for name in frame.columns:
        values = np.sort(frame[name].to_numpy()[np.isfinite(frame[name].to_numpy())])
        summary = view.get_column(name).to_summary_dict()
        for key, q in points.items():
            estimate = summary[f"distribution/{key}"]
            rank = np.searchsorted(values, estimate, side="right") / len(values)
            worst = max(worst, abs(rank - q))
    return float(worst)


def run(rows: int, repeats: int, columns: int = 30, original_rows: int = 100_000) -> dict[str, Any]:
    """Rows/s of pandas describe, whylogs 1.6.4 as released, and this project's profiling.

    whylogs as released is timed on ``min(rows, original_rows)`` rows: at its speed a million rows take
    close to a minute per repeat. Rates are rows per second.
    """
    frame = numeric_frame(rows, columns)
    small = frame.iloc[: min(rows, original_rows)]
    describe, original, ours, single = [], [], [], []
    for _ in range(repeats):
        describe.append(rows / timed(frame.describe)[0])
        profiling.uninstall()
        try:
            seconds, reference = timed(lambda: profiling.profile_frame(small, workers=1))
        finally:
            profiling.install()
        original.append(len(small) / seconds)
        seconds, fast_small = timed(lambda: profiling.profile_frame(small, workers=1))
        seconds, view = timed(lambda: profiling.profile_frame(frame))
        ours.append(rows / seconds)
        seconds, _ = timed(lambda: profiling.profile_frame(frame, workers=1))
        single.append(rows / seconds)
    differences = profiling.same_profile(reference, fast_small)
    differences += profiling.same_profile(profiling.profile_frame(small, workers=1), fast_small)
    return {
        "rows": rows,
        "columns": columns,
        "pandas_describe_rows_per_s": spread(describe),
        "whylogs_as_released_rows_per_s": spread(original),
        "whylogs_as_released_timed_on_rows": len(small),
        "profile_rows_per_s": spread(ours),
        "profile_single_process_rows_per_s": spread(single),
        "profile_vs_describe": ratio(ours, describe),
        "speedup_vs_whylogs_as_released": ratio(ours, original),
        "identical_to_whylogs_except_kll_quantiles": not differences,
        "differences": differences[:10],
        "quantile_rank_error": {
            "whylogs_as_released": round(quantile_rank_error(reference, small), 5),
            "ours": round(quantile_rank_error(view, frame), 5),
        },
        "workers": profiling.default_workers(),
        "where_the_time_goes": where_the_time_goes(small),
    }


def where_the_time_goes(frame: pd.DataFrame, top: int = 6) -> list[dict[str, Any]]:
    """cProfile of one single-process profile: the functions with the most own time, as shares."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(profiling.profile_frame, frame, workers=1)
    stats = pstats.Stats(profiler)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:top]  # type: ignore[attr-defined]
    return [
        {"function": f"{path.split('site-packages/')[-1]}:{line}({name})", "share": round(tt / total, 3)}
        for (path, line, name), (_, _, tt, _, _) in rows
    ]
