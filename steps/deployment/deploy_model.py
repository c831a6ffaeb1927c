"""Step: deploy the champion through the active stack's model deployer."""

from typing import Annotated

from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.services import BaseService

from portable_mlops.lifecycle.registry import active_registry
from portable_mlops.names import Artifacts
from portable_mlops.params import DeployParams
from portable_mlops.serving.deploy import deploy_champion


@step(enable_cache=False)
def deploy_model(deploy: DeployParams) -> Annotated[BaseService, Artifacts.DEPLOYMENT]:
    """Serve the champion (and a canary) and prove the endpoint answers before it takes traffic.

    ``deploy.rollout`` picks the versions (deploy, canary, promote, rollback); the deployer's flavor
    picks the service config and the strategy (blue/green with MLflow locally, in place with Seldon).
    Holdout rows of the champion go to the endpoint; every answer must equal the prediction of a
    version it serves. Promote and rollback move the champion only after the new spec passed
    (:func:`portable_mlops.serving.deploy.deploy_champion`).

    Args:
        deploy: Rollout, smoke-check size, timeouts, workers, replicas, resources, force.

    Returns:
        The running service (its ``prediction_url`` is the endpoint).
    """
    context = get_step_context()
    deployed = deploy_champion(
        active_registry(),
        Client().active_stack.model_deployer,
        context.model.name,
        deploy,
        context.pipeline.name,
        context.step_run.name,
    )
    log_metadata(metadata=deployed.metadata)
    return deployed.service
