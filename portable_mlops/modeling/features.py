"""Meta-level feature rules: columns no model may use (``source.forbidden_features``).

Training drops a forbidden column before the search (it stays in the data, so evaluation can still
slice by it, e.g. to measure fairness across a protected attribute), then checks the trained model
takes none of them. Dropping a column does not remove its proxies: the fairness measure
(``evaluation.fairness``) checks outcomes, not inputs.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from portable_mlops.errors import ForbiddenFeatureError
from portable_mlops.params import DataSource


def model_inputs(frame: pd.DataFrame, source: DataSource) -> tuple[pd.DataFrame, list[str]]:
    """The columns a model may train on: all but the label and the forbidden ones; and those dropped."""
    dropped = [c for c in source.forbidden_features if c in frame.columns]
    X = frame.drop(columns=[source.target, *dropped], errors="ignore")
    if X.shape[1] == 0:
        raise ForbiddenFeatureError(
            f"every feature column is forbidden ({', '.join(dropped)}); "
            "remove some from source.forbidden_features or add allowed columns to the data"
        )
    return X, dropped


def model_input_names(model: Any) -> list[str]:
    """The input column names a fitted model takes (scikit-learn's ``feature_names_in_``)."""
    for candidate in (model, getattr(model, "estimator_", None)):
        names = getattr(candidate, "feature_names_in_", None)
        if names is not None:
            return [str(n) for n in names]
    raise ForbiddenFeatureError(
        f"cannot tell which columns the {type(model).__name__} model takes (no feature_names_in_); "
        "train it on a pandas DataFrame with named columns"
    )


def check_not_used(model: Any, forbidden: list[str]) -> None:
    """Refuse a trained model that takes any forbidden column, naming them and the fix."""
    used = sorted(set(model_input_names(model)) & set(forbidden))
    if used:
        shown = ", ".join(f"'{c}'" for c in used)
        raise ForbiddenFeatureError(
            f"the trained model uses forbidden feature(s) {shown}; drop them from the model's inputs "
            "(source.forbidden_features lists them) and train again"
        )
