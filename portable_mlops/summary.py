"""The short summary ``run.py`` prints after each run, and where to look for more."""

from __future__ import annotations

from typing import Any

from portable_mlops.names import Artifacts


def output(run: Any, step: str, artifact: str) -> Any:
    """Load the first artifact ``artifact`` of step ``step`` of ``run``."""
    return run.steps[step].outputs[artifact][0].load()


def _metrics(metrics: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items()))


def _training(run: Any) -> list[str]:
    decision = output(run, "promote_model", Artifacts.PROMOTION)
    metrics = output(run, "evaluate_model", Artifacts.METRICS)
    promoted = bool(decision["promote"])
    verdict = "PROMOTED to champion" if promoted else "kept as challenger (champion unchanged)"
    if promoted:
        champion = f"registry v{decision['registry_version']} (this run), {_metrics(metrics)}"
    else:
        score = decision.get("champion_score")
        shown = f"{decision['metric']} {score:.4f} on this holdout" if isinstance(score, float) else "score unknown"
        champion = f"registry v{decision.get('previous_champion')} (unchanged), {shown}"
    return [
        f"  model '{run.model_version.model.name}' version {run.model_version.name} "
        f"(registry v{decision['registry_version']}): {verdict}",
        f"  gate: {decision['reason']}",
        f"  champion: {champion}",
        "  holdout: " + _metrics(metrics),
    ]


def _deployment(run: Any) -> list[str]:
    service = output(run, "deploy_model", Artifacts.DEPLOYMENT)
    url = service.prediction_url
    metadata = run.steps["deploy_model"].run_metadata
    example = str(metadata.get("example_request", "{}")).replace("'", "'\\''")
    return [
        f"  endpoint: {url}",
        f"  example:  curl -s -X POST {url} -H 'Content-Type: application/json' -d '{example}'",
    ]


def _inference(run: Any) -> list[str]:
    predictions = output(run, "predict_batch", Artifacts.PREDICTIONS)
    drift = output(run, "detect_drift", Artifacts.DRIFT)
    counts = predictions["prediction"].value_counts().to_dict()
    scored_by = run.steps["predict_batch"].run_metadata.get("scored_by", "")
    lines = [f"  scored {len(predictions)} rows: {counts}" + (f" via {scored_by}" if scored_by else "")]
    metadata = run.steps["predict_batch"].run_metadata
    if metadata.get("champion_stale"):
        lines.append(f"  STALE champion: trained {float(metadata['champion_age_days']):.0f} days ago; retrain it")
    if drift["drifted"]:
        columns = drift["drifted_columns"]
        lines.append(f"  DRIFT in {len(columns)} column(s): {', '.join(columns[:6])}")
    else:
        lines.append(f"  no drift ({drift['tested_columns']} columns tested, alpha {drift['alpha']})")
    return lines


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


def summarise(kind: str, run: Any) -> list[str]:
    """What a user needs to know about a finished run: its outcome and, with a server, its page."""
    from portable_mlops.dashboard import run_url

    lines = [f"[{kind}] run '{run.name}': {run.status.value}", *SECTIONS[kind](run), *_handled(run)]
    url = run_url(run)
    if url:
        lines.append(f"  dashboard: {url}")
    return lines


def where_to_look() -> list[str]:
    """Where the runs, artifacts, reports and experiments can be seen."""
    from portable_mlops.dashboard import server_url

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
    ]
