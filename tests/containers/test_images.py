"""The images, built for real with podman: the step image holds the runtime only and starts ZenML's step
entrypoint; the serving image serves a model's predictions; images are rebuilt exactly when their inputs change."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from images import podman

pytestmark = pytest.mark.containers
DEV_TOOLS = ("pytest", "ruff", "mypy", "moto", "hypothesis", "pandas-stubs", "import-linter")


def in_image(env: dict[str, str], image: str, *command: str) -> str:
    proc = podman.run_container(image, list(command), env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_the_step_image_holds_the_runtime_and_no_dev_tools(step_image: str, podman_env: dict[str, str]) -> None:
    installed = in_image(podman_env, step_image, "python", "-m", "pip", "list", "--format=freeze").lower()
    names = {line.split("==")[0] for line in installed.split()}
    assert {"zenml", "mlflow", "whylogs", "scikit-learn", "xgboost-cpu", "kfp", "fairlearn"} <= names
    assert not names & set(DEV_TOOLS), sorted(names & set(DEV_TOOLS))
    assert in_image(podman_env, step_image, "sh", "-c", "command -v python").strip() == "/opt/venv/bin/python"


def test_zenmls_step_entrypoint_starts_in_the_step_image(step_image: str, podman_env: dict[str, str]) -> None:
    out = in_image(podman_env, step_image, "python", "-m", "zenml.entrypoints.entrypoint", "--help")
    assert "--entrypoint_config_source" in out


def test_an_image_is_rebuilt_exactly_when_its_dockerfile_or_lock_changes(tmp_path: Path) -> None:
    dockerfile, lock = tmp_path / "Dockerfile", tmp_path / "requirements.txt"
    dockerfile.write_text("FROM scratch\n")
    lock.write_text("numpy==2.4.6\n")
    first = podman.content_hash([dockerfile, lock], {"arg:BASE_IMAGE": "python:3.11-slim"})
    assert first == podman.content_hash([dockerfile, lock], {"arg:BASE_IMAGE": "python:3.11-slim"})
    lock.write_text("numpy==2.4.5\n")
    changed_lock = podman.content_hash([dockerfile, lock], {"arg:BASE_IMAGE": "python:3.11-slim"})
    dockerfile.write_text("FROM scratch\nENV A=1\n")
    changed_dockerfile = podman.content_hash([dockerfile, lock], {"arg:BASE_IMAGE": "python:3.11-slim"})
    changed_base = podman.content_hash([dockerfile, lock], {"arg:BASE_IMAGE": "localhost/base"})
    assert len({first, changed_lock, changed_dockerfile, changed_base}) == 4


def test_the_benchmark_records_the_step_images_size_and_rebuild(step_image: str) -> None:
    """benchmarks/images.py without its cold build (make bench measures that): the figures it reports."""
    from benchmarks import images

    figures = images.run(cold=False)
    assert figures["step_image"] == step_image and figures["unchanged_rebuild_reused"] is True
    assert figures["step_image_mb"] > figures["base_image_mb"] > 0


def test_what_a_build_needs_is_prepared_only_when_the_image_is_built(
    tmp_path: Path, podman_env: dict[str, str]
) -> None:
    """``prepare`` (the wheelhouse download of the step and serving builds) runs for a build, not for a reuse."""
    dockerfile, data = tmp_path / "Dockerfile", tmp_path / "data.txt"
    dockerfile.write_text("FROM scratch\nCOPY data.txt /data.txt\n")
    data.write_text(f"{tmp_path}\n")  # a tag of its own for this test
    calls: list[str] = []

    def build() -> podman.BuildResult:
        return podman.build_image(
            dockerfile,
            "localhost/pmlops-test-prepare",
            podman_env,
            context_files={"data.txt": data},
            prepare=lambda: calls.append("prepared"),
        )

    first = build()
    try:
        again = build()
        assert (first.built, again.built, again.ref) == (True, False, first.ref)
        assert calls == ["prepared"]
    finally:
        subprocess.run(["podman", "rmi", "-f", first.ref], env=podman_env, capture_output=True)
