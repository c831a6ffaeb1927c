"""Running the pipelines for the command line: one resolved config per pipeline, the run's status
turned into a one-line error, the summary, and continuous training after a drifted batch.

``run.py`` parses the options and calls :func:`run_all`; everything here is what a user of the
command line sees happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portable_mlops.cli import airflow_runs
from portable_mlops.cli.config import (
    CONFIGS_DIR,
    apply_overrides,
    load_config,
    set_parameter,
    with_docker_settings,
    write_config,
)
from portable_mlops.cli.summary import output, summarise, where_to_look
from portable_mlops.errors import UserFacingError, message_of
from portable_mlops.names import Artifacts, Pipelines

#: Orchestrator flavors whose submission returns before the run ends, and how to name and wait for the run
#: (``prepare(config, kind) -> (config, handle)``, ``wait(handle) -> result``, ``failure_line(kind, result)``).
SUBMISSIONS = {"airflow": airflow_runs}
#: The pipelines ``--pipeline all`` runs, in order.
ORDER = (Pipelines.TRAINING, Pipelines.DEPLOYMENT, Pipelines.INFERENCE)
logger = logging.getLogger(__name__)


def root_cause(exc: BaseException) -> BaseException:
    """The first :class:`UserFacingError` in the exception's chain, else the exception itself."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UserFacingError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return exc


def error_line(exc: BaseException) -> str:
    """The one line a failure ends with: ours verbatim, others with their type, never huge."""
    cause = root_cause(exc)
    text = str(cause).strip()
    message = text.splitlines()[0] if text else type(cause).__name__
    if len(message) > 600:  # a huge value (a 1 MB cell) must not become a 1 MB error line
        message = f"{message[:600]}... ({len(message):,} characters)"
    if not isinstance(cause, UserFacingError):
        message = f"{type(cause).__name__}: {message}"
    return f"error: {message}"


def _pipeline(kind: str) -> Any:
    import pipelines

    return getattr(pipelines, f"{kind}_pipeline")


def _step_failure(pipeline_name: str, since: datetime) -> str | None:
    """The one-line reason of the first failed step of the newest run of ``pipeline_name``."""
    from zenml.client import Client

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

    from portable_mlops.lifecycle.champion import NoChampionError

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
    from zenml.orchestrators import ContainerizedOrchestrator

    stack = Client().active_stack
    if isinstance(stack.orchestrator, ContainerizedOrchestrator):  # only stacks that run steps in an image
        registry = stack.container_registry
        config = with_docker_settings(config, registry.config.uri if registry is not None else None)
    from portable_mlops.cli.facts import with_facts
    from portable_mlops.cli.process import settle_heap

    config = with_facts(kind, config, reuse=not no_cache)  # the data's and the champion's state: cache keys
    submitted = SUBMISSIONS.get(stack.orchestrator.flavor)  # orchestrators that return before the run ends
    handle = None
    if submitted is not None:
        config, handle = submitted.prepare(config, kind)
    pipeline = _pipeline(kind)
    path = write_config(config)
    started = datetime.now(UTC).replace(tzinfo=None)
    try:
        options: dict[str, Any] = {"config_path": str(path)}
        if no_cache:
            options["enable_cache"] = False
        settle_heap()
        run = pipeline.with_options(**options)()
    except RuntimeError as exc:
        reason = _step_failure(pipeline.name, started)
        if reason is None:
            raise
        raise UserFacingError(reason) from exc
    finally:
        path.unlink(missing_ok=True)
    if submitted is not None:
        result = submitted.wait(handle)
        if result.state != "success":
            raise UserFacingError(_step_failure(pipeline.name, started) or submitted.failure_line(kind, result))
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


def resolve_configs(
    pipeline_name: str,
    config_path: Path | None,
    data: str | None,
    target: str | None,
    model_name: str | None,
    rollout: str | None,
    retrain_on_drift: bool,
    override_gate: str | None = None,
    replace_reference: str | None = None,
    task: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The run config of each pipeline to run, with the command line's overrides applied."""
    kinds = ORDER if pipeline_name == "all" else (Pipelines(pipeline_name),)
    if config_path is not None and len(kinds) > 1:
        raise UserFacingError("--config names one pipeline's config; add --pipeline training|deployment|inference")
    configs = {
        str(kind): apply_overrides(
            load_config(config_path or CONFIGS_DIR / f"{kind}.yaml"), data, target, model_name, task
        )
        for kind in kinds
    }
    if rollout and Pipelines.DEPLOYMENT in configs:
        configs[Pipelines.DEPLOYMENT] = set_parameter(configs[Pipelines.DEPLOYMENT], "deploy", "rollout", rollout)
    if retrain_on_drift and Pipelines.INFERENCE in configs:
        configs[Pipelines.INFERENCE] = set_parameter(configs[Pipelines.INFERENCE], "drift", "retrain_on_drift", True)
    if override_gate and Pipelines.TRAINING in configs:
        configs[Pipelines.TRAINING] = set_parameter(
            configs[Pipelines.TRAINING], "gate", "override_reason", override_gate
        )
    if override_gate and Pipelines.DEPLOYMENT in configs:
        configs[Pipelines.DEPLOYMENT] = set_parameter(
            configs[Pipelines.DEPLOYMENT], "deploy", "override_reason", override_gate
        )
    if replace_reference and Pipelines.TRAINING in configs:
        configs[Pipelines.TRAINING] = set_parameter(
            configs[Pipelines.TRAINING], "gate", "replace_reference_reason", replace_reference
        )
    return configs


def _has_model_deployer() -> bool:
    from zenml.client import Client

    return Client().active_stack.model_deployer is not None


def run_all(configs: dict[str, dict[str, Any]], no_cache: bool, echo: Callable[[str], None]) -> None:
    """Run each pipeline in order, print its summary, retrain after a drifted batch when asked, and
    end with where to look."""
    for kind, config in configs.items():
        if kind == Pipelines.DEPLOYMENT and len(configs) > 1 and not _has_model_deployer():
            echo("[deployment] skipped: the stack has no model deployer (inference scores the champion in-process)")
            continue
        run = run_pipeline(kind, config, no_cache)
        for line in summarise(kind, run):
            echo(line)
        if kind == Pipelines.INFERENCE:
            continuous_training(run, config, no_cache, echo)
    for line in where_to_look():
        echo(line)


def continuous_training(
    run: Any, inference_config: dict[str, Any], no_cache: bool, echo: Callable[[str], None]
) -> None:
    """Retrain on a drifted, labelled batch when the drift step asked for it; the same gate decides."""
    drift = output(run, "detect_drift", Artifacts.DRIFT)
    if not drift.drifted:
        return
    if not drift.retrain:
        why = "retraining is off (--retrain-on-drift)" if drift.labelled else "the batch has no labels"
        echo(f"  not retraining: {why}")
        return
    echo(f"  retraining '{inference_config['model']['name']}' on {drift.source} (continuous training)")
    training = load_config(CONFIGS_DIR / "training.yaml")
    training = apply_overrides(training, drift.source, drift.target, inference_config["model"]["name"])
    for line in summarise(Pipelines.TRAINING, run_pipeline(Pipelines.TRAINING, training, no_cache)):
        echo(line)
