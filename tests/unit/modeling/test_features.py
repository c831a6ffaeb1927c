"""Quality beyond the overall numbers: slices and their floor, inclusion (fairness across a sensitive
attribute), quality under growing shift, features that add nothing, and forbidden features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portable_mlops.errors import ForbiddenFeatureError
from portable_mlops.modeling.estimators import build_candidate
from portable_mlops.modeling.features import check_not_used, model_inputs
from portable_mlops.params import DataSource


def _group_data(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """Synthetic data with a sensitive column ``group``: for group b the label follows ``x`` with a
    higher threshold, so a model that may not see ``group`` misses b's positives near the boundary."""
    rng = np.random.default_rng(seed)
    group = rng.choice(["a", "b"], n)
    x = rng.normal(size=n)
    label = np.where(x > np.where(group == "a", 0.0, -0.8), "yes", "no")
    return pd.DataFrame({"x": x, "noise": rng.normal(size=n), "group": group, "label": label})


def test_a_model_that_takes_a_forbidden_feature_is_refused() -> None:
    data = _group_data(200)
    X = data.drop(columns=["label"])
    model = build_candidate("logistic_regression", X, seed=0).fit(X, data["label"])
    with pytest.raises(ForbiddenFeatureError, match=r"uses forbidden feature\(s\) 'group'; drop them .* train again"):
        check_not_used(model, ["group", "not_there"])
    check_not_used(model, ["not_there"])
    with pytest.raises(ForbiddenFeatureError, match="every feature column is forbidden"):
        model_inputs(data, DataSource(uri="d.csv", target="label", forbidden_features=["x", "noise", "group"]))
