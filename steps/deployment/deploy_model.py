"""Step: deploy the champion through the active stack's model deployer."""

import json
from typing import Annotated, Any

import numpy as np
from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.logger import get_logger
from zenml.services import BaseService

from portable_mlops.champion import champion_version, production_artifact
from portable_mlops.deployment import DeploymentError, Target, blue_green, model_servers, plan_for, served_version
from portable_mlops.names import Artifacts
from portable_mlops.params import DeployParams
from portable_mlops.registry import active_registry, input_columns, load_version
from portable_mlops.serving import payload, predict_http

logger = get_logger(__name__)


@step(enable_cache=False)
def deploy_model(deploy: DeployParams) -> Annotated[BaseService, Artifacts.DEPLOYMENT]:
    """Serve the current champion, blue/green, and prove it answers before it replaces anything.

    The deployer's flavor picks the service config (MLflow locally, Seldon on Kubernetes). Holdout
    rows of the champion are sent to the new endpoint; its answers must equal the registered model's
    own predictions. If a healthy endpoint already serves this version it is kept (``force`` redeploys).

    Args:
        deploy: Smoke-check size, timeouts, workers, force.

    Returns:
        The running service (its ``prediction_url`` is the endpoint).
    """
    registry, deployer = active_registry(), Client().active_stack.model_deployer
    if deployer is None:
        raise DeploymentError("the active stack has no model deployer; use a stack from stacks/ (--stack local)")
    context = get_step_context()
    name = context.model.name
    version = champion_version(registry, name)
    model_uri = registry.get_model_version(name, version).model_source_uri
    holdout = production_artifact(name, Artifacts.TEST_SET)
    if holdout is None:
        raise DeploymentError(f"the champion of '{name}' has no holdout set to smoke-check with; retrain it")
    sample = holdout[input_columns(model_uri)].head(deploy.smoke_rows)
    expected = np.asarray(load_version(name, version).predict(sample)).astype(str)

    def smoke(service: Any) -> None:
        answered = predict_http(service.prediction_url, sample).astype(str)
        if not np.array_equal(answered, expected):
            raise DeploymentError(f"smoke check: endpoint answered {answered[:5]}, the model predicts {expected[:5]}")

    current = [s for s in model_servers(deployer, name) if s.is_running and served_version(s) == version]
    service = None
    if current and not deploy.force:
        try:
            smoke(current[0])
            service = current[0]
            logger.info("Endpoint %s already serves %s v%s; kept", service.prediction_url, name, version)
        except Exception as exc:  # noqa: BLE001 - an unhealthy endpoint is replaced below
            logger.warning("Endpoint %s fails its smoke check (%s); replacing it", current[0].prediction_url, exc)
    if service is None:
        target = Target(
            name, version, model_uri, context.pipeline.name, context.step_run.name, deploy.workers, deploy.timeout
        )
        service = blue_green(deployer, plan_for(deployer.flavor, target), name, smoke, deploy.timeout)
        logger.info("Deployed %s v%s at %s", name, version, service.prediction_url)
    log_metadata(
        metadata={
            "endpoint": str(service.prediction_url),
            "registry_version": version,
            "deployer": deployer.flavor,
            "example_request": json.dumps(payload(sample.head(1))),
        }
    )
    return service
