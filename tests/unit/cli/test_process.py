"""portable_mlops/cli/process.py: the collector's thresholds, paused until the heap is settled, the heap
frozen once then and again at exit, after every other exit hook (observed from a hook registered before
it, in a process of its own)."""

from __future__ import annotations

import subprocess
import sys

from portable_mlops.cli.process import THRESHOLDS
from tests.conftest import ROOT

SCRIPT = """
import atexit, gc, json
atexit.register(lambda: print(json.dumps({"frozen_at_exit": gc.get_freeze_count()})))  # runs after later hooks
from portable_mlops.cli.process import settle_heap, tune_collector
print(json.dumps({"before": gc.get_threshold(), "frozen_at_start": gc.get_freeze_count()}))
tune_collector()
junk = [[i] for i in range(1000)]
print(json.dumps({"after": gc.get_threshold(), "enabled_while_importing": gc.isenabled(),
                  "frozen_while_importing": gc.get_freeze_count()}))
settle_heap()
print(json.dumps({"enabled_when_settled": gc.isenabled(), "frozen_when_settled": gc.get_freeze_count()}))
run_objects = [[i] for i in range(5000)]
settle_heap()  # a second pipeline in the same process: the first run's objects are not frozen
print(json.dumps({"frozen_after_second_settle": gc.get_freeze_count()}))
"""

UNTUNED = """
import gc, json
from portable_mlops.cli.process import settle_heap
settle_heap()
print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count(), "threshold": gc.get_threshold()}))
"""


def _run(script: str) -> dict[str, object]:
    import json

    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    return {k: v for line in out for k, v in json.loads(line).items()}


def test_thresholds_raised_collector_paused_until_settled_and_heap_frozen_at_exit() -> None:
    seen = _run(SCRIPT)
    assert seen["before"] == [700, 10, 10]  # CPython's defaults, in a process of its own
    assert seen["after"] == list(THRESHOLDS)
    assert THRESHOLDS[0] > 700 * 10
    assert seen["enabled_while_importing"] is False
    # nothing frozen before the heap is settled (Python 3.12 starts with some objects frozen of its own)
    assert seen["frozen_while_importing"] == seen["frozen_at_start"]
    assert seen["enabled_when_settled"] is True
    assert isinstance(seen["frozen_when_settled"], int) and isinstance(seen["frozen_at_start"], int)
    assert seen["frozen_when_settled"] > seen["frozen_at_start"] + 1000  # the 1,000 lists included
    assert seen["frozen_after_second_settle"] == seen["frozen_when_settled"]
    assert isinstance(seen["frozen_at_exit"], int)
    assert seen["frozen_at_exit"] > seen["frozen_when_settled"] + 4000  # the run's 5,000 lists at exit


def test_settling_without_tuning_changes_nothing() -> None:
    seen = _run(UNTUNED)
    assert seen["enabled"] is True
    assert seen["threshold"] == [700, 10, 10]
    assert seen["frozen"] == _run("import gc, json; print(json.dumps({'frozen': gc.get_freeze_count()}))")["frozen"]
