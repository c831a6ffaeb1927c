"""Make a batch to score from the default data, optionally shifted, to see monitoring work.

python -m portable_mlops.data.batches --rows 200 --out batch.csv                 # clean batch
python -m portable_mlops.data.batches --rows 200 --shift 1.5 --out drifted.csv   # drifted batch
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
import numpy as np
import pandas as pd

from portable_mlops.data.loading import load_builtin

#: Columns shifted by default: the strongest predictors of the default data set.
DEFAULT_SHIFTED = ("mean radius", "mean texture", "worst area", "mean concave points")


def make_batch(
    rows: int, seed: int, shift: float = 0.0, columns: tuple[str, ...] = DEFAULT_SHIFTED, labels: bool = True
) -> pd.DataFrame:
    """Sample ``rows`` rows and add ``shift`` standard deviations to ``columns``.

    Rows are drawn without replacement up to the data set's size (569), with replacement beyond.
    """
    frame = load_builtin("breast_cancer")
    batch = frame.sample(rows, replace=rows > len(frame), random_state=seed).reset_index(drop=True)
    if shift:
        shift_columns(batch, columns, shift, np.random.default_rng(seed), frame)
    return batch if labels else batch.drop(columns=["diagnosis"])


def shift_columns(
    batch: pd.DataFrame, columns: Sequence[str], shift: float, rng: np.random.Generator, reference: pd.DataFrame
) -> None:
    """Add ``shift`` standard deviations of ``reference`` (plus noise of 5% of one) to ``columns``, in place."""
    for column in columns:
        std = reference[column].std()
        batch[column] = batch[column] + shift * std + rng.normal(0, 0.05 * std, len(batch))


@click.command()
@click.option("--rows", type=click.IntRange(1, 10_000_000), default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--shift", type=float, default=0.0, show_default=True, help="Standard deviations added (0: clean).")
@click.option("--no-labels", is_flag=True, help="Drop the label column, as a batch to score usually comes.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="CSV or Parquet file.")
def main(rows: int, seed: int, shift: float, no_labels: bool, out: Path) -> None:
    """Write a batch of the default data set, clean or shifted."""
    batch = make_batch(rows, seed, shift, labels=not no_labels)
    if out.suffix == ".parquet":
        batch.to_parquet(out, index=False)
    else:
        batch.to_csv(out, index=False)
    click.echo(
        f"wrote {len(batch)} rows to {out} (shift {shift} std on {', '.join(DEFAULT_SHIFTED) if shift else 'none'})"
    )


if __name__ == "__main__":
    main()
