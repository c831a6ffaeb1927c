"""The command line's process: a short batch job that imports about 6,000 modules and exits.

CPython's default garbage-collector thresholds (700, 10, 10) suit a long-running program whose heap
stays small. ``run.py`` builds a large heap of long-lived objects (ZenML, MLflow, scikit-learn,
pydantic's schemas) within seconds: with the defaults the collector ran 1,556 times in a cached training
run (1.8-2.2 s, 8 passes over the whole heap), then walked that heap again while the interpreter shut
down (2.0-2.7 s after the last exit hook).

:func:`tune_collector` raises the thresholds (reference counting still frees everything that is not
in a cycle at once; cycles are still collected, just in larger batches), pauses the collector while the
process imports and connects, and freezes the heap at exit, so the shutdown's final collection has
nothing to walk; the operating system takes the memory back. :func:`settle_heap`, called once the
imports are done and before a pipeline runs, freezes what is alive then (modules, classes, the client,
the stack: nothing the run frees) and resumes the collector, which from then on walks only the run's own
objects: its passes took 0.69-0.87 s of a fresh training run on the default data without the pause and
the freeze and 0.13-0.16 s with them (a cached re-run: 0.35 s, 0.07 s), for 3 MB more peak memory.
``docs/benchmarking.md`` has the figures (``python -m benchmarks.anatomy [--default-gc] -- <run.py args>``).
"""

from __future__ import annotations

import atexit
import gc

#: Allocations before a young collection, and young (then middle) collections before an older one.
THRESHOLDS = (50_000, 20, 100)


def tune_collector() -> None:
    """Raise the collector's thresholds for this process, pause it until :func:`settle_heap`, and skip
    the full collection at exit.

    Call it first thing in an entry point: the exit hook is registered before those of ZenML, MLflow and
    the rest (imported later), so it runs after theirs (``atexit`` runs hooks in reverse order). Hooks
    still run after the freeze; only the shutdown's collection of unreachable cycles is skipped.
    """
    gc.set_threshold(*THRESHOLDS)
    gc.disable()
    atexit.register(gc.freeze)


def settle_heap() -> None:
    """Once the imports are done and before the run's work: freeze every object alive now (out of the
    collector's reach for good) and resume the collector paused by :func:`tune_collector`.

    Only the first call after :func:`tune_collector` freezes: a later pipeline of the same process
    (``--pipeline all``) must not make the earlier run's garbage permanent. Without
    :func:`tune_collector` (the collector running) it does nothing.
    """
    if gc.isenabled():
        return
    gc.freeze()
    gc.enable()
