"""What storing and reading a frame costs, part by part (the figures in materializers/frame.py).

    python -m benchmarks.frame_store --rows 5000000

On :mod:`benchmarks.synth`'s frame, read back from Parquet as a step reads it: ZenML's metadata
statistics as one 2-D reduction against column by column, the Parquet write with pyarrow's dictionary
try on every column against :func:`materializers.frame.dictionary_columns`, and the materializer's
whole store (save, visualizations, metadata, hash). Prints one JSON object of seconds (best of
``--repeats``). Runs in a temporary directory with a throwaway ZenML home; nothing of yours is touched.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def best(repeats: int, work: Callable[[], Any]) -> float:
    """The fastest of ``repeats`` timings of ``work``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return round(min(times), 3)


@click.command()
@click.option("--rows", type=int, default=5_000_000, show_default=True)
@click.option("--repeats", type=int, default=3, show_default=True)
def main(rows: int, repeats: int) -> None:
    """Time each part of storing a frame of ``rows`` synthetic rows."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        os.environ.update(ZENML_CONFIG_PATH=str(root / "zenml"), ZENML_ANALYTICS_OPT_IN="false")
        import pandas as pd
        from zenml.client import Client

        from benchmarks import synth
        from materializers.frame import STATISTICS, HashedPandasMaterializer, dictionary_columns

        frame = pd.read_parquet(synth.write(rows, root / "source.parquet"))
        source = root / "source.parquet"
        out: dict[str, Any] = {"rows": rows, "columns": frame.shape[1], "repeats": repeats}

        def as_one_block(fresh: pd.DataFrame) -> None:  # ZenML's reductions over the numeric columns
            numeric: pd.DataFrame = fresh._get_numeric_data()  # type: ignore[operator]
            for statistic in STATISTICS:
                getattr(numeric, statistic)()

        def column_by_column(fresh: pd.DataFrame) -> None:  # HashedPandasMaterializer.extract_metadata's
            numeric: pd.DataFrame = fresh._get_numeric_data()  # type: ignore[operator]
            columns = [numeric.iloc[:, i] for i in range(numeric.shape[1])]
            for statistic in STATISTICS:
                for column in columns:
                    getattr(column, statistic)()

        for name, way in (("metadata_as_one_block_s", as_one_block), ("metadata_column_by_column_s", column_by_column)):
            timings = []
            for _ in range(repeats):  # each on a frame just read, as a step's output is
                fresh = pd.read_parquet(source)
                timings.append(best(1, lambda: way(fresh)))  # noqa: B023  (called at once)
            out[name] = min(timings)
        target = root / "written.parquet"
        out["write_dictionary_tried_on_every_column_s"] = best(
            repeats, lambda: frame.to_parquet(target, compression="snappy")
        )
        out["write_dictionary_columns_s"] = best(
            repeats,
            lambda: frame.to_parquet(target, compression="snappy", use_dictionary=dictionary_columns(frame)),
        )
        store = Client().active_stack.artifact_store  # in the throwaway ZenML home set above

        def store_frame() -> None:
            uri = f"{store.path}/frame-{time.perf_counter_ns()}"
            store.makedirs(uri)
            materializer = HashedPandasMaterializer(uri=uri)
            materializer.save(frame)
            materializer.save_visualizations(frame)
            materializer.extract_metadata(frame)
            materializer.compute_content_hash(frame)

        out["materializer_store_s"] = best(repeats, store_frame)
    click.echo(json.dumps(out))


if __name__ == "__main__":
    main()
