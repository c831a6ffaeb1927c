"""Timing, memory and summary helpers shared by the benchmark sections."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = os.environ.get("PMLOPS_BENCH_PYTHON") or str(ROOT / ".venv" / "bin" / "python")


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Median, min, max and every run of a measurement (rounded for the report)."""
    ordered = sorted(values)
    return {
        "median": round(statistics.median(ordered), 4),
        "min": round(ordered[0], 4),
        "max": round(ordered[-1], 4),
        "runs": [round(v, 4) for v in values],
    }


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> dict[str, Any]:
    """Per-repeat ratios of paired measurements (same repeat, same machine state), with their spread."""
    return spread([n / d for n, d in zip(numerator, denominator, strict=True)])


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds ``function`` took, and what it returned."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


@dataclass
class Process:
    """A finished child process: wall seconds, peak resident memory (MiB), exit code and output."""

    seconds: float
    peak_mib: float
    returncode: int
    stdout: str
    stderr: str


def run_process(
    args: Sequence[str], env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 3600
) -> Process:
    """Run a command to completion; wall time from here, peak RSS from the kernel (``wait4``'s rusage).

    ``ru_maxrss`` of a reaped child is its own peak (grandchildren not included: the local orchestrator
    runs every step in this one process).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        child = subprocess.Popen(list(args), cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Process(seconds, usage.ru_maxrss / 1024, child.returncode, out.read(), err.read())


def check(process: Process, what: str) -> Process:
    """Raise with the tail of the output when a benchmarked command failed."""
    if process.returncode != 0:
        tail = (process.stdout[-1500:] + "\n" + process.stderr[-3000:]).strip()
        raise RuntimeError(f"{what} failed with exit {process.returncode}:\n{tail}")
    return process


def peak_rss_mib() -> float:
    """This process's own peak resident memory so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
