"""Run the portable-mlops pipelines on a stack chosen by configuration, not by code.

Examples:

    python run.py --stack local                  # import + activate the local stack; train, deploy, score
    python run.py                                # the same on whatever stack is active (zenml stack set ...)
    python run.py --pipeline training --data data/churn.csv --target churned
    python run.py --pipeline deployment          # (re)deploy the champion; prints the endpoint
    python run.py --stack kubeflow --pipeline deployment --rollout canary   # challenger beside the champion (Seldon)
    python run.py --pipeline inference --data batch.csv              # score a batch, check drift
    python run.py --pipeline inference --data drifted.csv --retrain-on-drift
    python run.py --pipeline training --config my-training.yaml --no-cache
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

import portable_mlops.compat  # noqa: F401  (before anything imports whylogs)
from portable_mlops.config import (
    CONFIGS_DIR,
    apply_overrides,
    load_config,
    set_parameter,
    with_docker_settings,
    write_config,
)
from portable_mlops.errors import UserFacingError
from portable_mlops.summary import output, summarise, where_to_look

ORDER = ("training", "deployment", "inference")


def _root_cause(exc: BaseException) -> BaseException:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UserFacingError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def _pipeline(kind: str) -> Any:
    import pipelines

    return getattr(pipelines, f"{kind}_pipeline")


def _step_failure(pipeline_name: str, since: datetime) -> str | None:
    """The one-line reason of the first failed step of the newest run of ``pipeline_name``."""
    from zenml.client import Client

    from portable_mlops.errors import message_of

    runs = Client().list_pipeline_runs(pipeline=pipeline_name, sort_by="desc:created", size=1)
    if not runs.items or runs.items[0].created < since:
        return None
    for step_run in runs.items[0].steps.values():
        info = step_run.exception_info
        if step_run.status.value == "failed" and info is not None:
            return message_of(info.source, info.message, step_run.name)
    return None


def _require_champion(config: dict[str, Any]) -> None:
    from zenml.client import Client
    from zenml.enums import ModelStages

    from portable_mlops.champion import NoChampionError

    name = config["model"]["name"]
    try:
        Client().get_model_version(name, ModelStages.PRODUCTION)
    except KeyError as exc:
        raise NoChampionError(
            f"model '{name}' has no champion yet; train one first: python run.py --pipeline training"
        ) from exc


def run_pipeline(kind: str, config: dict[str, Any], no_cache: bool) -> Any:
    """Run one pipeline with a resolved config; a failed step becomes a one-line UserFacingError."""
    if config.get("model", {}).get("version") == "production":
        _require_champion(config)
    from zenml.client import Client

    registry = Client().active_stack.container_registry
    config = with_docker_settings(config, registry.config.uri if registry is not None else None)
    pipeline = _pipeline(kind)
    path = write_config(config)
    started = datetime.now(UTC).replace(tzinfo=None)
    try:
        options: dict[str, Any] = {"config_path": str(path)}
        if no_cache:
            options["enable_cache"] = False
        run = pipeline.with_options(**options)()
    except RuntimeError as exc:
        reason = _step_failure(pipeline.name, started)
        if reason is None:
            raise
        raise UserFacingError(reason) from exc
    finally:
        path.unlink(missing_ok=True)
    run = Client().get_pipeline_run(run.id)
    if run.status.value in {"initializing", "provisioning"}:
        raise UserFacingError(
            f"the {kind} run '{run.name}' was never started by the orchestrator (status '{run.status.value}'): "
            "its backend is unreachable or refused the run (see the warning above); check the orchestrator's "
            "host in the stack file (e.g. kubeflow_hostname in stacks/kubeflow.yaml) and its credentials"
        )
    if run.status.value != "completed":
        raise UserFacingError(
            f"the {kind} run '{run.name}' ended '{run.status.value}', not completed; "
            f"see: zenml pipeline runs describe {run.id}"
        )
    return run


def _configs(pipeline_name: str, config_path: Path | None) -> dict[str, dict[str, Any]]:
    kinds = ORDER if pipeline_name == "all" else (pipeline_name,)
    if config_path is not None and len(kinds) > 1:
        raise UserFacingError("--config names one pipeline's config; add --pipeline training|deployment|inference")
    return {kind: load_config(config_path or CONFIGS_DIR / f"{kind}.yaml") for kind in kinds}


@click.command(context_settings={"help_option_names": ["-h", "--help"]}, epilog=__doc__.split("Examples:")[1])
@click.option(
    "--stack",
    type=click.Choice(["local", "kubeflow", "vertex"]),
    default=None,
    help="Import (if missing) and activate stacks/<name>.yaml. Default: the active ZenML stack.",
)
@click.option(
    "--pipeline",
    "pipeline_name",
    type=click.Choice(["training", "deployment", "inference", "all"]),
    default="all",
    show_default=True,
    help="Which pipeline to run; all = training, deployment, inference.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="ZenML run-config YAML for the one --pipeline. Default: configs/<pipeline>.yaml.",
)
@click.option("--data", default=None, help="CSV/Parquet path, fsspec URI or sklearn://<name>: training data or batch.")
@click.option("--target", default=None, help="Label column of --data. Overrides the config.")
@click.option(
    "--model-name", default=None, help="Registry model name. Default: from the config, or --data's file name."
)
@click.option("--retrain-on-drift", is_flag=True, help="Inference: train on the batch when it drifted (needs labels).")
@click.option("--no-cache", is_flag=True, help="Re-run every step instead of reusing cached results.")
@click.option(
    "--rollout",
    type=click.Choice(["deploy", "canary", "promote", "rollback"]),
    default=None,
    help="Deployment: serve the champion, add the challenger as a canary, promote it, or roll back (Seldon).",
)
def main(
    stack: str | None,
    pipeline_name: str,
    config_path: Path | None,
    data: str | None,
    target: str | None,
    model_name: str | None,
    retrain_on_drift: bool,
    no_cache: bool,
    rollout: str | None,
) -> None:
    """Run the training, deployment and batch inference pipelines on the chosen stack."""
    try:
        configs = {
            k: apply_overrides(c, data, target, model_name) for k, c in _configs(pipeline_name, config_path).items()
        }
        if rollout and "deployment" in configs:
            configs["deployment"] = set_parameter(configs["deployment"], "deploy", "rollout", rollout)
        if retrain_on_drift and "inference" in configs:
            configs["inference"] = set_parameter(configs["inference"], "drift", "retrain_on_drift", True)
        if stack:
            from portable_mlops.stacks import ensure_stack

            ensure_stack(stack)
        for kind, config in configs.items():
            run = run_pipeline(kind, config, no_cache)
            for line in summarise(kind, run):
                click.echo(line)
            if kind == "inference":
                _continuous_training(run, config, no_cache)
        for line in where_to_look():
            click.echo(line)
    except Exception as exc:
        cause = _root_cause(exc)
        logging.getLogger(__name__).debug("failure", exc_info=exc)
        text = str(cause).strip()
        message = text.splitlines()[0] if text else type(cause).__name__
        if len(message) > 600:  # a huge value (a 1 MB cell) must not become a 1 MB error line
            message = f"{message[:600]}... ({len(message):,} characters)"
        if not isinstance(cause, UserFacingError):
            message = f"{type(cause).__name__}: {message}"
        click.echo(f"error: {message}", err=True)
        sys.exit(1)


def _continuous_training(run: Any, inference_config: dict[str, Any], no_cache: bool) -> None:
    """Retrain on a drifted, labelled batch when the drift step asked for it; the same gate decides."""
    from portable_mlops.names import Artifacts

    drift = output(run, "detect_drift", Artifacts.DRIFT)
    if not drift["drifted"]:
        return
    if not drift["retrain"]:
        why = "retraining is off (--retrain-on-drift)" if drift["labelled"] else "the batch has no labels"
        click.echo(f"  not retraining: {why}")
        return
    click.echo(f"  retraining '{inference_config['model']['name']}' on {drift['source']} (continuous training)")
    training = load_config(CONFIGS_DIR / "training.yaml")
    training = apply_overrides(training, drift["source"], drift["target"], inference_config["model"]["name"])
    for line in summarise("training", run_pipeline("training", training, no_cache)):
        click.echo(line)


if __name__ == "__main__":
    main()
