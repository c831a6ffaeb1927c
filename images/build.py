"""Building the project's images: the step image (what Kubeflow and Vertex pods run) and a model's
serving image (MLServer on the model's own requirements). ``make image`` and ``make serving-image``
call the command line below; the tests build the same images with the same functions.

Both are built with podman when Docker is absent (a project-owned containers.conf adapts podman to
the machine, :mod:`images.podman`). The base image is a build argument, ``python:3.11-slim`` by
default; where no registry is reachable (these machines), a Python 3.11 base is made locally from
Debian's mirror instead and said so. Wheels come from a wheelhouse filled on the host for the image's
platform (``~/.cache/portable-mlops/wheels``), so the build needs no network of its own. An image is
tagged by a content hash of its Dockerfile, its requirements and its build arguments: it is rebuilt
exactly when one of them changes, and reused otherwise.

    python -m images.build step [--image NAME] [--base-image REF] [--push]
    python -m images.build serving [--model models:/<name>@champion] [--push]
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click

from images import podman
from images.wheelhouse import download_wheelhouse

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / "requirements" / "runtime.lock"
DEFAULT_BASE = "python:3.11-slim"
WHEELS = Path(os.environ.get("PMLOPS_WHEELHOUSE", Path.home() / ".cache" / "portable-mlops" / "wheels"))


def engine() -> str:
    """``docker`` when a Docker engine answers, else ``podman`` (configured by :mod:`images.podman`)."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "info"], capture_output=True).returncode == 0:
        return "docker"
    return "podman"


def docker_build(dockerfile: Path, context_files: dict[str, Path], name: str, base: str | None, push: bool) -> None:
    """Build with a Docker engine (a user's machine): PyPI inside the build, ``python:3.11-slim`` base."""
    with tempfile.TemporaryDirectory(prefix="pmlops-context-") as tmp:
        for target, source in context_files.items():
            shutil.copyfile(source, Path(tmp, target))
        cmd = [
            "docker",
            "build",
            "-f",
            str(dockerfile),
            "-t",
            name,
            "--build-arg",
            f"BASE_IMAGE={base or DEFAULT_BASE}",
        ]
        subprocess.run([*cmd, tmp], check=True)
    if push:
        subprocess.run(["docker", "push", name], check=True)


def base_image(env: dict[str, str], requested: str | None) -> str:
    """The base image to build on: ``requested`` if given; else ``python:3.11-slim`` when it is present
    or can be pulled; else the Python 3.11 base made locally from Debian's mirror (no registry here)."""
    if requested:
        return requested
    if podman.image_exists(DEFAULT_BASE, env) or (
        subprocess.run(
            ["podman", "pull", "-q", f"docker.io/library/{DEFAULT_BASE}"], env=env, capture_output=True
        ).returncode
        == 0
    ):
        return DEFAULT_BASE
    click.echo(f"{DEFAULT_BASE} cannot be pulled (no registry reachable): building a local Python 3.11 base", err=True)
    return podman.ensure_python_base(env).ref


def uv() -> str:
    """The uv binary (next to this interpreter, as ``make install`` puts it, or on PATH)."""
    found = shutil.which("uv", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        raise podman.PodmanError("uv not found: pip install uv (the serving image's lock is resolved with it)")
    return found


def lock_serving(requirements: str, out: Path) -> Path:
    """An exact lock of a model's requirements plus the MLServer pins, for the image's Python and platform."""
    from portable_mlops.serving.images import SERVING_PINS, requirements_lines

    source = out.with_suffix(".in")
    source.write_text("\n".join([*requirements_lines(requirements), *SERVING_PINS]) + "\n")
    subprocess.run(
        [
            uv(),
            "pip",
            "compile",
            str(source),
            "--python-version",
            "3.11",
            "--python-platform",
            "x86_64-manylinux_2_36",
            "--quiet",
            "--no-header",
            "--no-annotate",
            "-o",
            str(out),
        ],
        check=True,
        env={**os.environ, "UV_SYSTEM_CERTS": os.environ.get("UV_SYSTEM_CERTS", "1")},
    )
    return out


def step_model_requirements(lock: Path = RUNTIME_LOCK, python: str = "3.11") -> str:
    """The ``requirements.txt`` a model trained in the step image carries, from the lock it is built from.

    A model is logged with MLflow and :data:`portable_mlops.modeling.tracking.SERVING_PACKAGES`, each
    pinned to what is installed (``xgboost-cpu`` is installed as ``xgboost``'s build on Linux), so
    the serving image of every model the step image trains is known before any training: the one
    ``make airflow-up`` builds.
    """
    from packaging.requirements import Requirement

    from portable_mlops.modeling.tracking import SERVING_PACKAGES

    environment = {"sys_platform": "linux", "platform_system": "Linux", "python_version": python}
    pins: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue
        requirement = Requirement(text)
        if requirement.marker is None or requirement.marker.evaluate(environment):
            pins[requirement.name.lower()] = str(requirement.specifier).removeprefix("==")
    lines = []
    for name in ("mlflow", *SERVING_PACKAGES):
        version = pins.get(name) or pins.get(f"{name}-cpu")
        if version is None:
            raise click.ClickException(f"{name} is not pinned in {lock}: re-lock with make lock")
        lines.append(f"{name}=={version}")
    return "\n".join(lines)


@contextlib.contextmanager
def one_build_at_a_time() -> Iterator[None]:
    """Hold the machine's image-build lock: builds from two processes (two test workers, or ``make image``
    during a test run) would fill the same wheelhouse and build the same content-hash tag twice; the
    second waits here and then finds the first one's image."""
    WHEELS.parent.mkdir(parents=True, exist_ok=True)
    with open(WHEELS.parent / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_step(
    env: dict[str, str], base: str | None = None, force: bool = False, no_cache: bool = False
) -> podman.BuildResult:
    """The step image from ``images/step/Dockerfile`` and ``requirements/runtime.lock``."""
    with one_build_at_a_time():
        return podman.build_step_image(
            RUNTIME_LOCK,
            env,
            wheelhouse=WHEELS,
            base_image=base_image(env, base),
            force=force,
            no_cache=no_cache,
            prepare=lambda: download_wheelhouse(RUNTIME_LOCK, WHEELS),  # only when the image is built
        )


def build_serving(env: dict[str, str], requirements: str, base: str | None = None) -> podman.BuildResult:
    """The MLServer image of a model from ``images/serving/Dockerfile`` and the model's requirements."""
    with one_build_at_a_time(), tempfile.TemporaryDirectory(prefix="pmlops-serving-") as tmp:
        model_requirements = Path(tmp, "requirements.txt")
        model_requirements.write_text(requirements)
        lock = lock_serving(requirements, Path(tmp, "constraints.txt"))
        return podman.build_image(
            podman.HERE / "serving" / "Dockerfile",
            podman.SERVING_REPOSITORY,
            env,
            context_files={"requirements.txt": model_requirements, "constraints.txt": lock},
            build_args={"BASE_IMAGE": base_image(env, base), "PIP_INSTALL_ARGS": "--no-index --find-links /wheels"},
            volumes=[f"{WHEELS.resolve()}:/wheels:ro"],
            prepare=lambda: download_wheelhouse(lock, WHEELS),  # only when the image is built
        )


def tag_and_push(env: dict[str, str], ref: str, name: str, push: bool) -> None:
    """Tag ``ref`` as ``name``; push it when asked (to the registry ``name`` names)."""
    podman.tag(ref, name, env)
    click.echo(f"tagged {name}")
    if push:
        subprocess.run(["podman", "push", name], env=env, check=True)
        click.echo(f"pushed {name}")


@click.group()
def main() -> None:
    """Build the project's images with podman (the step image; a model's serving image)."""


@main.command()
@click.option("--image", default=None, help="Also tag the image with this name (e.g. <registry>/portable-mlops:0.1.0).")
@click.option("--base-image", default=None, help="BASE_IMAGE; default python:3.11-slim, or a local base offline.")
@click.option("--push", is_flag=True, help="Push --image to its registry.")
@click.option("--force", is_flag=True, help="Rebuild even when the content-hash tag exists.")
def step(image: str | None, base_image: str | None, push: bool, force: bool) -> None:
    """The image the pipeline steps run in on Kubeflow and Vertex (runtime dependencies only)."""
    if engine() == "docker":
        docker_build(
            podman.HERE / "step" / "Dockerfile",
            {"requirements.txt": RUNTIME_LOCK},
            image or "portable-mlops",
            base_image,
            push,
        )
        return
    env = podman.podman_env()
    try:
        podman.check_podman(env)
        result = build_step(env, base_image, force)
    except (podman.PodmanError, subprocess.CalledProcessError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'built' if result.built else 'reused'} {result.ref} ({result.seconds:.0f} s)")
    if image:
        tag_and_push(env, result.ref, image, push)


@main.command()
@click.option(
    "--model",
    default=None,
    help="A model URI, e.g. models:/breast_cancer_classifier@champion; default: any model the step image trains.",
)
@click.option("--base-image", default=None, help="BASE_IMAGE; default python:3.11-slim, or a local base offline.")
@click.option("--registry", default=None, help="Name the image under this registry; default: the active stack's.")
@click.option("--push", is_flag=True, help="Push the image to the active stack's container registry.")
def serving(model: str | None, base_image: str | None, registry: str | None, push: bool) -> None:
    """The MLServer image of a registered model (or of the models the step image trains), named as the
    Seldon and container deployers expect it."""
    import portable_mlops.compat  # noqa: F401
    from portable_mlops.lifecycle.registry import active_registry
    from portable_mlops.serving.images import serving_image
    from portable_mlops.serving.seldon import model_requirements

    if model is not None:
        active_registry()  # MLflow pointed at the active stack's tracking server
    if registry is None:
        from zenml.client import Client

        component = Client().active_stack.container_registry
        registry = component.config.uri if component is not None else "localhost"
    requirements = model_requirements(model) if model is not None else step_model_requirements()
    env = podman.podman_env()
    try:
        podman.check_podman(env)
        result = build_serving(env, requirements, base_image)
    except (podman.PodmanError, subprocess.CalledProcessError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'built' if result.built else 'reused'} {result.ref} ({result.seconds:.0f} s)")
    name = serving_image(registry, requirements)
    tag_and_push(env, result.ref, name, push)


if __name__ == "__main__":
    main()
