"""Loading and preparing data: formats, types and the errors a user sees."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from portable_mlops.data.loading import load_source, prepare_frame, read_table, split_frame
from portable_mlops.data.sources import default_model_name
from portable_mlops.errors import DataSourceError
from portable_mlops.params import DataSource, SplitParams


def test_builtin_has_named_string_labels(cancer: pd.DataFrame) -> None:
    assert set(cancer["diagnosis"]) == {"malignant", "benign"}
    assert cancer.shape == (569, 31)


def test_csv_with_text_and_missing_values_is_normalised(write_csv, mixed) -> None:
    frame = load_source(DataSource(uri=str(write_csv(mixed)), target="label"))
    assert frame["income"].dtype == np.float64 and frame["age"].dtype == np.float64
    assert not pd.api.types.is_numeric_dtype(frame["city"])
    assert frame["city"].isna().sum() == 24 and frame["income"].isna().sum() == 24


def test_parquet_round_trip(tmp_path: Path, mixed) -> None:
    path = tmp_path / "d.parquet"
    mixed.to_parquet(path)
    assert len(read_table(str(path))) == len(mixed)


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        ("", "empty.csv", "is empty"),
        ("a,b,label\n", "header.csv", "no rows"),
        (b"a,label\n\xff\xfe,1\n", "latin.csv", "not UTF-8"),
        (b"PAR1\x00\x01truncated", "broken.parquet", "complete CSV or Parquet"),
        ("a,label\n1,2\n", "data.json", "cannot tell the format"),
        ("a,b,a,label\n1,2,3,x\n", "dup.csv", r"names a column twice \('a'\); rename or drop"),
    ],
)
def test_unreadable_files_get_one_line_errors(tmp_path: Path, content, name, expected) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DataSourceError, match=expected) as info:
        load_source(DataSource(uri=str(path), target="label"))
    assert "\n" not in str(info.value)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match="does not exist"):
        read_table(str(tmp_path / "nope.csv"))


def test_missing_target_lists_columns(mixed) -> None:
    with pytest.raises(DataSourceError, match=r"target column 'churn' is not in the data \(columns: income"):
        prepare_frame(mixed, "churn")


def test_numeric_column_with_stray_text_is_named(mixed) -> None:
    bad = mixed.astype({"age": object})
    bad.loc[5, "age"] = "forty"
    with pytest.raises(DataSourceError, match=r"column 'age' is numeric but 1 value\(s\) are not numbers"):
        prepare_frame(bad, "label")


def test_a_large_numeric_column_with_stray_text_is_named_from_its_sample() -> None:
    """Past 10,000 values a sample decides whether a text column is mostly numbers; then every value is checked."""
    frame = pd.DataFrame({"age": [str(i % 90) for i in range(30_000)], "label": ["a", "b"] * 15_000})
    frame.loc[[7, 20_000], "age"] = ["forty", "n/a"]
    with pytest.raises(DataSourceError, match=r"column 'age' is numeric but 2 value\(s\) are not numbers"):
        prepare_frame(frame, "label")
    text = pd.DataFrame({"city": ["north", "south", "12"] * 10_000, "label": ["a", "b", "a"] * 10_000})
    assert prepare_frame(text, "label")["city"].tolist()[:3] == ["north", "south", "12"]


@pytest.mark.parametrize("gaps", [False, True])
def test_the_callers_frame_is_never_changed(mixed, gaps: bool) -> None:  # type: ignore[no-untyped-def]
    frame = mixed.assign(flag=[True, False] * (len(mixed) // 2), count=range(len(mixed)))
    if gaps:
        frame.loc[:4, "label"] = None
    before = frame.copy(deep=True)
    prepared = prepare_frame(frame, "label")
    pd.testing.assert_frame_equal(frame, before)
    first = 5 if gaps else 0  # the first labelled row
    assert prepared["count"].dtype == "float64" and prepared["count"].iloc[0] == first
    assert prepared["flag"].iloc[0] == str(frame["flag"].iloc[first])
    assert len(prepared) == len(frame) - (5 if gaps else 0)


def test_rows_without_label_are_dropped(mixed) -> None:
    mixed.loc[:9, "label"] = None
    assert len(prepare_frame(mixed, "label")) == len(mixed) - 10


def test_split_is_seeded_and_stratified(cancer) -> None:
    params = SplitParams(test_size=0.25, seed=7)
    train_a, test_a = split_frame(cancer, "diagnosis", params)
    _, test_b = split_frame(cancer, "diagnosis", params)
    pd.testing.assert_frame_equal(test_a, test_b)
    share = cancer["diagnosis"].value_counts(normalize=True)
    assert abs(test_a["diagnosis"].value_counts(normalize=True)["benign"] - share["benign"]) < 0.01
    assert len(train_a) + len(test_a) == len(cancer)


@pytest.mark.parametrize(
    "labels", [["b", "a", "c"], [3, 1, 2], ["yes", "no", "yes"], [True, False, True], "categorical"]
)
def test_the_split_is_the_one_stratified_on_the_labels_themselves(labels: object) -> None:
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(0)
    values = rng.choice(["b", "a", "c"] if labels == "categorical" else labels, 600, p=[0.5, 0.3, 0.2])  # type: ignore[arg-type]
    if labels == "categorical":  # categories not in sorted order, as Parquet may keep them
        values = pd.Categorical(values, categories=["c", "a", "b"])
    frame = pd.DataFrame({"x": rng.normal(size=600), "label": values})
    params = SplitParams(test_size=0.25, seed=11)
    train, test = split_frame(frame, "label", params)
    on_labels = train_test_split(frame, test_size=0.25, random_state=11, stratify=frame["label"])
    pd.testing.assert_frame_equal(train, on_labels[0].reset_index(drop=True))
    pd.testing.assert_frame_equal(test, on_labels[1].reset_index(drop=True))


@pytest.mark.parametrize(
    ("uri", "name"),
    [
        ("data/churn-2024.csv", "churn_2024_classifier"),
        ("s3://b/x/Sales.parquet", "sales_classifier"),
        ("sklearn://wine", "wine_classifier"),
        ("t.csv.gz", "t_classifier"),
    ],
)
def test_default_model_name(uri: str, name: str) -> None:
    assert default_model_name(uri) == name


def test_the_task_is_inferred_from_the_label_by_the_stated_rule() -> None:
    from portable_mlops.data.loading import MAX_NUMERIC_CLASSES, resolve_task

    assert MAX_NUMERIC_CLASSES == 20  # the README states this number
    many = pd.Series(np.arange(21, dtype=float))
    assert resolve_task(many, "y") == "regression"
    assert resolve_task(pd.Series(np.arange(20)), "y") == "classification"  # 20 numbers still make classes
    assert resolve_task(pd.Series([f"c{i}" for i in range(50)]), "y") == "classification"
    assert resolve_task(pd.Series([True, False] * 20), "y") == "classification"
    assert resolve_task(pd.Series([1.0, 2.0, 3.0] * 5), "y", "regression") == "regression"  # configured wins


def test_a_task_the_label_contradicts_stops_with_the_column_and_the_fix() -> None:
    from portable_mlops.data.loading import resolve_task
    from portable_mlops.errors import DataSourceError

    with pytest.raises(DataSourceError) as info:
        resolve_task(pd.Series(np.linspace(0, 1, 50)), "price", "classification")
    line = str(info.value)
    assert "target column 'price' holds 50 distinct numbers" in line and "--task regression" in line
    assert "\n" not in line
    with pytest.raises(DataSourceError) as info:
        resolve_task(pd.Series(["low", "high"] * 10), "price", "regression")
    line = str(info.value)
    assert "target column 'price' holds text ('low', 'high')" in line and "--task classification" in line


def test_diabetes_ships_as_a_regression_and_its_split_is_not_stratified(diabetes) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.data.loading import BUILTIN_TARGETS, frame_task, split_frame
    from portable_mlops.params import DataSource, SplitParams

    source = DataSource(uri="sklearn://diabetes", target=BUILTIN_TARGETS["diabetes"])
    assert diabetes["progression"].dtype == "float64" and len(diabetes) == 442
    assert frame_task(diabetes, source) == "regression"
    train, test = split_frame(diabetes, "progression", SplitParams(), "regression")
    assert len(test) == 111 and len(train) == 331
    unlabelled = diabetes.drop(columns=["progression"])
    assert frame_task(unlabelled, source) == "auto"  # no labels, no champion: as configured
    assert frame_task(unlabelled, source, "regression") == "regression"  # a batch to score: the champion's task


def test_once_a_model_has_a_champion_its_task_is_the_models(diabetes, cancer) -> None:  # type: ignore[no-untyped-def]
    """A regression champion trained on few distinct values stays a regression under ``auto``; labels or a
    --task of the other kind belong to another model and are refused in one line."""
    from portable_mlops.data.loading import frame_task

    few = diabetes.assign(progression=(diabetes["progression"] // 50).astype(int))  # 7 distinct values
    auto = DataSource(uri="few.csv", target="progression")
    assert frame_task(few, auto) == "classification"  # a new model: the rule
    assert frame_task(few, auto, "regression", "few_regressor") == "regression"  # the champion's
    with pytest.raises(DataSourceError) as info:
        frame_task(cancer, DataSource(uri="c.csv", target="diagnosis"), "regression", "diabetes_regressor")
    assert str(info.value) == (
        "target column 'diagnosis' makes a classification, but model 'diabetes_regressor' is a regression (its "
        "champion's task); train these data under their own --model-name, or fix the column"
    )
    explicit = DataSource(uri="few.csv", target="progression", task="classification")
    with pytest.raises(DataSourceError, match=r"^the task is classification, but model 'm' is a regression"):
        frame_task(few, explicit, "regression", "m")
