"""docs/benchmarks.md from benchmarks/results.json: machine, versions, command, medians and spreads."""

from __future__ import annotations

from typing import Any

#: The goals of issue 17 ("Speed"): (section, path to the median, comparison, bound, label).
GOALS: list[tuple[str, tuple[str, ...], str, float, str]] = [
    ("training", ("training_overhead_ratio",), "<=", 1.3, "training pipeline / plain script"),
    ("training", ("cached_rerun_ratio",), "<=", 0.4, "cached re-run / fresh run, first milestone"),
    ("training", ("cached_rerun_ratio",), "<=", 0.25, "cached re-run / fresh run"),
    ("training", ("per_step_overhead_s",), "<=", 0.5, "orchestration overhead per step (s)"),
    ("scale", ("5000000", "wall_ratio"), "<=", 1.6, "5M rows: pipeline / raw XGBoost, wall time"),
    ("serving", ("serial_requests_per_s",), ">=", 400, "endpoint, serial single-row requests/s"),
    ("serving", ("serial_p99_ms",), "<=", 15, "endpoint, serial single-row p99 (ms)"),
    ("serving", ("batch_rows_per_s",), ">=", 200_000, "endpoint, rows/s in 1,000-row batches (Parquet, the client's)"),
    ("serving", ("batch_json_rows_per_s",), ">=", 200_000, "endpoint, rows/s in 1,000-row batches as JSON"),
    ("serving_mlserver", ("serial_requests_per_s",), ">=", 400, "MLServer endpoint, serial single-row requests/s"),
    ("serving_mlserver", ("serial_p99_ms",), "<=", 15, "MLServer endpoint, serial single-row p99 (ms)"),
    ("serving_mlserver", ("batch_rows_per_s",), ">=", 200_000, "MLServer endpoint, rows/s in 1,000-row batches"),
    ("profiling", ("profile_rows_per_s",), ">=", 1_000_000, "whylogs profiling rows/s, 30 numeric columns"),
]


def _get(results: dict[str, Any], section: str, path: tuple[str, ...]) -> Any:
    value: Any = results.get(section)
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _fmt(value: Any) -> str:
    if isinstance(value, dict) and "median" in value:
        return f"{_num(value['median'])} ({_num(value['min'])}-{_num(value['max'])})"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float | int):
        return _num(value)
    return str(value)


def _num(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


def _table(rows: dict[str, Any], skip: tuple[str, ...] = ()) -> list[str]:
    lines = ["| measure | median (min-max) |", "| --- | --- |"]
    for key, value in rows.items():
        if key in skip or (isinstance(value, list | dict) and not (isinstance(value, dict) and "median" in value)):
            continue
        lines.append(f"| {key} | {_fmt(value)} |")
    return lines


def _drift(data: dict[str, Any]) -> list[str]:
    """False alarms on clean batches (with the binomial ceiling of the configured alpha), catches at each shift."""
    lines = []
    for key, label in (
        ("clean_synthetic", "independent clean synthetic batches"),
        ("clean_default", "clean batches of the default data"),
    ):
        part = data[key]
        lines.append(
            f"- {label}: {part['alarms']} false alarm(s) in {part['batches']} (alpha {data['alpha']}; "
            f"a rate of alpha explains at most {part['ceiling_99_9']} at 99.9%)"
        )
    for shift, part in data["shifted_default"].items():
        lines.append(f"- batches with 4 columns shifted {shift} std: {part['caught']} of {part['batches']} caught")
    return lines


def _measured_where(document: dict[str, Any]) -> list[str]:
    """A line naming the machine and day of each section, when the sections were not all measured together."""
    sections: dict[str, dict[str, str]] = document.get("sections") or {}
    groups: dict[tuple[str, str], list[str]] = {}
    for name, where in sections.items():
        groups.setdefault((where["cpu"], where["finished"][:10]), []).append(name)
    if len(groups) < 2:
        return []
    parts = [
        f"{', '.join(names)} on {cpu}, {day}" for (cpu, day), names in sorted(groups.items(), key=lambda g: g[0][1])
    ]
    return ["- Sections measured apart (the machine line is the newest run's): " + "; ".join(parts)]


def render(document: dict[str, Any]) -> str:
    """The readable report."""
    results = document["results"]
    machine = document["machine"]
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`python -m benchmarks.run`) from `benchmarks/results.json`; do not edit by hand.",
        "Every ratio pairs two measurements taken back to back in the same repeat, so machine noise",
        "cancels as far as it can; each figure is the median over the repeats with the min-max spread.",
        "",
        f"- Command: `{document['command']}`; started {document['started']}, finished {document['finished']}",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_mib']:,} MiB, "
        f"Python {machine['python']}, {machine['os']}",
        *_measured_where(document),
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()),
        f"- Sizes: {document['sizes']}",
        "",
        "## Goals",
        "",
        "| goal | measured (median, min-max) | met |",
        "| --- | --- | --- |",
    ]
    for section, path, op, bound, label in GOALS:
        value = _get(results, section, path)
        if value is None:
            out.append(f"| {label} {op} {_num(bound)} | not measured in this run | - |")
            continue
        median = value["median"] if isinstance(value, dict) else value
        met = median <= bound if op == "<=" else median >= bound
        out.append(f"| {label} {op} {_num(bound)} | {_fmt(value)} | {'yes' if met else 'no'} |")
    for section in ("training", "scale", "serving", "serving_mlserver", "profiling", "drift", "images", "compile"):
        if section not in results:
            continue
        out += ["", f"## {section}", ""]
        data = results[section]
        if section == "scale":
            for rows, figures in data.items():
                out += [f"### {int(rows):,} rows", "", *_table(figures), ""]
        elif section == "drift":
            out += _drift(data)
        elif section == "compile":
            out += ["Seconds from `python run.py --stack kubeflow --pipeline <name>` to the written spec:", ""]
            out += _table(data)
        else:
            out += _table(data)
            if section == "training" and "cached_run_steps" in data:
                steps = ", ".join(f"{k}: {v}" for k, v in data["cached_run_steps"].items())
                out += ["", f"Steps of the last cached re-run: {steps}."]
            if section == "training" and "zenml_floor_cached_s" in data:
                out += [
                    "",
                    "ZenML's floor (`benchmarks/zenml_floor.py`): plain ZenML running the training pipeline's "
                    "graph, eight steps that do nothing, on the same stack, beside each repeat: "
                    f"{_fmt(data['zenml_floor_fresh_s'])} s fresh, {_fmt(data['zenml_floor_cached_s'])} s "
                    f"cached (as released). The training pipeline's cached re-run / the floor's: "
                    f"{_fmt(data['cached_rerun_vs_zenml_floor'])}.",
                ]
                if "zenml_floor_tuned_cached_s" in data:
                    out[-1] += (
                        f" With run.py's process settings and ZenML fixes (`--tuned`) the floor is "
                        f"{_fmt(data['zenml_floor_tuned_cached_s'])} s cached; the training pipeline's cached "
                        f"re-run / that: {_fmt(data['cached_rerun_vs_tuned_floor'])}."
                    )
            for name, parts in data.get("where_the_time_goes", {}).items() if section == "training" else ():
                steps = ", ".join(f"{k} {v:.2f}" for k, v in parts["steps_s"].items())
                out += [
                    "",
                    f"Where the last {name.replace('_', ' ')}'s {parts['process_s']:.1f} s went: "
                    f"{parts['outside_the_run_s']:.1f} s outside ZenML's run (interpreter, imports, client and "
                    f"store, snapshot, summary), {parts['orchestration_between_steps_s']:.1f} s of orchestration "
                    f"between steps, {parts['in_steps_s']:.1f} s in the steps ({steps}).",
                ]
            if section == "profiling":
                out += [
                    "",
                    f"Profile identical to whylogs' own (every metric but the randomised KLL quantiles): "
                    f"{_fmt(data.get('identical_to_whylogs_except_kll_quantiles'))}; "
                    f"largest quantile rank error: {data.get('quantile_rank_error')}.",
                    "",
                    "Where a single-process profile spends its time (cProfile, own time):",
                    "",
                    *[f"- {row['function']}: {row['share']:.0%}" for row in data.get("where_the_time_goes", [])],
                ]
    out += ["", f"Seconds per section: {results.get('seconds_per_section')}", ""]
    return "\n".join(out)
