"""Run a compiled KFP pipeline (YAML) with ``kfp.local.DockerRunner`` over podman's Docker API.

kfp.local (kfp 2.16.1) already resolves the DAG (topological order, data passing between tasks),
the command/args placeholders (inputs, outputs, ``{{$.pipeline_job_name}}`` ...) and the task and
pipeline states. On podman 4.3 and for ZenML's compiled pipelines it has three gaps; this module
closes each with the smallest change it could find and leaves everything else to kfp.local:

1. ``auto_remove=True`` races on podman 4.3 (``kfp.local.docker_task_handler.run_docker_container``):
   the container is gone before ``wait()``, kfp swallows the ``NotFound`` and reports SUCCESS. Measured
   here: a task that exits 3 was reported SUCCESS in all 190 completed stock runs; a task whose env was
   missing (exit 5) "succeeded" too. The "no such container" crash reported earlier (about 7%) did not
   show in about 390 stock runs this time, but 2 of them hung for ever in ``logs(stream=True)``.
   Workaround: :func:`run_container_without_auto_remove` replaces that one module function while
   :func:`podman_docker_runner` is active: run detached without auto-remove, stream the logs, ``wait()``
   for the real exit code, then remove the container. (Streaming with ``follow`` alone is not enough:
   on podman 4.3 the stream of a container that exits at once sometimes never ends - 3 in 100 instant
   tasks - so the exit code comes from ``wait()`` and a stalled stream is replaced by a plain ``logs()``
   after 2 s.)
2. kfp.local never applies a task's own container ``env`` from the compiled spec (its DockerRunner
   passes only runner-wide ``container_run_args``, the same for every task, and it resolves placeholders
   in command and args only). ZenML's Kubeflow/Vertex orchestrators put each step's settings there,
   including ``KFP_RUN_ID={{$.pipeline_job_name}}``. Workaround: :func:`env_into_command` rewrites
   each executor's command to ``env NAME=VALUE ... <command>`` before kfp.local sees it, so kfp.local's
   own placeholder resolution fills ``{{$.pipeline_job_name}}`` (with the same local job name it uses
   everywhere else) and ``env`` execs the original command with the variables set. The image needs
   ``/usr/bin/env`` (every Debian-based image has it; distroless ones do not), and the values become
   part of the container's command (``podman inspect`` shows them - as a pod spec shows env on KFP).
3. kfp.local passes the component's command as Docker ``command`` (CMD), so an image ENTRYPOINT would
   run in front of it; on Kubernetes the container ``command`` replaces the ENTRYPOINT. Workaround: the
   replacement passes ``entrypoint=command[:1]`` and ``command=command[1:]`` (unless the runner sets an
   entrypoint itself).

Not fixed (not needed for ZenML, whose tasks exchange no KFP artifacts): kfp.local collects output
*artifacts* of container components only from an executor output file, so a downstream
``dsl.Input[Artifact]`` of a container component fails ("task ... has no output named ...").
Output *parameters* (``dsl.OutputPath(str)``) work.

Usage (the podman API socket comes from ``images/podman.py podman_service``)::

    with podman_service(env) as docker_host:
        outputs = run_compiled_pipeline("pipeline.yaml", docker_host, pipeline_root="/tmp/kfp-root",
                                        network_mode="host")

Needs ``kfp`` (2.16.1 tested) and ``docker`` (7.1.0), both in the project's lock; no zenml import.
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

#: Marks the env prefix added by env_into_command (so it is never added twice).
ENV_PREFIX = "env"
#: How long the log stream may lag behind a container's exit before the rest is fetched without follow.
LOG_GRACE_SECONDS = 2.0


def env_into_command(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return a copy of a compiled pipeline's YAML documents with each task's env moved into its command.

    For every container executor of ``deploymentSpec`` with an ``env`` list, the command becomes
    ``["env", "NAME=VALUE", ..., *command]``. Values keep their placeholders; kfp.local resolves them
    like any command element. The ``env`` list stays in the spec (kfp.local ignores it). Raises
    ValueError for an executor with env but no command (the image's ENTRYPOINT would be needed).
    """
    docs = copy.deepcopy(documents)
    spec = docs[0]
    executors = spec.get("deploymentSpec", {}).get("executors", {})
    for name, executor in executors.items():
        container = executor.get("container")
        if not container or not container.get("env"):
            continue
        command = list(container.get("command") or [])
        if not command:
            raise ValueError(f"executor {name} sets env but has no command: kfp_local cannot prefix env")
        pairs = [f"{item['name']}={item.get('value', '')}" for item in container["env"]]
        if command[: 1 + len(pairs)] == [ENV_PREFIX, *pairs]:
            continue
        container["command"] = [ENV_PREFIX, *pairs, *command]
    return docs


def load_pipeline_documents(path: str | Path) -> list[dict[str, Any]]:
    """Read a compiled pipeline: KFP's YAML (the PipelineSpec, plus a platform spec document if present)
    or a Vertex AI job's JSON, whose ``pipelineSpec`` is the same pipeline IR."""
    documents = [doc for doc in yaml.safe_load_all(Path(path).read_text()) if doc is not None]
    if documents and "pipelineSpec" in documents[0]:
        return [documents[0]["pipelineSpec"]]
    return documents


def run_container_without_auto_remove(
    client: Any, image: str, command: list[str], volumes: dict[str, Any], **container_run_args: Any
) -> int:
    """Drop-in for ``kfp.local.docker_task_handler.run_docker_container`` (workarounds 1 and 3).

    Runs detached without auto-remove, streams the logs to stdout while it runs, waits for the exit
    code, prints whatever the stream missed, removes the container and returns the exit code. Pulls
    the image only when it is not present locally.

    The log stream runs in a thread because podman 4.3's ``logs(follow=True)`` sometimes never ends
    for a container that exits at once (seen in about 1 of 35 very short tasks): the exit code comes
    from ``wait()``, and after :data:`LOG_GRACE_SECONDS` the rest of the log is fetched without follow.
    """
    import docker

    if ":" not in image.rsplit("/", 1)[-1] and "@" not in image:
        image = f"{image}:latest"
    try:
        client.images.get(image)
        print(f"Found image {image!r}\n")
    except docker.errors.ImageNotFound:
        print(f"Pulling image {image!r}")
        client.images.pull(image)
    run_args = dict(container_run_args)
    run_args.pop("auto_remove", None)
    if "entrypoint" not in run_args and command:
        run_args["entrypoint"], command = command[:1], command[1:]
    container = client.containers.run(image=image, command=command, detach=True, volumes=volumes, **run_args)
    lock = threading.Lock()
    state = {"printed": 0, "abandoned": False}
    finished = threading.Event()

    def pump() -> None:
        try:
            for chunk in container.logs(stream=True, follow=True):
                with lock:
                    if state["abandoned"]:
                        return
                    print(chunk.decode(errors="replace"), end="")
                    state["printed"] += len(chunk)
        except Exception:  # noqa: BLE001 - the container may vanish under the stream; wait() decides
            pass
        finally:
            finished.set()

    threading.Thread(target=pump, name=f"logs-{container.short_id}", daemon=True).start()
    try:
        code = int(container.wait()["StatusCode"])
        if not finished.wait(LOG_GRACE_SECONDS):
            with lock:
                state["abandoned"] = True
                rest = container.logs(stream=False)[int(state["printed"]) :]
                print(rest.decode(errors="replace"), end="")
                print(f"[kfp_local] log stream still open {LOG_GRACE_SECONDS:.0f} s after exit; fetched the rest")
        return code
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            container.remove(force=True)


@contextlib.contextmanager
def podman_docker_runner(
    docker_host: str,
    pipeline_root: str | Path,
    *,
    raise_on_error: bool = True,
    **container_run_args: Any,
) -> Iterator[Any]:
    """Initialise kfp.local with a DockerRunner talking to ``docker_host``, with workarounds 1 and 3.

    ``docker_host`` is the API URL (``unix:///.../podman.sock``); ``container_run_args`` go to every
    container (e.g. ``network_mode="host"``). While active, ``DOCKER_HOST`` points at the socket and
    kfp.local's ``run_docker_container`` is :func:`run_container_without_auto_remove`; both are
    restored on exit. Yields the runner.
    """
    from kfp import local
    from kfp.local import docker_task_handler

    saved_host = os.environ.get("DOCKER_HOST")
    saved_run = docker_task_handler.run_docker_container
    os.environ["DOCKER_HOST"] = docker_host
    docker_task_handler.run_docker_container = run_container_without_auto_remove
    try:
        runner = local.DockerRunner(**container_run_args)
        local.init(runner=runner, pipeline_root=str(pipeline_root), raise_on_error=raise_on_error)
        yield runner
    finally:
        docker_task_handler.run_docker_container = saved_run
        if saved_host is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = saved_host


def run_compiled_pipeline(
    path: str | Path,
    docker_host: str,
    pipeline_root: str | Path,
    arguments: Mapping[str, Any] | None = None,
    *,
    raise_on_error: bool = True,
    **container_run_args: Any,
) -> Any:
    """Run a compiled pipeline YAML on podman through kfp.local with all three workarounds.

    Returns the pipeline task kfp.local produces (``.outputs`` holds the pipeline outputs). With
    ``raise_on_error`` a failed task raises RuntimeError naming it; otherwise kfp.local logs the failure.
    """
    from kfp import components

    text = yaml.safe_dump_all(env_into_command(load_pipeline_documents(path)), sort_keys=False)
    pipeline = components.load_component_from_text(text)
    with podman_docker_runner(docker_host, pipeline_root, raise_on_error=raise_on_error, **container_run_args):
        return pipeline(**dict(arguments or {}))
