"""The bad-input catalogue (issue 8): each case, its file and what its one-line error must say.

Used by tests/unit/test_bad_input_catalogue.py (every case through the same functions the pipeline steps
call) and tests/integration/test_bad_inputs.py (one case per failing stage through ``run.py``).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pandas as pd

from portable_mlops.data.loading import load_builtin

TARGET = "diagnosis"


def default_frame() -> pd.DataFrame:
    return load_builtin("breast_cancer")


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _parquet_truncated() -> bytes:
    buffer = io.BytesIO()
    default_frame().to_parquet(buffer)
    data = buffer.getvalue()
    return data[: len(data) // 2]


def csv_with(edit: Callable[[pd.DataFrame], pd.DataFrame | None]) -> bytes:
    frame = edit(default_frame())
    return _csv(frame) if frame is not None else b""


def set_values(column: str, value: object, every: int = 1) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = frame[column].astype(object)
        frame.loc[frame.index[::every], column] = value
        return frame

    return edit


def _duplicate_header() -> bytes:
    text = _csv(default_frame()).decode()
    header, rest = text.split("\n", 1)
    names = header.split(",")
    names[1] = names[0]
    return (",".join(names) + "\n" + rest).encode()


#: case -> (file name, content or None for a path that does not exist, what the error line must say)
CATALOGUE: dict[str, tuple[str, bytes | None, str]] = {
    "empty file": ("empty.csv", b"", "is empty; give a file with a header row"),
    "header only": ("header.csv", _csv(default_frame().head(0)), "header but no rows; give a file with data rows"),
    "missing target": ("no-target.csv", csv_with(lambda f: f.drop(columns=[TARGET])), "pass --target with one of them"),
    "continuous target": (  # the breast-cancer model is a classification (source.task: classification)
        "continuous.csv",
        csv_with(lambda f: f.assign(**{TARGET: f["mean area"] * 1.5})),
        f"target column '{TARGET}' holds",
    ),
    "single target class": ("one-class.csv", csv_with(set_values(TARGET, "benign")), "at least 2 classes"),
    "wrong types": ("types.csv", csv_with(set_values("mean radius", "big", every=2)), "'mean radius': numeric values"),
    "flood of NaN": ("nan.csv", csv_with(set_values("mean area", np.nan)), "'mean area': null fraction"),
    "infinities": ("inf.csv", csv_with(set_values("mean area", np.inf, every=5)), "'mean area': values within"),
    "duplicate columns": ("dup.csv", _duplicate_header(), "names a column twice ('mean radius'); rename or drop"),
    "very long strings": (
        "long.csv",
        csv_with(set_values("mean radius", "z" * 1_000_000, every=100)),
        "(1,000,000 characters)",
    ),
    "non-UTF-8 bytes": (
        "latin1.csv",
        _csv(default_frame().head(20)).replace(b"benign", b"b\xe9nign"),
        "is not UTF-8 text",
    ),
    "truncated Parquet": ("broken.parquet", _parquet_truncated(), "check that it is a complete CSV or Parquet file"),
    "data URI that does not exist": ("missing.csv", None, "does not exist; check the path or URI"),
}
