"""Run the portable-mlops pipelines on a stack chosen by configuration, not by code.

Examples:

    python run.py --stack local                 # import + activate the local stack, run training
    python run.py                               # run on whatever stack is active (zenml stack set ...)
    python run.py --data data/churn.csv --target churned
    python run.py --config configs/training.yaml --no-cache
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

import portable_mlops.compat  # noqa: F401  (before anything imports whylogs)
from portable_mlops.config import CONFIGS_DIR, apply_overrides, load_config, write_config
from portable_mlops.errors import UserFacingError

PIPELINE_CONFIGS = {"training": CONFIGS_DIR / "training.yaml"}


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while True:
        if isinstance(seen, UserFacingError):
            return seen
        nxt = seen.__cause__ or seen.__context__
        if nxt is None:
            return exc
        seen = nxt


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


def _run_training(config: dict[str, Any], no_cache: bool) -> Any:
    from pipelines import training_pipeline

    path = write_config(config)
    started = datetime.now(UTC).replace(tzinfo=None)
    try:
        options: dict[str, Any] = {"config_path": str(path)}
        if no_cache:
            options["enable_cache"] = False
        return training_pipeline.with_options(**options)()
    except RuntimeError as exc:
        reason = _step_failure(training_pipeline.name, started)
        if reason is None:
            raise
        raise UserFacingError(reason) from exc
    finally:
        path.unlink(missing_ok=True)


def _summary(run: Any) -> list[str]:
    from zenml.client import Client

    from portable_mlops.names import Artifacts

    run = Client().get_pipeline_run(run.id)
    lines = [f"Run '{run.name}' on stack '{Client().active_stack_model.name}': {run.status.value}"]
    promotion_step = run.steps.get("promote_model")
    if promotion_step is not None and run.status.value == "completed":
        decision = promotion_step.outputs[Artifacts.PROMOTION][0].load()
        metrics = run.steps["evaluate_model"].outputs[Artifacts.METRICS][0].load()
        model = run.model_version
        shown = ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items()))
        verdict = "PROMOTED to champion" if decision["promote"] else "kept as challenger"
        lines += [
            f"Model '{model.model.name}' version {model.name} (registry v{decision['registry_version']}): {verdict}",
            f"  gate: {decision['reason']}",
            f"  holdout: {shown}",
        ]
    return lines


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
    type=click.Choice(["training", "all"]),
    default="all",
    show_default=True,
    help="Which pipeline to run.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="ZenML run-config YAML. Default: configs/<pipeline>.yaml.",
)
@click.option("--data", default=None, help="CSV/Parquet path or fsspec URI, or sklearn://<name>. Overrides the config.")
@click.option("--target", default=None, help="Label column of --data. Overrides the config.")
@click.option(
    "--model-name", default=None, help="Registry model name. Default: from the config, or from --data's file name."
)
@click.option("--no-cache", is_flag=True, help="Re-run every step instead of reusing cached results.")
def main(
    stack: str | None,
    pipeline_name: str,
    config_path: Path | None,
    data: str | None,
    target: str | None,
    model_name: str | None,
    no_cache: bool,
) -> None:
    """Run the training pipeline (more with later pipelines) on the chosen stack."""
    try:
        config = apply_overrides(load_config(config_path or PIPELINE_CONFIGS["training"]), data, target, model_name)
        if stack:
            from portable_mlops.stacks import ensure_stack

            ensure_stack(stack)
        run = _run_training(config, no_cache)
        for line in _summary(run):
            click.echo(line)
    except Exception as exc:
        cause = _root_cause(exc)
        logging.getLogger(__name__).debug("failure", exc_info=exc)
        message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        if not isinstance(cause, UserFacingError):
            message = f"{type(cause).__name__}: {message}"
        click.echo(f"error: {message}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
