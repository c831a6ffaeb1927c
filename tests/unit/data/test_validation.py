"""Constraints derived from a reference profile catch what they name, and pass clean data."""

import numpy as np
import pandas as pd
import pytest

from portable_mlops.data.profiling import profile_frame
from portable_mlops.data.validation import check_profile, check_rows, raise_on_failures
from portable_mlops.errors import DataValidationError
from portable_mlops.params import ValidationParams

PARAMS = ValidationParams()


def failures(frame: pd.DataFrame, reference: pd.DataFrame, target: str) -> list[str]:
    results = check_rows(frame, target, PARAMS) + check_profile(
        profile_frame(frame), profile_frame(reference), target, PARAMS
    )
    return [f"{r.column}: {r.rule}" for r in results if not r.passed]


def test_same_distribution_passes(cancer) -> None:
    sample = cancer.sample(frac=0.5, random_state=1)
    assert failures(sample, cancer, "diagnosis") == []


def test_mixed_types_pass_against_themselves(mixed) -> None:
    assert failures(mixed, mixed, "label") == []


def test_value_out_of_range_is_named(cancer) -> None:
    low, high = cancer["mean radius"].min(), cancer["mean radius"].max()
    upper = high + PARAMS.range_slack * (high - low)
    bad = cancer.copy()
    bad.loc[0, "mean radius"] = upper + 1.0
    found = failures(bad, cancer, "diagnosis")
    assert [f.split(" [")[0] for f in found] == ["mean radius: values within"]
    bad.loc[0, "mean radius"] = upper - 0.01  # inside the slack: accepted
    assert failures(bad, cancer, "diagnosis") == []


def test_wrong_type_is_named(mixed) -> None:
    bad = mixed.copy()
    bad["income"] = "high"
    assert "income: numeric values" in failures(bad, mixed, "label")


def test_null_flood_is_named(mixed) -> None:
    bad = mixed.copy()
    bad.loc[: len(bad) * 0.7, "age"] = np.nan
    found = failures(bad, mixed, "label")
    assert any(f.startswith("age: null fraction <= 0.10") for f in found)
    assert any("absolute limit" in f and f.startswith("age") for f in found)


def test_missing_column_and_new_class(mixed) -> None:
    bad = mixed.drop(columns=["city"])
    bad.loc[:30, "label"] = "maybe"
    found = failures(bad, mixed, "label")
    assert "city: required column" in found
    assert "label: classes within ['no', 'yes']" in found


@pytest.mark.parametrize(
    ("labels", "rule"), [(["a"] * 40, "at least 2 classes"), (["a"] * 38 + ["b"] * 2, "at least 5 rows per class")]
)
def test_row_rules(labels, rule) -> None:
    frame = pd.DataFrame({"x": range(len(labels)), "y": labels})
    assert rule in [r.rule for r in check_rows(frame, "y", PARAMS) if not r.passed]


def test_error_message_names_column_rule_and_fix(cancer) -> None:
    bad = cancer.copy()
    bad.loc[0, "mean area"] = -5000.0
    results = check_profile(profile_frame(bad), profile_frame(cancer), "diagnosis", PARAMS)
    with pytest.raises(DataValidationError) as info:
        raise_on_failures(results, has_champion=True)
    message = str(info.value)
    assert message.startswith("data validation failed: column 'mean area': values within")
    assert "min -5000.0" in message and "--model-name" in message and "\n" not in message


def test_extra_columns_and_unseen_categories_are_reported_not_refused() -> None:
    from portable_mlops.data.validation import schema_drift

    reference = pd.DataFrame({"plan": ["basic", "pro"] * 50, "spend": range(100), "label": ["a", "b"] * 50})
    batch = reference.drop(columns=["label"]).assign(note="x")
    batch.loc[:4, "plan"] = "enterprise"
    found = schema_drift(profile_frame(batch), profile_frame(reference), target="label")
    assert found == {"extra_columns": ["note"], "unseen:plan": ["enterprise"]}
    assert schema_drift(profile_frame(reference), profile_frame(reference), target="label") == {}


def test_labels_far_from_the_reference_distribution_stop_before_training(cancer) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from portable_mlops.data.validation import check_label_shift, label_shift

    params = ValidationParams()
    same = check_label_shift(cancer.sample(frac=1.0, random_state=1), cancer, "diagnosis", params)
    assert [r.passed for r in same] == [True]
    flipped = cancer.assign(diagnosis=cancer["diagnosis"].map({"benign": "malignant", "malignant": "benign"}))
    distance, shares = label_shift(cancer["diagnosis"], flipped["diagnosis"])
    assert distance == pytest.approx(abs(shares["benign"][0] - shares["malignant"][0]))  # 63% vs 37%: 0.255
    (result,) = check_label_shift(flipped, cancer, "diagnosis", params)
    assert not result.passed and result.observed.startswith(f"total variation {distance:.3f}: benign 63% -> 37%")
    with pytest.raises(DataValidationError, match=r"replace the reference set: python run\.py --pipeline training"):
        raise_on_failures([result], has_champion=True)
    assert check_label_shift(flipped, None, "diagnosis", params) == []  # a model's first run has no reference yet


def test_a_column_the_reference_set_lacks_stops_before_training_unless_the_reference_is_replaced(cancer) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from portable_mlops.data.validation import check_reference_columns, reference_checks

    params = ValidationParams()
    wider = cancer.assign(new_marker=1.0)
    (result,) = check_reference_columns(wider, cancer, "diagnosis")
    assert not result.passed and result.column == "new_marker"
    assert result.observed == "not in the reference set: new_marker"
    with pytest.raises(DataValidationError, match=r"column 'new_marker'.*--replace-reference 'REASON'"):
        raise_on_failures([result], has_champion=True)
    assert [r.passed for r in check_reference_columns(cancer.drop(columns=["mean radius"]), cancer, "diagnosis")] == [
        True
    ]  # a missing column is the schema rules' business (the champion's profile)
    flipped = wider.assign(diagnosis=wider["diagnosis"].map({"benign": "malignant", "malignant": "benign"}))
    assert [r.passed for r in reference_checks(flipped, cancer, "diagnosis", params)] == [False, False]
    assert reference_checks(flipped, cancer, "diagnosis", params, replace_reason="new assay, relabelled") == []
    assert reference_checks(flipped, None, "diagnosis", params) == []


def test_a_regression_label_is_checked_for_numbers_range_and_shift(diabetes) -> None:  # type: ignore[no-untyped-def]
    """The label of a regression: a range from the reference profile (not classes), a label that varies,
    and its distribution against the reference set by Kolmogorov-Smirnov distance (units changed: stop)."""
    from portable_mlops.data.validation import check_label_shift, reference_checks

    params = ValidationParams()
    reference = profile_frame(diabetes)
    same = check_rows(diabetes, "progression", params, task="regression") + check_profile(
        profile_frame(diabetes), reference, "progression", params, task="regression"
    )
    assert all(r.passed for r in same) and "at least 2 distinct values" in [r.rule for r in same]
    rules = [r.rule for r in same if r.column == "progression"]
    assert "numeric values" in rules and any(r.startswith("values within [") for r in rules)
    assert not any(r.startswith("classes") for r in rules)
    scaled = diabetes.assign(progression=diabetes["progression"] * 10)  # recorded in other units
    outside = check_profile(profile_frame(scaled), reference, "progression", params, task="regression")
    assert next(r.rule for r in outside if not r.passed).startswith("values within [")
    (shift,) = check_label_shift(scaled, diabetes, "progression", params, task="regression")
    assert not shift.passed and shift.observed.startswith("Kolmogorov-Smirnov distance 0.")
    assert "quartiles" in shift.observed and shift.fix and "--replace-reference" in shift.fix
    half = diabetes.sample(frac=0.5, random_state=0)
    assert [r.passed for r in reference_checks(half, diabetes, "progression", params, task="regression")] == [
        True,
        True,
    ]
    constant = diabetes.assign(progression=100.0)
    assert not next(r for r in check_rows(constant, "progression", params, task="regression") if r.column != "*").passed
