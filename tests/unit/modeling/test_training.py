"""Performance regressions against the champion: the comparison logic on given numbers (no timing
assertions), the measure of peak memory, and the run summary's lines."""

from __future__ import annotations

import numpy as np

from portable_mlops.modeling.training import PeakRss


def test_peak_rss_sees_memory_held_in_the_block() -> None:
    with PeakRss(interval=0.01) as outside:
        pass
    with PeakRss(interval=0.01) as memory:
        block = np.ones(16 * 2**20)  # 16 Mi float64: 128 MiB, still referenced when the block ends
    assert memory.peak_mb >= outside.peak_mb + 100
    del block
