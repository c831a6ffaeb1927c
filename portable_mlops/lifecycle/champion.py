"""The champion: the one module that reads and moves it.

A model's champion is named twice, and both names always move together here: the MLflow registry
alias ``champion`` (what serving loads, ``models:/<name>@champion``) and the ZenML Model Control
Plane stage ``production`` (what the dashboard and later runs see). Every move also writes
``previous_champion`` on the version it replaces, so a rollback has somewhere to go back to. The
promotion gate and the rollouts call :func:`move_champion`; nothing else sets these aliases or stages.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from portable_mlops.data.sources import CHAMPION_HOLDOUT
from portable_mlops.errors import UserFacingError
from portable_mlops.lifecycle.registry import active_registry, load_version, version_by_alias
from portable_mlops.names import Aliases, Artifacts
from portable_mlops.params import DataSource

if TYPE_CHECKING:  # the evaluation and monitoring code is imported where it is used: the CLI reads aliases light
    import pandas as pd

    from portable_mlops.evaluation.holdout import Champion
    from portable_mlops.monitoring.staleness import ExpectedQuality

logger = logging.getLogger(__name__)


class NoChampionError(UserFacingError, LookupError):
    """The model has no champion yet."""


#: Key of the model-version metadata that names the training run which produced the version.
TRAINING_RUN_KEY = "training_run_id"
#: Key of the model-version metadata that names the registry version (``{"name": ..., "version": ...}``).
REGISTRY_KEY = "registry"


def current_champion(model_registry: Any, model_name: str) -> str | None:
    """The registry version holding the ``champion`` alias, or None when there is none yet."""
    found = version_by_alias(model_registry.mlflow_client, model_name, Aliases.CHAMPION)
    return str(found.version) if found is not None else None


def champion_version(model_registry: Any, model_name: str) -> str:
    """The registry version holding the ``champion`` alias; a clear error when there is none."""
    version = current_champion(model_registry, model_name)
    if version is None:
        raise NoChampionError(
            f"model '{model_name}' has no champion yet; train one first: python run.py --pipeline training"
        )
    return version


def alias_version(model_registry: Any, model_name: str, alias: Aliases) -> str | None:
    """The registry version holding ``alias`` (challenger, previous_champion), or None."""
    found = version_by_alias(model_registry.mlflow_client, model_name, alias)
    return str(found.version) if found is not None else None


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


def model_version_of(model_name: str, registry_version: str) -> Any | None:
    """The newest ZenML model version that registered ``registry_version`` (its metadata says so)."""
    from zenml.client import Client

    try:
        versions = (
            Client()
            .list_model_versions(model_name_or_id=model_name, sort_by="desc:created", size=1000, hydrate=True)
            .items
        )
    except KeyError:
        return None
    for version in versions:
        registry = version.run_metadata.get(REGISTRY_KEY)
        if isinstance(registry, dict) and str(registry.get("version")) == registry_version:
            return version
    return None


def set_stage(model_name: str, registry_version: str, stage: str) -> None:
    """Set the ZenML stage of the model version that registered ``registry_version`` (if ZenML knows it)."""
    from zenml.enums import ModelStages

    found = model_version_of(model_name, registry_version)
    if found is not None:
        found.set_stage(ModelStages(stage), force=True)


def sync_production_stage(model_registry: Any, model_name: str, attempts: int = 10) -> str | None:
    """Give the ZenML stage ``production`` to the version holding the ``champion`` alias, until both agree.

    The alias is read again after each stage move: when two promotions race, the one that moved the
    alias last also moves the stage last, so the MLflow alias and the ZenML stage end naming the same
    version whatever the interleaving. Returns the champion it settled on.
    """
    staged = None
    for _ in range(attempts):
        champion = current_champion(model_registry, model_name)
        if champion is None or champion == staged:
            return champion
        set_stage(model_name, champion, "production")
        staged = champion
    return staged


def move_champion(model_registry: Any, model_name: str, new_version: str) -> str | None:
    """Make ``new_version`` the champion: MLflow alias ``champion`` and ZenML stage ``production``.

    The version it replaces gets the alias ``previous_champion`` (what a rollback returns to); a
    ``challenger`` alias on the new champion is removed; the stage follows the alias
    (:func:`sync_production_stage`). Returns the replaced registry version (None when there was no
    champion, or it is the same).
    """
    client = model_registry.mlflow_client
    replaced = current_champion(model_registry, model_name)
    if replaced == new_version:
        replaced = None
    if replaced is not None:
        client.set_registered_model_alias(model_name, Aliases.PREVIOUS_CHAMPION, replaced)
    client.set_registered_model_alias(model_name, Aliases.CHAMPION, new_version)
    if alias_version(model_registry, model_name, Aliases.CHALLENGER) == new_version:
        client.delete_registered_model_alias(model_name, Aliases.CHALLENGER)
    sync_production_stage(model_registry, model_name)
    return replaced


def mark_challenger(model_registry: Any, model_name: str, version: str) -> None:
    """Keep ``version`` beside the champion: MLflow alias ``challenger`` and ZenML stage ``staging``."""
    model_registry.mlflow_client.set_registered_model_alias(model_name, Aliases.CHALLENGER, version)
    if current_champion(model_registry, model_name) != version:
        set_stage(model_name, version, "staging")


def champion_snapshot(model_name: str) -> Champion | None:
    """The current champion as the evaluation needs it: version, loaded model and recorded measures.

    A champion that fails to load is returned with the reason (the report shows it; the gate then
    stops with it); None when there is no champion yet.
    """
    from portable_mlops.evaluation.holdout import Champion

    registry = active_registry()
    version = current_champion(registry, model_name)
    if version is None:
        return None
    recorded = recorded_metrics(registry, model_name, version)
    try:
        return Champion(version, load_version(model_name, version), recorded=recorded)
    except Exception as exc:  # noqa: BLE001 - shown in the report; the gate stops with the reason
        return Champion(version, load_error=f"{type(exc).__name__}: {str(exc)[:300]}", recorded=recorded)


def recorded_metrics(model_registry: Any, model_name: str, version: str) -> dict[str, float]:
    """The MLflow metrics of the run that logged a registry version (fit time, peak memory, ...)."""
    client = model_registry.mlflow_client
    found = client.get_model_version(model_name, version)
    return dict(client.get_run(found.run_id).data.metrics) if found.run_id else {}


def expected_on_batch(model_name: str, target: str, batch: Any, reference: Any) -> ExpectedQuality | None:
    """The champion's expected quality at a batch's shift (from the two whylogs profiles), on its
    own holdout with the metric of its quality-under-shift curve; None, logged, when it cannot be
    computed: an estimate for monitoring never stops the drift check."""
    from portable_mlops.evaluation.metrics import score
    from portable_mlops.monitoring.staleness import expected_quality

    try:
        model, test = (
            production_artifact(model_name, Artifacts.MODEL),
            production_artifact(model_name, Artifacts.TEST_SET),
        )
        quality = production_artifact(model_name, Artifacts.QUALITY)
        if model is None or test is None or target not in test.columns:
            return None
        metric = quality.decay.metric if quality is not None else "balanced_accuracy"
        X, y = test.drop(columns=[target]), test[target]
        return expected_quality(lambda X_, y_: score(model, X_, y_, metric), X, y, batch, reference, metric)
    except Exception as exc:  # noqa: BLE001 - an estimate for monitoring must never stop the drift check
        logger.warning("Expected quality at this batch's shift not computed: %s: %s", type(exc).__name__, exc)
        return None


def load_data_for(model_name: str, source: DataSource) -> pd.DataFrame:
    """The data ``source`` names, with :data:`~portable_mlops.data.loading.CHAMPION_HOLDOUT` read as the
    holdout of ``model_name``'s champion (rows it never trained on), everything else as files."""
    from portable_mlops.data.loading import load_source

    if source.uri != CHAMPION_HOLDOUT:
        return load_source(source)
    holdout = production_artifact(model_name, Artifacts.TEST_SET)
    if holdout is None:
        raise NoChampionError(
            f"model '{model_name}' has no champion, so {CHAMPION_HOLDOUT} has no rows; train one first: "
            "python run.py --pipeline training"
        )
    return load_source(source, holdout)
