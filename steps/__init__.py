"""All steps, one per file, grouped by stage; pipelines import them from here.

Each step's module is imported when a pipeline first asks for it, so a run imports only its own
steps (the training pipeline never loads the serving code, and the other way round).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import portable_mlops.compat  # noqa: F401  (before anything imports whylogs)
from stacks import fixes

fixes.apply()  # ZenML 0.98's own flaws, wherever a step runs (stacks/fixes.py)

if TYPE_CHECKING:
    from steps.data.load_data import load_data
    from steps.data.split_data import split_data
    from steps.deployment.deploy_model import deploy_model
    from steps.evaluation.evaluate_model import evaluate_model
    from steps.inference.predict_batch import predict_batch
    from steps.monitoring.detect_drift import detect_drift
    from steps.promotion.promote_model import promote_model
    from steps.promotion.register_model import register_model
    from steps.training.train_candidates import train_candidates
    from steps.validation.profile_data import profile_data
    from steps.validation.validate_data import validate_data

#: Step name -> the stage package its module is in (``steps.<stage>.<name>``).
STAGES = {
    "deploy_model": "deployment",
    "detect_drift": "monitoring",
    "evaluate_model": "evaluation",
    "load_data": "data",
    "predict_batch": "inference",
    "profile_data": "validation",
    "promote_model": "promotion",
    "register_model": "promotion",
    "split_data": "data",
    "train_candidates": "training",
    "validate_data": "validation",
}

__all__ = [
    "deploy_model",
    "detect_drift",
    "evaluate_model",
    "load_data",
    "predict_batch",
    "profile_data",
    "promote_model",
    "register_model",
    "split_data",
    "train_candidates",
    "validate_data",
]


def __getattr__(name: str) -> Any:
    """Import ``steps.<stage>.<name>`` on first use and return its step."""
    if name not in STAGES:
        raise AttributeError(f"module 'steps' has no attribute {name!r}")
    return getattr(importlib.import_module(f"steps.{STAGES[name]}.{name}"), name)
