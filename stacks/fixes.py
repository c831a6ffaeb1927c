"""Fixes for ZenML 0.98 itself, on every stack: each one named, with why, and tested.

``steps`` imports this module, so it applies wherever a step of ours runs: in ``run.py`` (the local
orchestrator runs steps in its process, and compiling a pipeline resolves its sources too) and in the
step image of the Kubeflow, Vertex and Airflow stacks.
"""

from __future__ import annotations

import functools

from zenml.utils import source_utils

__all__ = ["apply"]


def apply() -> None:
    """Apply every fix below; idempotent.

    **Which package a module comes from, once per process.** ZenML records the source of each artifact's
    data type and materializer. For a class of an installed package (``pandas.DataFrame``, whylogs'
    ``DatasetProfileView``) it calls :func:`importlib.metadata.packages_distributions`, which reads the
    file list of every installed distribution: 0.3-0.4 s here (230 distributions), again for every
    artifact stored (five in a training run) and every source compiled. Its answer depends only on the
    module's top-level package (ZenML looks that up), and the installed packages do not change while a
    process runs, so ZenML's own function is asked once per top-level package.
    """
    if getattr(source_utils._get_package_for_module, "per_top_level_package", False):
        return
    ask_once = functools.cache(source_utils._get_package_for_module)

    def package_for_module(module_name: str) -> str | None:
        return ask_once(module_name.split(".", maxsplit=1)[0])

    package_for_module.per_top_level_package = True  # type: ignore[attr-defined]
    package_for_module.zenml_original = source_utils._get_package_for_module  # type: ignore[attr-defined]
    source_utils._get_package_for_module = package_for_module
