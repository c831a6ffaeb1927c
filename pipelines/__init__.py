"""Pipelines: wiring only. Each is imported on first use, with only the steps it runs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipelines.deployment import deployment_pipeline
    from pipelines.inference import inference_pipeline
    from pipelines.training import training_pipeline

__all__ = ["deployment_pipeline", "inference_pipeline", "training_pipeline"]


def __getattr__(name: str) -> Any:
    """Import ``pipelines.<kind>`` for ``<kind>_pipeline`` on first use."""
    if name not in __all__:
        raise AttributeError(f"module 'pipelines' has no attribute {name!r}")
    return getattr(importlib.import_module(f"pipelines.{name.removesuffix('_pipeline')}"), name)
