"""Step: register the chosen model in the stack's model registry."""

from typing import Annotated

import zenml
from zenml import get_step_context, step

from portable_mlops.lifecycle.champion import REGISTRY_KEY, TRAINING_RUN_KEY
from portable_mlops.lifecycle.registry import active_registry, register_version
from portable_mlops.names import Artifacts


@step(enable_cache=False)
def register_model(
    model_uri: str, metrics: dict[str, float], task: str = "classification", model: str = ""
) -> Annotated[str, Artifacts.REGISTRY_VERSION]:
    """Register the model as a new version under the pipeline's model name.

    The registry version is tagged with the ZenML run, pipeline and model version it came from, so
    either side leads to the other. The ZenML Model Control Plane version is this run's model version.

    Args:
        model_uri: The MLflow URI of the model to register.
        metrics: Holdout metrics, stored in the version's description.
        task: classification or regression: a tag of the registry version and the model version's metadata.
        model: The model's name (``RunFacts.model``): the cache key only. A re-run of the same model reuses
            its registration; the same trained model under another ``--model-name`` is registered there.

    Returns:
        The registry's version number, as a string.
    """
    registry = active_registry()
    context = get_step_context()
    tags = {
        "zenml_version": zenml.__version__,
        "zenml_run_name": context.pipeline_run.name,
        "zenml_pipeline_name": context.pipeline.name,
        "zenml_pipeline_run_uuid": str(context.pipeline_run.id),
        "zenml_step_name": context.step_run.name,
        "zenml_model_version": str(context.model.version),
        "task": task,
    }
    summary = ", ".join(f"{k} {v:.4f}" for k, v in sorted(metrics.items()))
    version = register_version(registry, context.model.name, model_uri, f"Holdout: {summary}", tags)
    context.model.log_metadata(
        {
            REGISTRY_KEY: {"name": context.model.name, "version": version},
            TRAINING_RUN_KEY: str(context.pipeline_run.id),
            "task": task,
        }
    )
    return version
