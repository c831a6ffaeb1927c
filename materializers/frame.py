"""A pandas materializer that gives each stored frame a content hash, so equal data hits the cache,
writes Parquet with snappy instead of ZenML's gzip (10x faster to write at a million rows) and without
trying a dictionary for continuous float columns (5M rows x 13 columns: 1.63-1.75 s to write, 1.36-1.49 s
so; :func:`dictionary_columns`), and
computes ZenML's metadata of a frame (mean, std, min and max of each numeric column) on the numeric
columns alone, one column at a time: pandas' ``DataFrame.mean(numeric_only=True)`` etc. on a frame
that also holds text took 2.2 s at 5M rows x 13 columns; on the 10 numeric columns of a frame just
read from Parquet, the four reductions of the numeric frame took 0.45-0.54 s, and column by column
0.36-0.39 s (the same numbers).

A large frame's content hash and ``describe()`` (ZenML's visualization) are computed on two threads while
the Parquet file is written (pyarrow, pandas' hashing and NumPy's partition release the GIL): at 5M rows
x 13 columns, write, hash and describe took 4.1-4.6 s one after the other; the whole store (write,
visualizations, metadata, hash) takes 2.33-2.40 s so.
``python -m benchmarks.frame_store`` measures these (best of 3, two runs on 2026-12-01).

The frame a process read last is kept (one frame, by artifact URI): the local orchestrator runs every
step in one process, and the next step that reads the same artifact (the loaded data feeds profiling,
validation and the split; the holdout feeds evaluation and the gate) gets it without reading Parquet
again (1.7 s each at 5M rows). Each step gets its own shallow copy; pandas' copy-on-write keeps one
step's changes out of another's (tested). The frame is dropped before any other frame is read, so the
process holds at most the one frame a step has just been given. Orchestrators that run each step in a
container of its own read every artifact, as before.

``load_data`` is never cached: the file behind a URI can change while the URI stays the same, so it
always reads the source. Without a content hash ZenML keys every downstream step on the new
artifact's ID, and a re-run on unchanged data re-executed the whole pipeline. With one, ZenML keys
them on the content: unchanged data reuses profiling, splitting, training and evaluation; a single
changed cell, column name, type or row order does not.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import pandas as pd
from zenml.enums import VisualizationType
from zenml.materializers.pandas_materializer import PandasMaterializer

if TYPE_CHECKING:
    from zenml.metadata.metadata_types import MetadataType

#: The statistics ZenML's pandas materializer records per numeric column.
STATISTICS = ("mean", "std", "min", "max")
#: From this many rows on, a frame's hash and description are computed while it is written.
BACKGROUND_ROWS = 200_000


#: A float column is dictionary-encoded in Parquet only when its first rows repeat values: pyarrow
#: tries a dictionary for every column and drops it once the dictionary outgrows its page limit, which
#: for continuous floats costs time and saves nothing.
DICTIONARY_SAMPLE_ROWS, DICTIONARY_MAX_DISTINCT = 10_000, 1_000


def dictionary_columns(frame: pd.DataFrame) -> list[str] | bool:
    """The columns to dictionary-encode in Parquet: every column but the floats whose first
    :data:`DICTIONARY_SAMPLE_ROWS` values hold :data:`DICTIONARY_MAX_DISTINCT` or more distinct ones
    (all of them, pyarrow's default, when a column name is not text)."""
    if not all(isinstance(name, str) for name in frame.columns):
        return True
    chosen = []
    for position, (name, dtype) in enumerate(frame.dtypes.items()):
        head = frame.iloc[:DICTIONARY_SAMPLE_ROWS, position]
        if dtype.kind == "f" and head.nunique() >= DICTIONARY_MAX_DISTINCT:
            continue
        chosen.append(str(name))
    return chosen


#: The frame this process read last, by (artifact URI, requested type): see the module's docstring.
_LAST_READ: dict[tuple[str, Any], pd.DataFrame] = {}
_LAST_READ_LOCK = threading.Lock()


def frame_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values (row by row, with the index), column names and dtypes."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


class HashedPandasMaterializer(PandasMaterializer):
    """ZenML's pandas materializer plus :func:`frame_hash` as the artifact's content hash, writing
    snappy-compressed Parquet (ZenML's own ``load`` reads it: Parquet records its codec)."""

    #: The frame being stored and its hash and ``describe()``, computed on a thread (see the module).
    _pending: tuple[pd.DataFrame, Future[str], Future[pd.DataFrame]] | None = None

    def save(self, df: pd.DataFrame | pd.Series) -> None:
        """Write the frame (a Series as a one-column frame, as ZenML does) as snappy Parquet."""
        self._forget_read()
        if not self.pyarrow_exists:
            super().save(df)
            return
        if isinstance(df, pd.DataFrame) and len(df) >= BACKGROUND_ROWS:
            worker = ThreadPoolExecutor(2, thread_name_prefix="frame-hash")
            self._pending = (df, worker.submit(frame_hash, df), worker.submit(df.describe))
            worker.shutdown(wait=False)  # the threads end after the two tasks
        frame = df.to_frame(name="series") if isinstance(df, pd.Series) else df
        with self.artifact_store.open(self.parquet_path, mode="wb") as handle:
            frame.to_parquet(handle, compression="snappy", use_dictionary=dictionary_columns(frame))

    def load(self, data_type: type[Any]) -> pd.DataFrame | pd.Series:
        """ZenML's ``load``, except that a frame this process read last is not read again: each call
        gets a shallow copy of it (copy-on-write: changing one changes no other)."""
        key = (self.uri, data_type)
        with _LAST_READ_LOCK:
            held = _LAST_READ.get(key)
            if held is not None:
                return held.copy(deep=False)
            _LAST_READ.clear()  # the frame read before is no longer kept
        loaded = super().load(data_type)
        if not isinstance(loaded, pd.DataFrame):
            return loaded
        with _LAST_READ_LOCK:
            _LAST_READ.clear()
            _LAST_READ[key] = loaded
        return loaded.copy(deep=False)

    def _forget_read(self) -> None:
        """Drop the frame kept from this URI, which is being written."""
        with _LAST_READ_LOCK:
            for key in [key for key in _LAST_READ if key[0] == self.uri]:
                del _LAST_READ[key]

    def _hash_of(self, df: Any) -> str | None:
        """The hash computed while ``df`` was written, if it was."""
        pending = self._pending
        return pending[1].result() if pending is not None and pending[0] is df else None

    def _description_of(self, df: Any) -> pd.DataFrame | None:
        """The ``describe()`` computed while ``df`` was written, if it was."""
        pending = self._pending
        return pending[2].result() if pending is not None and pending[0] is df else None

    def save_visualizations(self, df: pd.DataFrame | pd.Series) -> dict[str, VisualizationType]:
        """ZenML's visualizations (``describe()`` and the first rows, as CSV; the same files, tested),
        with the description computed while the frame was written."""
        described = self._description_of(df)
        if described is None:
            return super().save_visualizations(df)
        from zenml.integrations.pandas.materializers.pandas_materializer import DEFAULT_SAMPLE_ROWS

        describe_uri = os.path.join(self.uri, "describe.csv").replace("\\", "/")
        with self.artifact_store.open(describe_uri, mode="wb") as handle:
            described.to_csv(handle)
        sample_uri = os.path.join(self.uri, "sample.csv").replace("\\", "/")
        with self.artifact_store.open(sample_uri, mode="wb") as handle:
            df.head(int(os.environ.get("ZENML_PANDAS_SAMPLE_ROWS", DEFAULT_SAMPLE_ROWS))).to_csv(handle)
        return {describe_uri: VisualizationType.CSV, sample_uri: VisualizationType.CSV}

    def extract_metadata(self, df: pd.DataFrame | pd.Series) -> dict[str, MetadataType]:
        """ZenML's metadata of a frame, as its materializer records it (the same keys and values,
        tested), with the statistics computed one column at a time over the columns
        ``numeric_only=True`` takes."""
        from zenml.integrations.pandas.materializers.pandas_materializer import is_standard_dtype
        from zenml.metadata.metadata_types import DType

        if not isinstance(df, pd.DataFrame):
            return super().extract_metadata(df)
        metadata: dict[str, MetadataType] = {"shape": df.shape}
        custom_types: dict[str, str] = {}
        for column, dtype in df.dtypes.items():
            if not is_standard_dtype(str(dtype)):
                custom_types[str(column)] = str(dtype)
                module = getattr(getattr(dtype, "type", None), "__module__", None)
                if module is not None:
                    custom_types[f"{column}_module"] = module
        if custom_types:
            metadata["custom_types"] = custom_types  # type: ignore[assignment]
        metadata["dtype"] = {str(key): DType(value.type) for key, value in df.dtypes.items()}
        # what numeric_only=True selects (numbers and booleans); pandas-stubs lack this method
        numeric: pd.DataFrame = df._get_numeric_data()  # type: ignore[operator]
        columns = [(str(name), numeric.iloc[:, i]) for i, name in enumerate(numeric.columns)]
        for statistic in STATISTICS:
            # column by column: the same numbers as the frame's reduction (tested), and at 5M rows x 10
            # floats read from Parquet 0.36-0.39 s for the four against 0.45-0.54 s (benchmarks/frame_store.py)
            metadata[statistic] = {name: float(getattr(column, statistic)()) for name, column in columns}
        return metadata

    def compute_content_hash(self, data: Any) -> str | None:
        """The frame's content hash; None (fall back to the artifact ID) for a Series."""
        if not isinstance(data, pd.DataFrame):
            return None
        computed = self._hash_of(data)
        self._pending = None  # ZenML asks for the hash last: the frame is not held any longer
        return computed if computed is not None else frame_hash(data)
