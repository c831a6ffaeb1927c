"""Training pipeline cost: against a plain script doing the same work, cached re-runs, and scale."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from benchmarks import synth
from benchmarks.common import ROOT, check, ratio, spread
from benchmarks.workspace import Workspace
from tests.remote.services import with_source_root

#: The training pipeline's steps (pipelines/training.py).
STEPS = 8
MODEL = "bench_model"


def pipeline(space: Workspace, config: Path, fresh: bool, model: str = MODEL) -> Any:
    """One training run through run.py, as a user starts it; fresh = every step executes (--no-cache)."""
    args = ["--pipeline", "training", "--config", str(config), "--model-name", model]
    return check(space.run(*args, *(["--no-cache"] if fresh else [])), "the training pipeline")


def baseline(space: Workspace, config: Path) -> Any:
    """The same work as plain Python (benchmarks/baseline.py), MLflow logging and registry included."""
    db = f"sqlite:///{space.root / 'baseline-mlflow.db'}"
    args = ["-m", "benchmarks.baseline", "--config", str(config), "--tracking-uri", db, "--model-name", MODEL]
    return check(space.python(*args, "--artifacts", str(space.root / "baseline-artifacts")), "the baseline")


def floor(space: Workspace, fresh: bool, tuned: bool = False) -> Any:
    """``benchmarks/zenml_floor.py`` once: plain ZenML running the training pipeline's shape with steps
    that do nothing, on the same stack; fresh = every step executes; tuned = with run.py's process
    settings and ZenML fixes."""
    args = ["-m", "benchmarks.zenml_floor", *(["--no-cache"] if fresh else []), *(["--tuned"] if tuned else [])]
    return check(space.python(*args), "ZenML's floor pipeline")


def overhead(
    space: Workspace, repeats: int, warm_up: bool = True, config: Path = ROOT / "configs" / "training.yaml"
) -> dict[str, Any]:
    """``training_overhead_ratio`` (fresh run / plain script) and ``cached_rerun_ratio`` (cached / fresh).

    Each repeat runs the script, a fresh run and a cached re-run back to back, then ZenML's floor
    (:func:`floor`) fresh and cached, so every ratio pairs measurements taken under the same machine
    load. The first pipeline run (which also creates the model and the champion) is a warm-up and not
    counted.
    """
    if warm_up:
        pipeline(space, config, fresh=True)
        baseline(space, config)
    plain, fresh, cached, floor_fresh, floor_cached, tuned_cached = [], [], [], [], [], []
    for _ in range(repeats):
        plain.append(baseline(space, config).seconds)
        fresh.append(pipeline(space, config, fresh=True).seconds)
        fresh_run = newest_run(space)
        cached.append(pipeline(space, config, fresh=False).seconds)
        floor_fresh.append(floor(space, fresh=True).seconds)
        floor_cached.append(floor(space, fresh=False).seconds)
        tuned_cached.append(floor(space, fresh=False, tuned=True).seconds)
    cached_run = newest_run(space)
    per_step = [(f - p) / STEPS for f, p in zip(fresh, plain, strict=True)]
    return {
        "steps": STEPS,
        "plain_script_s": spread(plain),
        "pipeline_fresh_s": spread(fresh),
        "pipeline_cached_s": spread(cached),
        "training_overhead_ratio": ratio(fresh, plain),
        "cached_rerun_ratio": ratio(cached, fresh),
        "per_step_overhead_s": spread(per_step),
        "cached_per_step_s": spread([c / STEPS for c in cached]),
        "cached_run_steps": {name: status for name, (status, _) in cached_run["steps"].items()},
        # plain ZenML, the same graph, steps doing nothing: what no project on this stack can save
        "zenml_floor_fresh_s": spread(floor_fresh),
        "zenml_floor_cached_s": spread(floor_cached),
        "cached_rerun_vs_zenml_floor": ratio(cached, floor_cached),
        # the same with run.py's process settings and ZenML fixes: the floor this project can reach
        "zenml_floor_tuned_cached_s": spread(tuned_cached),
        "cached_rerun_vs_tuned_floor": ratio(cached, tuned_cached),
        "zenml_floor_cached_steps": {
            name: status for name, (status, _) in newest_run(space, "zenml_floor")["steps"].items()
        },
        "where_the_time_goes": {
            "fresh_run": breakdown(fresh[-1], fresh_run),
            "cached_run": breakdown(cached[-1], cached_run),
        },
    }


def newest_run(space: Workspace, name: str = "training") -> dict[str, Any]:
    """The newest run of pipeline ``name`` as ZenML recorded it: its duration, each step's status and duration."""
    code = (
        "import json; from zenml.client import Client; "
        f"run = Client().list_pipeline_runs(pipeline={name!r}, sort_by='desc:created', size=1).items[0]; "
        "span = lambda r: (r.end_time - r.start_time).total_seconds() if r.end_time and r.start_time else 0.0; "
        "print(json.dumps({'run_s': span(run), 'steps': {n: [s.status.value, span(s)] for n, s in run.steps.items()}}))"
    )
    out = check(space.python("-c", with_source_root(code)), "reading the run's steps").stdout.strip().splitlines()[-1]
    return dict(json.loads(out))


def step_statuses(space: Workspace) -> dict[str, str]:
    """Each step's status in the newest training run (``cached`` or ``completed``)."""
    return {name: status for name, (status, _) in newest_run(space)["steps"].items()}


def breakdown(process_s: float, run: dict[str, Any]) -> dict[str, Any]:
    """Where a run's wall time went: outside ZenML's run (interpreter, imports, client and store,
    compiling the snapshot, the summary), inside it between steps (orchestration), and in the steps."""
    steps_s = sum(seconds for _, seconds in run["steps"].values())
    return {
        "process_s": round(process_s, 2),
        "outside_the_run_s": round(process_s - run["run_s"], 2),
        "orchestration_between_steps_s": round(run["run_s"] - steps_s, 2),
        "in_steps_s": round(steps_s, 2),
        "steps_s": {name: round(seconds, 2) for name, (_, seconds) in run["steps"].items()},
    }


def scale_config(space: Workspace, data: Path) -> Path:
    """configs/training.yaml on ``data``, searching one XGBoost configuration (what raw XGBoost fits)."""
    config = yaml.safe_load((ROOT / "configs" / "training.yaml").read_text())
    config["parameters"]["source"] = {"uri": str(data), "target": synth.TARGET}
    config["parameters"].setdefault("search", {})["candidates"] = [{"family": "xgboost", "grid": SCALE_GRID}]
    path = space.root / f"scale-{data.stem}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


#: One configuration: the pipeline fits it once, as the raw baseline does.
SCALE_GRID: dict[str, list[Any]] = {"max_depth": [6], "n_estimators": [100], "learning_rate": [0.3]}


def raw_xgboost(space: Workspace, data: Path) -> Any:
    """``benchmarks/raw_xgboost.py`` on ``data`` with the scale grid's one configuration, measured."""
    params = json.dumps({k: v[0] for k, v in SCALE_GRID.items()})
    args = ["-m", "benchmarks.raw_xgboost", "--data", str(data), "--target", synth.TARGET, "--params", params]
    return check(space.python(*args), "raw XGBoost")


def scale(space: Workspace, sizes: list[int], repeats: int) -> dict[str, Any]:
    """Wall time and peak memory of the training pipeline on synthetic data, each / raw XGBoost's."""
    out: dict[str, Any] = {}
    for rows in sizes:
        data = synth.write(rows, space.root / f"synthetic-{rows}.parquet")
        config = scale_config(space, data)
        wall, peak, raw_wall, raw_peak, fits = [], [], [], [], []
        for _ in range(repeats):
            raw = raw_xgboost(space, data)
            run = pipeline(space, config, fresh=True, model=f"bench_scale_{rows}")
            raw_wall.append(raw.seconds)
            raw_peak.append(raw.peak_mib)
            fits.append(json.loads(raw.stdout.strip().splitlines()[-1])["fit_seconds"])
            wall.append(run.seconds)
            peak.append(run.peak_mib)
        out[str(rows)] = {
            "rows": rows,
            "file_mib": round(data.stat().st_size / 2**20, 1),
            "pipeline_s": spread(wall),
            "pipeline_peak_mib": spread(peak),
            "raw_xgboost_s": spread(raw_wall),
            "raw_xgboost_fit_s": spread(fits),
            "raw_xgboost_peak_mib": spread(raw_peak),
            "wall_ratio": ratio(wall, raw_wall),
            "memory_ratio": ratio(peak, raw_peak),
        }
        data.unlink()
    return out
