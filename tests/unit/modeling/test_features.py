"""Quality beyond the overall numbers: slices and their floor, inclusion (fairness across a sensitive
attribute), quality under growing shift, features that add nothing, and forbidden features."""

from __future__ import annotations

import pytest

from portable_mlops.errors import ForbiddenFeatureError
from portable_mlops.modeling.estimators import build_candidate
from portable_mlops.modeling.features import check_not_used, model_inputs
from portable_mlops.params import DataSource
from tests.conftest import group_frame


def test_a_model_that_takes_a_forbidden_feature_is_refused() -> None:
    data = group_frame(200)
    X = data.drop(columns=["label"])
    model = build_candidate("logistic_regression", X, seed=0).fit(X, data["label"])
    with pytest.raises(ForbiddenFeatureError, match=r"uses forbidden feature\(s\) 'group'; drop them .* train again"):
        check_not_used(model, ["group", "not_there"])
    check_not_used(model, ["not_there"])
    with pytest.raises(ForbiddenFeatureError, match="every feature column is forbidden"):
        model_inputs(data, DataSource(uri="d.csv", target="label", forbidden_features=["x", "noise", "group"]))
