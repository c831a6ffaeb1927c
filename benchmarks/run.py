"""``make bench``: run every benchmark section and write benchmarks/results.json and docs/benchmarks.md.

python -m benchmarks.run                       # everything, at the sizes the goals name (about 40 min)
python -m benchmarks.run --only serving        # one section (several: --only a --only b)
python -m benchmarks.run --quick               # tiny sizes, one repeat: checks the code, measures nothing
"""

from __future__ import annotations

import json
import platform
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click

import portable_mlops.compat  # noqa: F401
from benchmarks import profiling
from benchmarks.common import ROOT
from benchmarks.report import render

SECTIONS = ("profiling", "drift", "images", "training", "scale", "serving", "serving_mlserver", "compile")
PACKAGES = ("zenml", "mlflow", "whylogs", "scikit-learn", "xgboost", "pandas", "numpy", "kfp")


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import os

    total = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    lines = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_mib": total,
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": {name: _version(name) for name in PACKAGES},
    }


def _version(name: str) -> str:
    try:
        return version(name)
    except Exception:  # noqa: BLE001 - xgboost may be installed as xgboost-cpu
        return version(name + "-cpu")


def sizes(quick: bool) -> dict[str, Any]:
    """The sizes and repeats of a full run, or of a quick (smoke) run."""
    if quick:
        return {
            "repeats": 1,
            "profile_rows": 20_000,
            "scale_rows": [20_000],
            "requests": 40,
            "batches": 3,
            "drift_batches": 8,
        }
    return {
        "repeats": 3,
        "profile_rows": 1_000_000,
        "scale_rows": [1_000_000, 5_000_000],
        "requests": 2000,
        "batches": 100,
        "drift_batches": 200,
    }


def run_sections(only: tuple[str, ...], quick: bool, repeats: int | None) -> dict[str, Any]:
    """Run the chosen sections; return their results keyed by section."""
    from benchmarks import compile as compile_section
    from benchmarks import serving, training
    from benchmarks.workspace import workspace

    chosen = only or SECTIONS
    plan = sizes(quick)
    n = repeats or plan["repeats"]
    results: dict[str, Any] = {}
    timings: dict[str, float] = {}

    def section(name: str, function: Any) -> None:
        start = time.perf_counter()
        click.echo(f"[bench] {name} ...", err=True)
        results[name] = function()
        timings[name] = round(time.perf_counter() - start, 1)
        click.echo(f"[bench] {name} done in {timings[name]} s", err=True)

    if "profiling" in chosen:
        section("profiling", lambda: profiling.run(plan["profile_rows"], n))
    if "images" in chosen:
        from benchmarks import images

        section("images", lambda: images.run(cold=not quick))
    if "drift" in chosen:
        from benchmarks import drift

        section("drift", lambda: drift.run(plan["drift_batches"], plan["drift_batches"] // 4))
    if {"training", "scale", "serving", "serving_mlserver"} & set(chosen):
        with workspace() as space:
            if "training" in chosen:
                section("training", lambda: training.overhead(space, n, warm_up=not quick))
            if "serving" in chosen:
                section("serving", lambda: serving.run(space, n, plan["requests"], plan["batches"]))
            if "serving_mlserver" in chosen:
                section("serving_mlserver", lambda: serving.run_mlserver(space, n, plan["requests"], plan["batches"]))
            if "scale" in chosen:
                section("scale", lambda: training.scale(space, plan["scale_rows"], 1 if quick else min(n, 2)))
    if "compile" in chosen:
        section("compile", lambda: compile_section.run(n))
    results["seconds_per_section"] = timings
    return results


def command(only: tuple[str, ...], quick: bool, repeats: int | None) -> str:
    """The command line that produced a results file."""
    flags = [
        *(f"--only {o}" for o in only),
        *(["--quick"] if quick else []),
        *([f"--repeats {repeats}"] if repeats else []),
    ]
    return "python -m benchmarks.run " + " ".join(flags) if flags else "make bench"


@click.command()
@click.option("--only", multiple=True, type=click.Choice(SECTIONS), help="Run only these sections.")
@click.option("--quick", is_flag=True, help="Tiny sizes and one repeat: a smoke run of the code.")
@click.option("--repeats", type=click.IntRange(1, 20), default=None, help="Repeats per measurement (default 3).")
@click.option("--out", type=click.Path(path_type=Path), default=ROOT / "benchmarks" / "results.json")
@click.option("--doc", type=click.Path(path_type=Path), default=ROOT / "docs" / "benchmarks.md")
def main(only: tuple[str, ...], quick: bool, repeats: int | None, out: Path, doc: Path) -> None:
    """Measure, then write the JSON results and the readable report."""
    started = datetime.now(UTC)
    results = run_sections(only, quick, repeats)
    document: dict[str, Any] = {
        "command": command(only, quick, repeats),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "sizes": sizes(quick),
        "results": results,
    }
    # which machine measured each section, and when: a partial run keeps the others' figures
    here = {"cpu": document["machine"]["cpu"], "finished": document["finished"]}
    document["sections"] = {name: here for name in results["seconds_per_section"]}
    if only and out.exists():  # a partial run keeps the other sections' last figures, and says so
        previous = json.loads(out.read_text())
        before = {"cpu": previous["machine"]["cpu"], "finished": previous["finished"]}
        earlier = previous.get("sections") or {
            name: before for name in previous["results"].get("seconds_per_section", {})
        }
        document["sections"] = {**earlier, **document["sections"]}
        timings = {**previous["results"].get("seconds_per_section", {}), **results["seconds_per_section"]}
        document["results"] = {**previous.get("results", {}), **results, "seconds_per_section": timings}
        # each command with its own start (a file written before "runs" existed: its command as one run)
        history = previous.get("runs") or [{"command": previous["command"], "started": previous["started"]}]
        document["runs"] = [*history, {"command": document["command"], "started": document["started"]}]
        document["command"] = ", then ".join(f"{r['command']} ({r['started']})" for r in document["runs"])
        document["started"] = previous["started"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(render(document))
    click.echo(f"wrote {out} and {doc}")


if __name__ == "__main__":
    main()
