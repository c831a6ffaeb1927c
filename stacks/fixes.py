"""Fixes for ZenML 0.98 itself, on every stack: each one named, with why, and tested.

``steps`` imports this module, so it applies wherever a step of ours runs: in ``run.py`` (the local
orchestrator runs steps in its process, and compiling a pipeline resolves its sources too) and in the
step image of the Kubeflow, Vertex and Airflow stacks.
"""

from __future__ import annotations

import functools
import importlib.metadata
from collections.abc import Mapping

from zenml.utils import source_utils

__all__ = ["apply"]


def apply() -> None:
    """Apply every fix below; idempotent.

    **Which package a module comes from, once per process.** ZenML records the source of each artifact's
    data type and materializer. For a class of an installed package (``pandas.DataFrame``, whylogs'
    ``DatasetProfileView``) it calls :func:`importlib.metadata.packages_distributions`, which reads the
    file list of every installed distribution: 0.3-0.4 s here (230 distributions), again for every
    artifact stored (five in a training run) and every source compiled. The installed packages do not
    change while a process runs: here they are scanned once, and ZenML's rule (the one distribution
    that provides the module's top-level package, else none) is applied to that scan.
    """
    if getattr(source_utils._get_package_for_module, "zenml_original", None) is not None:
        return
    original = source_utils._get_package_for_module

    @functools.cache
    def distributions() -> Mapping[str, list[str]]:
        return importlib.metadata.packages_distributions()

    def package_for_module(module_name: str) -> str | None:
        names = distributions().get(module_name.split(".", maxsplit=1)[0], [])
        return names[0] if len(names) == 1 else None

    package_for_module.zenml_original = original  # type: ignore[attr-defined]
    source_utils._get_package_for_module = package_for_module
