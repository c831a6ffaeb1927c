"""Run the portable-mlops pipelines on a stack chosen by configuration, not by code.

Examples:

    python run.py --stack local                  # import + activate the local stack; train, deploy, score
    python run.py                                # the same on whatever stack is active (zenml stack set ...)
    python run.py --pipeline training --data data/churn.csv --target churned
    python run.py --data sklearn://diabetes --target progression       # a regression: train, deploy, score
    python run.py --pipeline deployment          # (re)deploy the champion; prints the endpoint
    python run.py --stack kubeflow --pipeline deployment --rollout canary   # challenger beside the champion (Seldon)
    python run.py --stack airflow                # the same pipelines in a local Airflow (make airflow-up first)
    python run.py --pipeline inference --data batch.csv              # score a batch, check drift
    python run.py --pipeline inference --data drifted.csv --retrain-on-drift
    python run.py --pipeline training --config my-training.yaml --no-cache
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

import portable_mlops.compat  # before anything imports whylogs
from portable_mlops.cli.process import tune_collector
from portable_mlops.cli.runner import error_line, resolve_configs, run_all


@click.command(context_settings={"help_option_names": ["-h", "--help"]}, epilog=__doc__.split("Examples:")[1])
@click.option(
    "--stack",
    type=click.Choice(["local", "kubeflow", "vertex", "airflow"]),
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
    "--task",
    type=click.Choice(["auto", "classification", "regression"]),
    default=None,
    help="What the model predicts. auto: a regression for a numeric target with more than 20 distinct values.",
)
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
@click.option(
    "--override-gate",
    "override_gate",
    metavar="REASON",
    default=None,
    help="Promote what the gate refuses (training, or --rollout promote) for REASON; recorded with who and when.",
)
@click.option(
    "--replace-reference",
    "replace_reference",
    metavar="REASON",
    default=None,
    help="Training: make this run's holdout the model's reference set, for REASON (recorded).",
)
def main(
    stack: str | None,
    pipeline_name: str,
    config_path: Path | None,
    data: str | None,
    target: str | None,
    task: str | None,
    model_name: str | None,
    retrain_on_drift: bool,
    no_cache: bool,
    rollout: str | None,
    override_gate: str | None,
    replace_reference: str | None,
) -> None:
    """Run the training, deployment and batch inference pipelines on the chosen stack."""
    try:
        configs = resolve_configs(
            pipeline_name,
            config_path,
            data,
            target,
            model_name,
            rollout,
            retrain_on_drift,
            override_gate,
            replace_reference,
            task,
        )
        if stack:
            from portable_mlops.cli.stack_setup import ensure_stack

            ensure_stack(stack)
        run_all(configs, no_cache, click.echo)
    except Exception as exc:
        logging.getLogger(__name__).debug("failure", exc_info=exc)
        click.echo(error_line(exc), err=True)
        sys.exit(1)


if __name__ == "__main__":
    tune_collector()  # a short batch job with a large heap: collect less often, not at all at exit
    try:
        main()
    finally:  # click exits with SystemExit: flush the logs before the interpreter shuts down
        portable_mlops.compat.close_logging()
