"""Where one ``python run.py ...`` spends its time: its phases, the garbage collector, and the shutdown.

    python -m benchmarks.anatomy -- --pipeline training            # in the active ZenML environment
    python -m benchmarks.anatomy --default-gc -- --pipeline training   # the same with CPython's defaults

``run.py`` runs in a child process whose phases are timed (stack import and activation, the run's facts,
importing the pipeline, the ZenML pipeline call, the summary), with the collector's passes counted
through :data:`gc.callbacks`. The parent times the child's whole life, so the time the child cannot see
itself (``start_and_shutdown_s``: the interpreter's start, and its shutdown after the last exit hook) is
measured too. Prints one JSON object.
Nothing here changes what ``run.py`` does, except ``--default-gc`` (which undoes
``portable_mlops.cli.process.tune_collector``, to measure what it saves).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from benchmarks.common import ROOT

#: The child: run.py as ``__main__`` with its phases and the collector observed.
CHILD = r"""
import atexit, functools, gc, importlib, json, os, runpy, sys, time
START = time.perf_counter()
report = {"phases_s": {}, "gc": {"passes": 0, "seconds": 0.0, "full_passes": 0, "full_seconds": 0.0}}
began = {}

def observe(phase, info):
    if phase == "start":
        began["t"] = time.perf_counter()
        return
    spent = time.perf_counter() - began["t"]
    report["gc"]["passes"] += 1
    report["gc"]["seconds"] += spent
    if info["generation"] == 2:
        report["gc"]["full_passes"] += 1
        report["gc"]["full_seconds"] += spent

gc.callbacks.append(observe)

def last_hook():  # registered first, so it runs after every other exit hook
    report["in_process_s"] = time.perf_counter() - START
    report["gc"] = {k: round(v, 3) for k, v in report["gc"].items()}
    report["phases_s"] = {k: round(v, 3) for k, v in report["phases_s"].items()}
    with open(os.environ["ANATOMY_OUT"], "w") as out:
        json.dump(report, out)

atexit.register(last_hook)
if os.environ.get("ANATOMY_DEFAULT_GC"):
    import portable_mlops.cli.process as process
    process.tune_collector = lambda: None

def timed(module, attribute, phase):
    owner = importlib.import_module(module)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):
        began_at = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            report["phases_s"][phase] = report["phases_s"].get(phase, 0.0) + time.perf_counter() - began_at

    setattr(owner, name, wrapper)

for module, attribute, phase in [
    ("portable_mlops.cli.stack_setup", "ensure_stack", "stack import and activation (ZenML client and store)"),
    ("portable_mlops.cli.facts", "with_facts", "the run's facts (data and champion fingerprints)"),
    ("portable_mlops.cli.runner", "_pipeline", "importing the pipeline and its steps"),
    ("portable_mlops.cli.runner", "run_pipeline", "run_pipeline (the facts, the pipeline call and more)"),
    ("portable_mlops.cli.runner", "summarise", "the summary"),
]:
    timed(module, attribute, phase)
report["phases_s"]["this observer's setup (imports portable_mlops.cli)"] = time.perf_counter() - START
sys.argv = ["run.py", *sys.argv[1:]]
runpy.run_path("run.py", run_name="__main__")
"""


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--default-gc", is_flag=True, help="Keep CPython's collector settings (undo run.py's tuning).")
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def main(default_gc: bool, args: tuple[str, ...]) -> None:
    """Run ``python run.py ARGS`` once, observed, and print where its wall time went (JSON)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "anatomy.json"
        env = {**os.environ, "ANATOMY_OUT": str(out), "PYTHONPATH": str(ROOT)}
        if default_gc:
            env["ANATOMY_DEFAULT_GC"] = "1"
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", CHILD, *args], cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0 or not out.exists():
            raise click.ClickException(f"run.py exited {done.returncode}: {done.stderr.strip()[-2000:]}")
        report = json.loads(out.read_text())
    report["wall_s"] = round(wall, 3)
    report["start_and_shutdown_s"] = round(wall - report["in_process_s"], 3)  # mostly after the last exit hook
    report["args"] = list(args)
    report["default_gc"] = default_gc
    click.echo(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
