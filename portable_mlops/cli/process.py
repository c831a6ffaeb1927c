"""The command line's process: a short batch job that imports about 6,000 modules and exits.

CPython's default garbage-collector thresholds (700, 10, 10) suit a long-running program whose heap
stays small. ``run.py`` builds a large heap of long-lived objects (ZenML, MLflow, scikit-learn,
pydantic's schemas) within seconds: with the defaults the collector ran 1,556 times in a cached training
run (1.8-2.2 s, 8 passes over the whole heap), then walked that heap again while the interpreter shut
down (2.0-2.7 s after the last exit hook).

:func:`tune_collector` raises the thresholds (reference counting still frees everything that is not
in a cycle at once; cycles are still collected, just in larger batches) and freezes the heap at exit,
so the shutdown's final collection has nothing to walk; the operating system takes the memory back.
``docs/benchmarking.md`` has the figures (``python -m benchmarks.anatomy [--default-gc] -- <run.py args>``).
"""

from __future__ import annotations

import atexit
import gc

#: Allocations before a young collection, and young (then middle) collections before an older one.
THRESHOLDS = (50_000, 20, 100)


def tune_collector() -> None:
    """Raise the collector's thresholds for this process and skip the full collection at exit.

    Call it first thing in an entry point: the exit hook is registered before those of ZenML, MLflow and
    the rest (imported later), so it runs after theirs (``atexit`` runs hooks in reverse order). Hooks
    still run after the freeze; only the shutdown's collection of unreachable cycles is skipped.
    """
    gc.set_threshold(*THRESHOLDS)
    atexit.register(gc.freeze)
