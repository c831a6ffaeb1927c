"""stacks/fixes.py: each fix of ZenML 0.98 shown as the flaw in ZenML's own function, and gone with the fix,
with ZenML's answers unchanged."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pytest
from whylogs.core import DatasetProfileView
from zenml.utils import source_utils

from stacks import fixes

#: Classes of installed packages, from two modules of one package (pandas) and one of another.
CLASSES = [pd.DataFrame, pd.Series, pd.arrays.IntervalArray, DatasetProfileView]


@pytest.fixture()
def scans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """ZenML's function as released (importing ``steps`` applies the fix to the whole process), and the calls
    of ``importlib.metadata.packages_distributions`` counted; what was there is restored afterwards."""
    ask = source_utils._get_package_for_module
    monkeypatch.setattr(source_utils, "_get_package_for_module", getattr(ask, "zenml_original", ask))
    real = importlib.metadata.packages_distributions
    calls: list[int] = []

    def counted() -> Mapping[str, list[str]]:
        calls.append(1)
        return real()

    monkeypatch.setattr(importlib.metadata, "packages_distributions", counted)
    return calls


def resolved() -> list[Any]:
    return [source_utils.resolve(cls) for cls in CLASSES]


def test_zenml_scans_every_installed_distribution_for_every_source(scans: list[int]) -> None:
    resolved()
    assert len(scans) == len(CLASSES)  # the flaw: one full scan per class


def test_with_the_fix_one_scan_per_process_and_the_same_sources(scans: list[int]) -> None:
    original = source_utils._get_package_for_module
    expected = [
        (original(cls.__module__), source_utils._get_package_version(original(cls.__module__) or "")) for cls in CLASSES
    ]
    scans.clear()
    fixes.apply()
    fixes.apply()  # idempotent: not wrapped twice
    sources = resolved() + resolved()
    assert source_utils._get_package_for_module.zenml_original is original  # type: ignore[attr-defined]
    assert len(scans) == 1  # one scan, however many sources
    assert [(s.package_name, s.version) for s in sources[: len(CLASSES)]] == expected
    assert [s.package_name for s in sources] == ["pandas", "pandas", "pandas", "whylogs"] * 2
    assert source_utils.load(sources[0]) is pd.DataFrame
