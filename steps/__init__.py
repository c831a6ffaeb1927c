"""All steps, one per file, grouped by stage; pipelines import them from here."""

import portable_mlops.compat  # noqa: F401  (before anything imports whylogs)
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
