"""The deployment pipeline: serve the champion through the stack's model deployer."""

from zenml import pipeline

from portable_mlops.names import Pipelines
from portable_mlops.params import DeployParams
from steps import deploy_model


@pipeline(name=Pipelines.DEPLOYMENT)
def deployment_pipeline(deploy: DeployParams = DeployParams()) -> None:
    """Deploy the champion blue/green after a smoke check."""
    deploy_model(deploy)
