"""Step: deploy the champion through the active stack's model deployer."""

import json
from typing import Annotated, Any

import numpy as np
from zenml import get_step_context, log_metadata, step
from zenml.client import Client
from zenml.logger import get_logger
from zenml.services import BaseService

from portable_mlops.champion import champion_version, move_champion, production_artifact
from portable_mlops.deployment import (
    DeploymentError,
    Target,
    canary_version,
    model_servers,
    plan_for,
    predict_via,
    roll_out,
    same_spec,
    served_version,
)
from portable_mlops.names import Aliases, Artifacts
from portable_mlops.params import DeployParams
from portable_mlops.registry import active_registry, input_columns, load_version, version_by_alias
from portable_mlops.rollout import Live, plan_rollout
from portable_mlops.serving import payload

logger = get_logger(__name__)


@step(enable_cache=False)
def deploy_model(deploy: DeployParams) -> Annotated[BaseService, Artifacts.DEPLOYMENT]:
    """Serve the champion (and a canary) and prove the endpoint answers before it takes traffic.

    ``deploy.rollout`` picks the versions (deploy, canary, promote, rollback; see
    :func:`portable_mlops.rollout.plan_rollout`); the deployer's flavor picks the service config and
    the strategy (blue/green with MLflow locally, in place with Seldon). Holdout rows of the champion
    go to the endpoint; every answer must equal the prediction of a version it serves. A healthy
    endpoint that already serves the same spec is kept (``force`` redeploys). Promote and rollback
    move the registry's ``champion`` alias only after the new spec passed.

    Args:
        deploy: Rollout, smoke-check size, timeouts, workers, replicas, resources, force.

    Returns:
        The running service (its ``prediction_url`` is the endpoint).
    """
    registry, deployer = active_registry(), Client().active_stack.model_deployer
    if deployer is None:
        raise DeploymentError("the active stack has no model deployer; use a stack from stacks/ (--stack local)")
    context = get_step_context()
    name = context.model.name
    client = registry.mlflow_client
    live_services = [s for s in model_servers(deployer, name) if s.is_running]
    live = Live(served_version(live_services[0]), canary_version(live_services[0])) if live_services else Live()
    alias = lambda a: getattr(version_by_alias(client, name, a), "version", None)  # noqa: E731
    served = plan_rollout(
        deploy.rollout,
        champion=champion_version(registry, name),
        challenger=str(alias(Aliases.CHALLENGER)) if alias(Aliases.CHALLENGER) else None,
        previous=str(alias(Aliases.PREVIOUS_CHAMPION)) if alias(Aliases.PREVIOUS_CHAMPION) else None,
        live=live,
        canary_traffic=deploy.canary_traffic,
    )
    uris = {v: registry.get_model_version(name, v).model_source_uri for v in served.versions}
    holdout = production_artifact(name, Artifacts.TEST_SET)
    if holdout is None:
        raise DeploymentError(f"the champion of '{name}' has no holdout set to smoke-check with; retrain it")
    sample = holdout[input_columns(uris[served.main])].head(deploy.smoke_rows)
    expected = [np.asarray(load_version(name, v).predict(sample)).astype(str) for v in served.versions]

    def smoke(service: Any) -> None:
        answered = np.asarray(predict_via(service, sample)).astype(str)
        if answered.shape != expected[0].shape or not np.all(np.any([answered == e for e in expected], axis=0)):
            raise DeploymentError(
                f"smoke check: endpoint answered {answered[:5]}, the model predicts {expected[0][:5]}"
            )

    target = Target(
        name,
        served.main,
        uris[served.main],
        context.pipeline.name,
        context.step_run.name,
        deploy.workers,
        deploy.timeout,
        canary_version=served.canary,
        canary_uri=uris.get(served.canary) if served.canary else None,
        canary_traffic=served.canary_traffic,
        replicas=deploy.replicas,
        resources=deploy.resources.model_dump(),
        implementation=deploy.implementation,
        model_root=deploy.model_root,
    )
    plan = plan_for(deployer.flavor, target)
    service = None
    current = [s for s in live_services if same_spec(s, plan)]
    if current and not deploy.force:
        try:
            smoke(current[0])
            service = current[0]
            logger.info("Endpoint %s already serves %s v%s; kept", service.prediction_url, name, served.main)
        except Exception as exc:  # noqa: BLE001 - an unhealthy endpoint is replaced below
            logger.warning("Endpoint %s fails its smoke check (%s); replacing it", current[0].prediction_url, exc)
    if service is None:
        service = roll_out(deployer.flavor, deployer, plan, name, smoke, deploy.timeout)
        canary = f" + canary v{served.canary} at {served.canary_traffic}%" if served.canary else ""
        logger.info("Deployed %s v%s%s at %s", name, served.main, canary, service.prediction_url)
    replaced = move_champion(registry, name, served.new_champion) if served.new_champion else None
    log_metadata(
        metadata={
            "endpoint": str(service.prediction_url),
            "registry_version": served.main,
            "canary_version": served.canary or "",
            "canary_traffic": served.canary_traffic,
            "rollout": deploy.rollout,
            "previous_champion": replaced or "",
            "deployer": deployer.flavor,
            "example_request": json.dumps(payload(sample.head(1))),
        }
    )
    return service
