"""The short summary ``run.py`` prints after each run, and where to look for more."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portable_mlops.names import Artifacts
from portable_mlops.params import LOWER_IS_BETTER

if TYPE_CHECKING:  # the types only: the summary imports nothing heavy
    from portable_mlops.evaluation.checks import QualityChecks
    from portable_mlops.lifecycle.gate import Decision
    from portable_mlops.monitoring.drift import DriftSummary
    from portable_mlops.monitoring.staleness import ExpectedQuality


def output(run: Any, step: str, artifact: str) -> Any:
    """Load the first artifact ``artifact`` of step ``step`` of ``run``."""
    return run.steps[step].outputs[artifact][0].load()


def _metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items()))


def _training(run: Any) -> list[str]:
    decision: Decision = output(run, "promote_model", Artifacts.PROMOTION)
    metrics = output(run, "evaluate_model", Artifacts.METRICS)
    verdict = "PROMOTED to champion" if decision.promote else "kept as challenger (champion unchanged)"
    if decision.promote:
        champion = f"registry v{decision.registry_version} (this run), {_metrics(metrics)}"
    else:
        score = decision.champion_score
        shown = f"{decision.metric} {score:.4f} on this holdout" if score is not None else "score unknown"
        champion = f"registry v{decision.previous_champion} (unchanged), {shown}"
    reused = [name for name, step in run.steps.items() if step.status.value == "cached"]
    cached = (
        [f"  reused (same data, config and champion as an earlier run, nothing moved now): {', '.join(reused)}"]
        if "promote_model" in reused
        else []
    )
    load = run.steps.get("load_data")
    task = f", {output(run, 'load_data', Artifacts.TASK)}" if load and Artifacts.TASK in load.outputs else ""
    return [
        f"  model '{run.model_version.model.name}' version {run.model_version.name} "
        f"(registry v{decision.registry_version}{task}): {verdict}",
        *cached,
        *_gate(decision),
        f"  champion: {champion}",
        "  holdout: " + _metrics(metrics),
        *_quality(run),
    ]


def _gate(decision: Decision) -> list[str]:
    """The gate's reason, both models on the reference set, and an override with who, when and why."""
    if decision.override is not None:
        o = decision.override
        lines = [f"  GATE OVERRIDDEN by {o.by} at {o.at}: {o.reason}", f"  the gate had refused: {o.refused_because}"]
    else:
        lines = [f"  gate: {decision.reason}"]
    if decision.candidate_reference_score is not None:
        theirs = decision.champion_reference_score
        against = f", champion {theirs:.4f}" if theirs is not None else ""
        lines.append(f"  reference set: {decision.metric} {decision.candidate_reference_score:.4f}{against}")
    return lines


def _quality(run: Any) -> list[str]:
    """Slices, fairness, quality under shift, features that add nothing and performance, one line each."""
    step = run.steps.get("evaluate_model")
    if step is None or Artifacts.QUALITY not in step.outputs:
        return []
    quality: QualityChecks = output(run, "evaluate_model", Artifacts.QUALITY)
    return [*_slices(quality), *_decay(quality), *_performance(quality)]


def _slices(quality: QualityChecks) -> list[str]:
    slices, fairness = quality.slices, quality.fairness
    worst = slices.worst
    lines = []
    if worst is not None and worst.value is not None:
        lines.append(
            f"  slices: worst {slices.metric} {worst.value:.4f} at {worst.column}={worst.slice} "
            f"({'ceiling' if slices.metric in LOWER_IS_BETTER else 'floor'} {slices.floor}); "
            f"{slices.scored} scored, {slices.skipped} skipped"
        )
    elif slices.rows or slices.missing_columns:
        lines.append(f"  slices: none scored ({slices.skipped} too small, not in the data: {slices.missing_columns})")
    if fairness.measured and fairness.gap is not None:
        lines.append(
            f"  fairness: {fairness.measure} {fairness.gap:.4f} across '{fairness.column}' (max {fairness.max_gap})"
        )
    elif fairness.column:
        lines.append(f"  fairness: not measured: {fairness.reason}")
    return lines


def _decay(quality: QualityChecks) -> list[str]:
    decay, unused = quality.decay, quality.non_beneficial_features
    lines = []
    if decay.values:
        values = " / ".join("n/a" if v is None else f"{v:.3f}" for v in decay.values)
        shifts = " / ".join(f"{s:g}" for s in decay.shifts)
        lines.append(f"  under shift: {decay.metric} {values} at {shifts} std of {len(decay.columns)} columns")
    if unused:
        shown = ", ".join(unused[:5]) + (", ..." if len(unused) > 5 else "")
        lines.append(
            f"  note: {len(unused)} feature(s) add nothing on the holdout (permutation importance <= 0): {shown}"
        )
    return lines


def _performance(quality: QualityChecks) -> list[str]:
    performance = quality.performance
    if performance is None:
        return []
    values = performance.values
    formats = {"fit_seconds": "fit {:.3g} s", "predict_ms_per_row": "predict {:.3g} ms/row"}
    formats |= {"train_peak_rss_mb": "training peak RSS {:.0f} MB", "model_size_mb": "model {:.2g} MB"}
    shown = ", ".join(text.format(values[key]) for key, text in formats.items() if key in values)
    version = performance.champion_version
    compared = [row for row in performance.comparison if row.champion is not None]
    if version is None:
        against = ""
    elif not compared:
        against = f"; champion v{version} recorded none of these"
    elif not performance.regressions:
        against = f"; within x{performance.max_factor} of champion v{version}"
    else:
        against = f"; against champion v{version}:"
    lines = [f"  performance: {shown}{against}"]
    lines += [f"  PERFORMANCE regression: {message}" for message in performance.regressions]
    return lines


def _deployment(run: Any) -> list[str]:
    service = output(run, "deploy_model", Artifacts.DEPLOYMENT)
    url = service.prediction_url
    metadata = run.steps["deploy_model"].run_metadata
    example = str(metadata.get("example_request", "{}")).replace("'", "'\\''")
    lines = [
        f"  endpoint: {url}",
        f"  example:  curl -s -X POST {url} -H 'Content-Type: application/json' -d '{example}'",
    ]
    override = metadata.get("gate_override")
    if isinstance(override, dict) and override:
        lines.append(f"  GATE OVERRIDDEN by {override['by']} at {override['at']}: {override['reason']}")
    elif metadata.get("gate"):
        lines.append(f"  gate: {metadata['gate']}")
    return lines


def prediction_digest(predicted: Any, classes_at_most: int = 20) -> str:
    """Predicted labels as counts per class; a regression's numbers as their quartiles and range."""
    import pandas as pd

    series = pd.Series(predicted)
    if pd.api.types.is_float_dtype(series) and series.nunique() > classes_at_most:
        q = series.quantile([0.0, 0.25, 0.5, 0.75, 1.0]).tolist()
        return f"predicted min {q[0]:.4g}, quartiles {q[1]:.4g} / {q[2]:.4g} / {q[3]:.4g}, max {q[4]:.4g}"
    return str(series.value_counts().to_dict())


def _inference(run: Any) -> list[str]:
    predictions = output(run, "predict_batch", Artifacts.PREDICTIONS)
    drift: DriftSummary = output(run, "detect_drift", Artifacts.DRIFT)
    scored_by = run.steps["predict_batch"].run_metadata.get("scored_by", "")
    shown = prediction_digest(predictions["prediction"])
    lines = [f"  scored {len(predictions)} rows: {shown}" + (f" via {scored_by}" if scored_by else "")]
    metadata = run.steps["predict_batch"].run_metadata
    if metadata.get("champion_stale"):
        lines.append(f"  STALE champion: trained {float(metadata['champion_age_days']):.0f} days ago; retrain it")
    lines += _expected(drift.expected_quality, metadata.get("champion_age_days"))
    if drift.drifted:
        columns = drift.drifted_columns
        lines.append(f"  DRIFT in {len(columns)} column(s): {', '.join(columns[:6])}")
    else:
        lines.append(f"  no drift ({drift.tested_columns} columns tested, alpha {drift.alpha})")
    return lines


def _expected(expected: ExpectedQuality | None, age: Any) -> list[str]:
    """The champion's quality to expect on the batch's shift, with the champion's age."""
    if expected is None or expected.expected is None:
        return []
    aged = f"champion {float(age):.0f} days old; " if age is not None else ""
    largest = expected.largest_shift
    moved = f", most '{largest.column}' by {largest.std:.2f} std" if largest else ""
    unshifted = f"{expected.unshifted:.3f}" if expected.unshifted is not None else "n/a"
    return [
        f"  staleness: {aged}expected {expected.metric} {expected.expected:.3f} at this batch's shift "
        f"({unshifted} on the champion's holdout; {expected.columns} columns moved{moved})"
    ]


def _handled(run: Any) -> list[str]:
    """Input the pipeline accepted gracefully (extra columns, unseen categories), said out loud."""
    step = run.steps.get("validate_data")
    handled = step.run_metadata.get("handled") if step is not None else None
    if not isinstance(handled, dict):
        return []
    lines = []
    for key, values in handled.items():
        shown = ", ".join(map(str, values[:5]))
        if key == "extra_columns":
            lines.append(f"  note: columns not in the champion's training data: {shown} (the champion ignores them)")
        else:
            lines.append(f"  note: column '{key[7:]}' has values the champion never saw: {shown} (scored as unknown)")
    return lines


SECTIONS = {"training": _training, "deployment": _deployment, "inference": _inference}


class _StepsOnce:
    """A run whose steps are listed from the store once: ZenML lists them again on every ``run.steps``."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self.steps = run.steps

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)


def summarise(kind: str, run: Any) -> list[str]:
    """What a user needs to know about a finished run: its outcome and, with a server, its page."""
    from portable_mlops.cli.dashboard import run_url

    run = _StepsOnce(run)
    lines = [f"[{kind}] run '{run.name}': {run.status.value}", *SECTIONS[kind](run), *_handled(run)]
    url = run_url(run)
    if url:
        lines.append(f"  dashboard: {url}")
    return lines


def where_to_look() -> list[str]:
    """Where the runs, artifacts, reports and experiments can be seen."""
    from portable_mlops.cli.dashboard import server_url

    url = server_url()
    dashboard = (
        f"{url} (runs, DAGs, reports under each step's artifacts)"
        if url
        else "not running; start it with: make dashboard (earlier runs show there too)"
    )
    return [
        "where to look:",
        f"  ZenML dashboard: {dashboard}",
        "  MLflow UI:       make mlflow-ui (experiments, candidate runs, registered models)",
        "  reports:         artifacts data_profile, evaluation_report and drift_report of the runs above",
        "  drift:           make drift (scores a drifted batch: the drift report, then retraining on it)",
    ]
