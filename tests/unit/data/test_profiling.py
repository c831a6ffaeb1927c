"""The fast whylogs profiling path builds the profile whylogs builds, faster (speed: benchmarks/)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import whylogs as why
from whylogs.core.preprocessing import PreprocessedColumn

from benchmarks.profiling import numeric_frame, quantile_rank_error
from portable_mlops.data import profiling
from tests.conftest import mixed_frame


def _released(frame: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The profile whylogs 1.6.4 builds with its own preprocessing."""
    profiling.uninstall()
    try:
        return why.log(pandas=frame).profile().view()
    finally:
        profiling.install()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float_split_equals_whylogs_own(dtype: type) -> None:
    series = pd.Series([1.5, np.nan, np.inf, -np.inf, 0.0, np.nan, -2.25], dtype=dtype)
    ours, theirs = PreprocessedColumn(), PreprocessedColumn()
    assert profiling.split_float_series(ours, series)
    profiling._ORIGINAL_SPLIT(theirs, series)
    assert (ours.null_count, ours.nan_count, ours.inf_count) == (theirs.null_count, theirs.nan_count, theirs.inf_count)
    assert (ours.null_count, ours.inf_count) == (2, 2)
    assert ours.numpy.floats.dtype == theirs.numpy.floats.dtype == np.float64
    np.testing.assert_array_equal(ours.numpy.floats, theirs.numpy.floats)


@pytest.mark.parametrize("values", [[1, 2, 3], ["a", None, "b"], [True, False, True]])
def test_other_columns_are_left_to_whylogs(values: list[object]) -> None:
    assert not profiling.split_float_series(PreprocessedColumn(), pd.Series(values))


def test_profile_equals_whylogs_own_in_one_process_and_in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.concat([numeric_frame(5_000, 6), mixed_frame(5_000)], axis=1)
    released = _released(frame)
    assert profiling.same_profile(released, profiling.profile_frame(frame, workers=1)) == []
    monkeypatch.setattr(profiling, "PARALLEL_MIN_VALUES", 1)
    parallel = profiling.profile_frame(frame, workers=3)
    assert list(parallel.get_columns()) == list(frame.columns)
    assert profiling.same_profile(released, parallel) == []
    assert parallel.dataset_timestamp is not None and parallel.dataset_timestamp.tzinfo is not None
    assert quantile_rank_error(parallel, numeric_frame(5_000, 6)) < 0.01


def test_a_different_profile_is_told_apart() -> None:
    frame = numeric_frame(2_000, 3)
    changed = frame.copy()
    changed.loc[7, "x01"] = np.nan
    differences = profiling.same_profile(profiling.profile_frame(frame), profiling.profile_frame(changed))
    assert any(d.startswith("x01 counts/null") for d in differences), differences


def test_column_groups_cover_every_column_once() -> None:
    frame = mixed_frame(10)
    groups = profiling.column_groups(frame, 2)
    assert sorted(c for g in groups for c in g) == sorted(frame.columns)
    assert len(groups) == 2


#: A step's process as ZenML leaves it: a SIGTERM handler that does not end the process (ZenML's marks
#: the step stopped), and a thread that every forked child restarts (OpenTelemetry's log processor).
UNDER_A_STEP = """
import os, signal, threading, time
from pathlib import Path
import numpy as np, pandas as pd
parent = os.getpid()
def handler(signum, frame):
    if os.getpid() != parent:
        Path(os.environ["MARK"]).write_text("a worker ran the step's SIGTERM handler")
signal.signal(signal.SIGTERM, handler)
os.register_at_fork(after_in_child=lambda: threading.Thread(target=time.sleep, args=(600,), daemon=True).start())
from portable_mlops.data import profiling
frame = pd.DataFrame(np.random.default_rng(0).normal(size=(1_000, 4)), columns=list("abcd"))
profiling.PARALLEL_MIN_VALUES = 1
for _ in range(3):
    assert list(profiling.profile_frame(frame, workers=2).get_columns()) == list("abcd")
print("done")
"""


def test_workers_end_under_a_steps_signal_handler_without_running_it(tmp_path: Path) -> None:
    """The pool's workers end (no signal needed) in a process whose SIGTERM handler keeps it alive,
    and never run that handler. Before, the pool's exit sent SIGTERM: the workers ran the step's
    handler, and a worker whose signal landed on its other thread never ended (a run hung)."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    mark = tmp_path / "mark"
    done = subprocess.run(
        [sys.executable, "-c", UNDER_A_STEP],
        cwd=ROOT,
        env={**os.environ, "MARK": str(mark)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "done"
    assert not mark.exists(), mark.read_text()


def test_a_worker_ends_on_sigterm_and_leaves_ctrl_c_to_its_parent() -> None:
    import signal

    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGTERM, lambda *_: None)
        profiling._start_worker()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
