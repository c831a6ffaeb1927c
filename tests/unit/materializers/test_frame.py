"""A re-run on unchanged data reuses the expensive steps and registers nothing twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from materializers.frame import HashedPandasMaterializer, frame_hash
from tests.conftest import mixed_frame


def test_equal_frames_hash_equal_and_any_change_is_seen() -> None:
    frame = mixed_frame(50)
    assert frame_hash(frame) == frame_hash(mixed_frame(50))
    changed_cell = frame.copy()
    changed_cell.loc[3, "age"] += 1
    renamed = frame.rename(columns={"age": "years"})
    retyped = frame.astype({"age": "float32"})
    reordered = frame.iloc[::-1]
    hashes = {frame_hash(f) for f in (frame, changed_cell, renamed, retyped, reordered)}
    assert len(hashes) == 5


def test_materializer_hashes_frames_only(tmp_path: Path) -> None:
    materializer = HashedPandasMaterializer(uri=str(tmp_path))
    assert materializer.compute_content_hash(mixed_frame(10)) == frame_hash(mixed_frame(10))
    assert materializer.compute_content_hash(pd.Series([1, 2])) is None


def test_frames_are_stored_as_snappy_parquet_and_read_back_equal() -> None:
    import uuid

    import pyarrow.parquet as pq
    from zenml.client import Client

    frame = mixed_frame(30)
    uri = f"{Client().active_stack.artifact_store.path}/test-frames-{uuid.uuid4().hex}"
    Client().active_stack.artifact_store.makedirs(uri)
    materializer = HashedPandasMaterializer(uri=uri)
    materializer.save(frame)
    assert pq.ParquetFile(materializer.parquet_path).metadata.row_group(0).column(0).compression == "SNAPPY"
    pd.testing.assert_frame_equal(materializer.load(pd.DataFrame), frame)
    materializer.save(frame["age"])
    pd.testing.assert_series_equal(materializer.load(pd.Series), frame["age"], check_names=False)
    Client().active_stack.artifact_store.rmtree(uri)


def _frames() -> dict[str, pd.DataFrame]:
    import numpy as np

    mixed = mixed_frame(200)
    wide = mixed.assign(
        count=np.arange(200),
        flag=np.arange(200) % 3 == 0,
        small=pd.array([None, *range(199)], dtype="Int64"),
        maybe=pd.array([True, None] * 100, dtype="boolean"),
        ratio=pd.array([0.5, None] * 100, dtype="Float64"),
        day=pd.date_range("2026-01-01", periods=200),
        kind=pd.Categorical(["a", "b"] * 100),
    )
    return {
        "mixed": mixed,
        "wide": wide,
        "text only": mixed[["city", "label"]],
        "numbers only": mixed[["income", "age"]],
        "no rows": mixed.iloc[:0],
        "one row": mixed.iloc[:1],
    }


def test_metadata_equals_zenmls_own(tmp_path: Path) -> None:
    """The faster statistics are ZenML's, value for value, on every kind of column a frame may hold."""
    import math

    from zenml.materializers.pandas_materializer import PandasMaterializer

    ours, zenmls = HashedPandasMaterializer(uri=str(tmp_path)), PandasMaterializer(uri=str(tmp_path))
    for name, frame in _frames().items():
        theirs, mine = zenmls.extract_metadata(frame), ours.extract_metadata(frame)
        assert list(mine) == list(theirs), name
        for key, value in theirs.items():
            if isinstance(value, dict) and key in ("mean", "std", "min", "max"):
                assert list(mine[key]) == list(value), (name, key)
                same = all(
                    a == b or (math.isnan(a) and math.isnan(b))
                    for a, b in zip(mine[key].values(), value.values(), strict=True)
                )
                assert same, (name, key, mine[key], value)
            else:
                assert mine[key] == value, (name, key)
    series = mixed_frame(20)["age"]
    assert ours.extract_metadata(series) == zenmls.extract_metadata(series)


def test_a_large_frame_is_hashed_and_described_while_written_with_zenmls_results(monkeypatch: Any) -> None:
    """ZenML's order (save, visualizations, metadata, hash) with the background path taken: the same
    visualization files as ZenML's own materializer and the same content hash as :func:`frame_hash`."""
    import uuid

    from zenml.client import Client
    from zenml.materializers.pandas_materializer import PandasMaterializer

    import materializers.frame as module

    monkeypatch.setattr(module, "BACKGROUND_ROWS", 10)
    store = Client().active_stack.artifact_store
    frame = _frames()["wide"]
    root = f"{store.path}/test-frames-{uuid.uuid4().hex}"
    ours, zenmls = HashedPandasMaterializer(uri=f"{root}/ours"), PandasMaterializer(uri=f"{root}/zenml")
    for materializer in (ours, zenmls):
        store.makedirs(materializer.uri)
    ours.save(frame)
    assert ours._pending is not None and ours._pending[0] is frame  # the background path was taken
    mine, theirs = ours.save_visualizations(frame), zenmls.save_visualizations(frame)
    assert [(Path(uri).name, kind) for uri, kind in mine.items()] == [
        (Path(uri).name, kind) for uri, kind in theirs.items()
    ]
    for name in ("describe.csv", "sample.csv"):
        assert Path(ours.uri, name).read_bytes() == Path(zenmls.uri, name).read_bytes(), name
    assert ours.compute_content_hash(frame) == frame_hash(frame) and ours._pending is None
    other = frame.assign(count=frame["count"] + 1)  # not the frame that was written: computed afresh
    assert ours.compute_content_hash(other) == frame_hash(other) != frame_hash(frame)
    store.rmtree(root)


def test_a_frame_read_again_in_the_same_process_is_not_read_again_and_no_reader_sees_anothers_changes(
    monkeypatch: Any,
) -> None:
    """The local orchestrator's steps share a process: the second reader of an artifact gets the frame
    the first read, each its own copy (changes stay with who made them); only the last frame read is
    kept, and writing to its URI forgets it."""
    import uuid

    from zenml.client import Client

    import materializers.frame as module

    reads: list[object] = []
    read_parquet = pd.read_parquet

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[0])
        return read_parquet(*args, **kwargs)

    monkeypatch.setattr(pd, "read_parquet", counted)
    monkeypatch.setattr(module, "_LAST_READ", {})
    store = Client().active_stack.artifact_store
    root = f"{store.path}/test-frames-{uuid.uuid4().hex}"
    frame, other_frame = mixed_frame(40), mixed_frame(15)
    first, second = HashedPandasMaterializer(uri=f"{root}/first"), HashedPandasMaterializer(uri=f"{root}/second")
    for materializer, data in ((first, frame), (second, other_frame)):
        store.makedirs(materializer.uri)
        materializer.save(data)

    one = first.load(pd.DataFrame)
    one.loc[0, "age"] = -1  # a step changing its input in place, adding and dropping columns
    one["extra"] = 1
    one.pop("city")
    two = HashedPandasMaterializer(uri=first.uri).load(pd.DataFrame)  # the next step, its own materializer
    assert len(reads) == 1
    pd.testing.assert_frame_equal(two, frame)
    assert len(module._LAST_READ) == 1

    pd.testing.assert_frame_equal(second.load(pd.DataFrame), other_frame)
    assert len(reads) == 2 and len(module._LAST_READ) == 1  # the first frame is no longer kept
    pd.testing.assert_frame_equal(first.load(pd.DataFrame), frame)
    assert len(reads) == 3

    changed = frame.assign(age=frame["age"] + 1)
    first.save(changed)  # the same URI written again: what is read is the new content
    pd.testing.assert_frame_equal(first.load(pd.DataFrame), changed)
    assert len(reads) == 4
    store.rmtree(root)


def test_only_float_columns_of_many_distinct_values_are_stored_without_a_dictionary() -> None:
    """Continuous floats are written plain (pyarrow's dictionary try costs time and saves nothing);
    floats that repeat, numbers of other types and text keep their dictionary; the frame reads back equal."""
    import uuid

    import numpy as np
    import pyarrow.parquet as pq
    from zenml.client import Client

    from materializers.frame import DICTIONARY_SAMPLE_ROWS, dictionary_columns

    rows = DICTIONARY_SAMPLE_ROWS + 500
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "continuous": rng.normal(size=rows),
            "binary": rng.integers(0, 2, rows).astype(float),
            "count": rng.integers(0, 10**9, rows),
            "city": rng.choice(["Oslo", "Lima", "Pune"], rows),
        }
    )
    assert dictionary_columns(frame) == ["binary", "count", "city"]
    assert dictionary_columns(frame.set_axis([0, 1, 2, 3], axis=1)) is True  # names not text: pyarrow's default
    uri = f"{Client().active_stack.artifact_store.path}/test-frames-{uuid.uuid4().hex}"
    Client().active_stack.artifact_store.makedirs(uri)
    materializer = HashedPandasMaterializer(uri=uri)
    materializer.save(frame)
    chunks = pq.ParquetFile(materializer.parquet_path).metadata.row_group(0)
    encodings = {chunks.column(i).path_in_schema: chunks.column(i).encodings for i in range(chunks.num_columns)}
    assert not any("DICTIONARY" in e for e in encodings["continuous"]), encodings
    for name in ("binary", "count", "city"):
        assert any("DICTIONARY" in e for e in encodings[name]), (name, encodings)
    pd.testing.assert_frame_equal(HashedPandasMaterializer(uri=uri).load(pd.DataFrame), frame)
    Client().active_stack.artifact_store.rmtree(uri)
