"""All steps, one per file, grouped by stage; pipelines import them from here."""

import portable_mlops.compat  # noqa: F401  (before anything imports whylogs)
from steps.data.load_data import load_data
from steps.data.split_data import split_data
from steps.evaluation.evaluate_model import evaluate_model
from steps.promotion.promote_model import promote_model
from steps.promotion.register_model import register_model
from steps.training.train_candidates import train_candidates
from steps.validation.profile_data import profile_data
from steps.validation.validate_data import validate_data

__all__ = [
    "evaluate_model",
    "load_data",
    "profile_data",
    "promote_model",
    "register_model",
    "split_data",
    "train_candidates",
    "validate_data",
]
