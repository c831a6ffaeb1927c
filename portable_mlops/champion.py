"""Look-ups of the champion in the ZenML Model Control Plane and the MLflow registry."""

from __future__ import annotations

from typing import Any

from portable_mlops.errors import UserFacingError
from portable_mlops.names import Aliases, Artifacts


class NoChampionError(UserFacingError, LookupError):
    """The model has no champion yet."""


#: Key of the model-version metadata that names the training run which produced the version.
TRAINING_RUN_KEY = "training_run_id"


def production_artifact(model_name: str, artifact: Artifacts) -> Any | None:
    """Load an artifact of the training run that produced the model's production version.

    Looked up through the training run, not by name on the model version: later runs (batch
    inference) link artifacts of the same name, such as a batch's ``data_profile``, to that version.
    Returns None when there is no production version.
    """
    from zenml.client import Client
    from zenml.enums import ModelStages

    client = Client()
    try:
        version = client.get_model_version(model_name, ModelStages.PRODUCTION)
    except KeyError:
        return None
    run_id = version.run_metadata.get(TRAINING_RUN_KEY)
    if run_id is None:
        return None
    for step_run in client.get_pipeline_run(str(run_id)).steps.values():
        if artifact in step_run.outputs:
            return step_run.outputs[artifact][0].load()
    return None


def champion_version(model_registry: Any, model_name: str) -> str:
    """The registry version holding the ``champion`` alias; a clear error when there is none."""
    from portable_mlops.registry import version_by_alias

    found = version_by_alias(model_registry.mlflow_client, model_name, Aliases.CHAMPION)
    if found is None:
        raise NoChampionError(
            f"model '{model_name}' has no champion yet; train one first: python run.py --pipeline training"
        )
    return str(found.version)


def move_champion(model_registry: Any, model_name: str, new_version: str) -> str | None:
    """Make ``new_version`` the champion in MLflow (alias) and ZenML (stage ``production``).

    The version it replaces keeps the alias ``previous_champion`` (what a rollback returns to); a
    ``challenger`` alias on the new champion is removed. Returns the replaced version.
    """
    from zenml.client import Client
    from zenml.enums import ModelStages

    from portable_mlops.registry import version_by_alias

    client = model_registry.mlflow_client
    old = version_by_alias(client, model_name, Aliases.CHAMPION)
    replaced = str(old.version) if old is not None else None
    if replaced is not None and replaced != new_version:
        client.set_registered_model_alias(model_name, Aliases.PREVIOUS_CHAMPION, replaced)
    client.set_registered_model_alias(model_name, Aliases.CHAMPION, new_version)
    challenger = version_by_alias(client, model_name, Aliases.CHALLENGER)
    if challenger is not None and str(challenger.version) == new_version:
        client.delete_registered_model_alias(model_name, Aliases.CHALLENGER)
    for version in Client().list_model_versions(model_name_or_id=model_name, size=1000, hydrate=True).items:
        registry = version.run_metadata.get("registry")
        if isinstance(registry, dict) and str(registry.get("version")) == new_version:
            version.set_stage(ModelStages.PRODUCTION, force=True)
            break
    return replaced


def champion_holdout_metrics(model_name: str, X: Any, y: Any) -> tuple[str, dict[str, float] | str] | None:
    """The champion's registry version and its metrics on ``X``, ``y`` (the same holdout as the new
    model's), or why it cannot score them; None when the model has no champion yet.

    For the evaluation report only: the gate (``promote_model``) decides with its own, failing check.
    """
    from portable_mlops.evaluation import compute_metrics
    from portable_mlops.registry import active_registry, load_version, version_by_alias

    found = version_by_alias(active_registry().mlflow_client, model_name, Aliases.CHAMPION)
    if found is None:
        return None
    version = str(found.version)
    try:
        return version, compute_metrics(load_version(model_name, version), X, y)
    except Exception as exc:  # noqa: BLE001 - shown in the report; promote_model fails with the reason
        return version, f"{type(exc).__name__}: {str(exc)[:300]}"


def staleness(created_ms: int, now_ms: int, limit_days: float) -> tuple[float, bool]:
    """The champion's age in days (from its registry timestamp) and whether it exceeds the limit."""
    age = max(0.0, (now_ms - created_ms) / 86_400_000)
    return age, age > limit_days


def champion_recorded_metrics(model_name: str) -> tuple[str, dict[str, float]] | None:
    """The champion's registry version and the MLflow metrics of the run that logged it (its fit
    time, prediction time and peak memory among them); None when the model has no champion yet."""
    from portable_mlops.registry import active_registry, version_by_alias

    client = active_registry().mlflow_client
    found = version_by_alias(client, model_name, Aliases.CHAMPION)
    if found is None or not found.run_id:
        return None
    return str(found.version), dict(client.get_run(found.run_id).data.metrics)
