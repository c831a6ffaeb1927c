"""The benchmark code at tiny sizes, so it cannot rot (``make bench`` measures; this asserts no time).

What is asserted is what the benchmarks rely on: every section returns its figures, the endpoint
answered every request, the fast profile equals whylogs' own, a re-run on unchanged data reuses the
expensive steps, and the report names every goal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from benchmarks import drift, profiling, serving, synth, training
from benchmarks.common import check
from benchmarks.report import GOALS, render
from benchmarks.workspace import workspace

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    """Profiling, training and serving (both endpoints) at tiny sizes; of scale, the parts that are not a training run
    (the training pipeline runs above); compile runs in tests/remote/test_kubeflow.py."""
    out: dict[str, object] = {"profiling": profiling.run(20_000, 1, columns=5, original_rows=5_000)}
    out["drift"] = drift.run(clean_batches=4, shifted_batches=2, shifts=(1.0,))
    with workspace() as space:
        out["training"] = training.overhead(space, 1, warm_up=False)
        run_args = ["--pipeline", "training", "--model-name", training.MODEL]
        anatomy = check(space.python("-m", "benchmarks.anatomy", "--", *run_args), "benchmarks.anatomy")
        out["anatomy"] = json.loads(anatomy.stdout)
        predict = space.python("-m", "benchmarks.predict_anatomy", "--model", training.MODEL, "--rows", "5")
        out["predict_anatomy"] = json.loads(
            check(predict, "benchmarks.predict_anatomy").stdout.strip().splitlines()[-1]
        )
        out["serving"] = serving.run(space, 1, requests=30, batches=2, clients=2)
        out["serving_mlserver"] = serving.run_mlserver(space, 1, requests=30, batches=2, clients=2)
        data = synth.write(3_000, space.root / "synthetic.parquet")
        raw = training.raw_xgboost(space, data)
        out["scale"] = {"raw": json.loads(raw.stdout.strip().splitlines()[-1]), "peak_mib": raw.peak_mib}
        out["scale_config"] = yaml.safe_load(training.scale_config(space, data).read_text())
    return out


def test_profiling_equals_whylogs_and_is_faster_than_released(results: dict) -> None:
    data = results["profiling"]
    assert data["identical_to_whylogs_except_kll_quantiles"] is True, data["differences"]
    assert data["profile_rows_per_s"]["median"] > 0
    assert data["quantile_rank_error"]["ours"] < 0.02
    assert data["where_the_time_goes"] and all(0 <= row["share"] <= 1 for row in data["where_the_time_goes"])


def test_cached_rerun_reuses_the_expensive_steps(results: dict) -> None:
    data = results["training"]
    steps = data["cached_run_steps"]
    # the fresh run made the first champion, so the steps that depend on it run again; the others are reused
    reused = ("load_data", "profile_data", "split_data", "train_candidates", "evaluate_model", "register_model")
    assert {steps[s] for s in reused} == {"cached"}, steps
    assert {steps[s] for s in ("validate_data", "promote_model")} == {"completed"}, steps
    for run in ("fresh_run", "cached_run"):
        parts = data["where_the_time_goes"][run]
        assert set(parts["steps_s"]) == set(steps) and parts["in_steps_s"] > 0 and parts["outside_the_run_s"] > 0
    # ZenML's floor (benchmarks/zenml_floor.py) was measured cached, so the comparison with it holds
    assert set(data["zenml_floor_cached_steps"].values()) == {"cached"} and len(data["zenml_floor_cached_steps"]) == 8
    for key in (
        "training_overhead_ratio",
        "cached_rerun_ratio",
        "per_step_overhead_s",
        "cached_rerun_vs_zenml_floor",
        "cached_rerun_vs_tuned_floor",
    ):
        assert data[key]["median"] == data[key]["runs"][0]


def test_anatomy_accounts_for_a_run_its_collector_and_its_shutdown(results: dict) -> None:
    data = results["anatomy"]
    assert set(data["phases_s"]) >= {  # no --stack: the workspace's stack is active already
        "importing the pipeline and its steps",
        "run_pipeline (the facts, the pipeline call and more)",
        "the summary",
    }, data
    assert all(seconds > 0 for seconds in data["phases_s"].values()), data
    assert 0 < data["in_process_s"] < data["wall_s"] and data["start_and_shutdown_s"] > 0
    assert data["gc"]["passes"] > 0 and data["default_gc"] is False


def test_predict_anatomy_times_each_layer_of_a_single_row_prediction(results: dict) -> None:
    data = results["predict_anatomy"]
    layers = ("pyfunc_predict_ms", "mlflow_schema_enforcement_ms", "model_predict_ms", "preprocessing_ms")
    assert all(data[k] > 0 for k in (*layers, "estimator_ms")), data
    assert data["columns"] == 30 and data["rows_timed"] == 5


@pytest.mark.parametrize(
    ("section", "runtime"), [("serving", "MLflow scoring server"), ("serving_mlserver", "MLServer")]
)
def test_each_endpoint_answers_every_request(results: dict, section: str, runtime: str) -> None:
    data = results[section]
    assert data["endpoint"].startswith(runtime) and data["failures"] == 0, data
    measures = ("serial_requests_per_s", "concurrent_requests_per_s", "batch_rows_per_s", "in_process_batch_rows_per_s")
    for key in measures:
        assert data[key]["median"] > 0
    # MLflow's server is also asked JSON batches (what curl users send); V2 has one body format
    assert ("batch_json_rows_per_s" in data) is (section == "serving"), data


def test_scale_runs_raw_xgboost_and_writes_a_valid_one_configuration_config(results: dict) -> None:
    from portable_mlops.params import DataSource, SearchParams

    assert results["scale"]["raw"]["rows"] == 3_000 and results["scale"]["raw"]["fit_seconds"] > 0
    assert results["scale"]["peak_mib"] > 50
    parameters = results["scale_config"]["parameters"]
    search = SearchParams(**parameters["search"])
    assert [c.family for c in search.candidates] == ["xgboost"]
    assert all(len(values) == 1 for values in search.candidates[0].grid.values())
    assert DataSource(**parameters["source"]).target == synth.TARGET


def test_report_names_every_goal(results: dict, tmp_path: Path) -> None:
    document = {
        "command": "test",
        "started": "s",
        "finished": "f",
        "machine": {"cpu": "c", "cores": 2, "memory_mib": 1, "python": "3.11", "os": "linux", "versions": {}},
        "sizes": {},
        "results": results,
    }
    text = render(
        json.loads(
            json.dumps(
                {
                    **document,
                    "results": {k: results[k] for k in ("profiling", "training", "serving", "serving_mlserver")},
                }
            )
        )
    )
    for goal in GOALS:
        assert goal[-1] in text
    assert "## serving" in text and "## serving_mlserver" in text and "## training" in text


def test_drift_counts_alarms_and_catches(results: dict) -> None:  # type: ignore[type-arg]
    figures = results["drift"]
    assert figures["clean_synthetic"]["batches"] == 4 and figures["clean_default"]["batches"] == 2
    assert figures["shifted_default"]["1"] == {"batches": 2, "caught": 2}
    assert figures["clean_synthetic"]["alarms"] <= figures["clean_synthetic"]["ceiling_99_9"]


def test_a_partial_run_keeps_the_other_sections_and_names_where_each_was_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--only`` merges into the last results; the report then names each section's machine and day."""
    from click.testing import CliRunner

    from benchmarks import run

    out, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    old_machine = {"cpu": "Old CPU", "cores": 2, "memory_mib": 1, "python": "3.11", "os": "linux", "versions": {}}
    previous = {
        "command": "make bench",
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T01:00:00+00:00",
        "machine": old_machine,
        "sizes": {},
        "results": {"seconds_per_section": {"profiling": 1.0, "training": 2.0}},
    }
    out.write_text(json.dumps(previous))
    # the measuring itself is not under test here: this section "measures" instantly
    monkeypatch.setattr(run, "run_sections", lambda only, quick, repeats: {"seconds_per_section": {"training": 3.0}})
    result = CliRunner().invoke(run.main, ["--only", "training", "--out", str(out), "--doc", str(doc)])
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text())
    (first, second) = written["runs"]
    assert first == {"command": "make bench", "started": "2026-01-01T00:00:00+00:00"}
    assert second["command"] == "python -m benchmarks.run --only training" and second["started"] > first["started"]
    expected = f"make bench (2026-01-01T00:00:00+00:00), then {second['command']} ({second['started']})"
    assert written["command"] == expected
    # a third run adds itself with its own start; the earlier ones keep theirs
    again = CliRunner().invoke(run.main, ["--only", "training", "--out", str(out), "--doc", str(doc)])
    assert again.exit_code == 0, again.output
    runs = json.loads(out.read_text())["runs"]
    assert runs[:2] == [first, second] and len(runs) == 3 and runs[2]["started"] >= second["started"]
    assert written["results"]["seconds_per_section"] == {"profiling": 1.0, "training": 3.0}
    assert written["sections"]["profiling"] == {"cpu": "Old CPU", "finished": "2026-01-01T01:00:00+00:00"}
    assert written["sections"]["training"]["cpu"] == run.machine()["cpu"] != "Old CPU"
    assert "profiling on Old CPU, 2026-01-01; training on " in doc.read_text()


def run_module(module: str, *args: str) -> dict[str, Any]:
    """``python -m module args`` from the project's root in a process of its own; its last line, as JSON."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def test_frame_store_times_each_part_of_storing_a_frame() -> None:
    """``benchmarks/frame_store.py`` at a tiny size, in a process of its own: every part is timed."""
    figures = run_module("benchmarks.frame_store", "--rows", "3000", "--repeats", "1")
    parts = [
        "metadata_as_one_block_s",
        "metadata_column_by_column_s",
        "write_dictionary_tried_on_every_column_s",
        "write_dictionary_columns_s",
        "materializer_store_s",
    ]
    assert figures["rows"] == 3000 and figures["columns"] == 13
    assert all(isinstance(figures[part], float) and figures[part] > 0 for part in parts), figures


def test_forest_threads_times_two_threads_against_one_at_each_size() -> None:
    """``benchmarks/forest_threads.py`` at tiny sizes, in a process of its own: every figure is timed."""
    figures = run_module("benchmarks.forest_threads", "--rows", "1", "--rows", "50", "--repeats", "1")
    assert figures["trees"] == 200 and set(figures) == {"trees", "one_thread_below", "1", "50"}
    for size in ("1", "50"):
        timings = figures[size]
        assert set(timings) == {
            "forest_two_threads_ms",
            "forest_one_thread_ms",
            "model_predict_ms",
            "xgboost_two_threads_ms",
            "xgboost_one_thread_ms",
        }
        assert all(isinstance(v, float) and v > 0 for v in timings.values()), figures
