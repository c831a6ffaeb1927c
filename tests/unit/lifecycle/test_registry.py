"""Registration: a re-run on unchanged data registers nothing twice."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from portable_mlops.lifecycle.registry import register_version
from tests.unit.lifecycle.conftest import Registry


def test_the_same_model_is_registered_once(registry: Registry) -> None:
    X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
    first, second = registry.log(LogisticRegression().fit(X, y)), registry.log(LogisticRegression(C=2).fit(X, y))
    versions = [register_version(registry.stack_registry, "m", u, "", {}) for u in (first, first, second, first)]
    assert versions == ["1", "1", "2", "1"]
    assert len(registry.client.search_model_versions("name = 'm'")) == 2
