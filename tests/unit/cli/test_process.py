"""portable_mlops/cli/process.py: the collector's thresholds, and the heap frozen at exit, after every
other exit hook (observed from a hook registered before it, in a process of its own)."""

from __future__ import annotations

import subprocess
import sys

from portable_mlops.cli.process import THRESHOLDS
from tests.conftest import ROOT

SCRIPT = """
import atexit, gc, json
atexit.register(lambda: print(json.dumps({"frozen_at_exit": gc.get_freeze_count()})))  # runs after later hooks
from portable_mlops.cli.process import tune_collector
print(json.dumps({"before": gc.get_threshold(), "frozen_at_start": gc.get_freeze_count()}))
tune_collector()
junk = [[i] for i in range(1000)]
print(json.dumps({"after": gc.get_threshold(), "frozen_while_running": gc.get_freeze_count()}))
"""


def test_thresholds_raised_and_heap_frozen_only_at_exit() -> None:
    import json

    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    seen = {k: v for line in out for k, v in json.loads(line).items()}
    assert seen["before"] == [700, 10, 10]  # CPython's defaults, in a process of its own
    assert seen["after"] == list(THRESHOLDS)
    assert THRESHOLDS[0] > 700 * 10
    # nothing frozen before the exit (Python 3.12 starts with some objects frozen of its own)
    assert seen["frozen_while_running"] == seen["frozen_at_start"]
    assert seen["frozen_at_exit"] > seen["frozen_at_start"] + 1000  # the whole heap, the 1,000 lists included
