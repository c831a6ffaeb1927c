"""Fixtures for the tests that build and run the project's images with podman (a pytest plugin, loaded
by tests/conftest.py): podman configured for this machine, the step image and models' serving images.

Nothing skips: on a machine without podman these fixtures fail with the fix (``.ci/run`` installs it).
Images are built once and reused while their inputs are unchanged (content-hash tags, images/podman.py):
a change of a Dockerfile, of the runtime lock or of a model's requirements builds a new image.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from images import build, podman


@pytest.fixture(scope="session")
def podman_env() -> dict[str, str]:
    """podman's environment with the project's containers.conf; fails, with the fix, if podman cannot run."""
    env = podman.podman_env(base=os.environ)
    try:
        podman.check_podman(env)
    except podman.PodmanError as exc:
        pytest.fail(f"podman is needed by the containers and seldon tests: {exc}", pytrace=False)
    return env


@pytest.fixture(scope="session")
def step_image(podman_env: dict[str, str]) -> str:
    """The step image built from images/step/Dockerfile and requirements/runtime.lock (reused if unchanged)."""
    return build.build_step(podman_env).ref


@pytest.fixture(scope="session")
def serving_image(podman_env: dict[str, str]) -> Callable[[str, str], str]:
    """``(requirements, name) -> name``: a model's MLServer image, built for its requirements and tagged
    ``name`` (the name the Seldon deployer renders), as ``make serving-image`` does."""

    def make(requirements: str, name: str) -> str:
        podman.tag(build.build_serving(podman_env, requirements).ref, name, podman_env)
        return name

    return make


def model_requirements_at(tracking_uri: str, model_uri: str) -> str:
    """A registered model's requirements.txt, read from the MLflow tracking server at ``tracking_uri``."""
    import mlflow

    from portable_mlops.serving.seldon import model_requirements

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(tracking_uri)
    try:
        return model_requirements(model_uri)
    finally:
        mlflow.set_tracking_uri(previous)
