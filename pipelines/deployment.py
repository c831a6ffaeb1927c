"""The deployment pipeline: serve the champion through the stack's model deployer."""

from zenml import pipeline

from portable_mlops.names import Pipelines
from portable_mlops.params import DeployParams
from steps import deploy_model
from steps.cache import CODE_CACHE_POLICY


@pipeline(name=Pipelines.DEPLOYMENT, cache_policy=CODE_CACHE_POLICY)
def deployment_pipeline(deploy: DeployParams = DeployParams()) -> None:
    """Deploy the champion blue/green after a smoke check."""
    deploy_model(deploy)
