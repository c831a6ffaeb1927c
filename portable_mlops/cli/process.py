"""The command line's process: a short batch job that imports about 6,000 modules and exits.

CPython's default garbage-collector thresholds (700, 10, 10) suit a long-running program whose heap
stays small. ``run.py`` builds a large heap of long-lived objects (ZenML, MLflow, scikit-learn,
pydantic's schemas) within seconds: with the defaults the collector runs about 1,700 times in a
cached training run and walks that heap in full about a hundred times (measured: 2.1 s of 12), then
walks it again while the interpreter shuts down (2.2-2.7 s after the last line is printed).

:func:`tune_collector` raises the thresholds (reference counting still frees everything that is not
in a cycle at once; cycles are still collected, just in larger batches) and freezes the heap at exit,
so the shutdown's final collection has nothing to walk; the operating system takes the memory back.
``docs/benchmarks.md`` has the figures (``python -m benchmarks.run --only training``).
"""

from __future__ import annotations

import atexit
import gc

#: Allocations before a young collection, and young (then middle) collections before an older one.
THRESHOLDS = (50_000, 20, 100)


def tune_collector() -> None:
    """Raise the collector's thresholds for this process and skip the full collection at exit.

    Call it first thing in an entry point: the exit hook is registered before any library's, so it runs
    after theirs (``atexit`` runs hooks in reverse order), when only the interpreter's teardown is left.
    """
    gc.set_threshold(*THRESHOLDS)
    atexit.register(gc.freeze)
