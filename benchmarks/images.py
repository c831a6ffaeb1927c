"""The step image: how long it takes to build from nothing but its base, how long a rebuild with
unchanged inputs takes (the content-hash tag is reused), and how big it is."""

from __future__ import annotations

import time
from typing import Any

from images import build, podman


def run(cold: bool = True) -> dict[str, Any]:
    """Build the step image (cold: without podman's layer cache, on the base image), then again with
    unchanged inputs; sizes of the step image and of the Python base it was built on."""
    env = podman.podman_env()
    podman.check_podman(env)
    base = build.base_image(env, None)
    result: dict[str, Any] = {"base_image": base, "base_image_mb": round(podman.image_size(base, env) / 1e6, 1)}
    if cold:
        started = time.perf_counter()
        fresh = build.build_step(env, force=True, no_cache=True)
        result["cold_build_s"] = round(time.perf_counter() - started, 1)
        assert fresh.built, "the image was not rebuilt"
    started = time.perf_counter()
    again = build.build_step(env)
    result["unchanged_rebuild_s"] = round(time.perf_counter() - started, 2)
    result["unchanged_rebuild_reused"] = not again.built
    result["step_image"] = again.ref
    result["step_image_mb"] = round(podman.image_size(again.ref, env) / 1e6, 1)
    return result
