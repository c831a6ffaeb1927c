"""The scale benchmark's baseline: read the same Parquet file and train XGBoost on it, nothing else.

python -m benchmarks.raw_xgboost --data frame.parquet --target label --params '{"max_depth": 5, ...}'
Prints the fit's seconds as JSON; wall time and peak memory are measured by the caller.
"""

from __future__ import annotations

import json
import time

import click
import pandas as pd
from xgboost import XGBClassifier


@click.command()
@click.option("--data", required=True)
@click.option("--target", required=True)
@click.option("--params", default="{}", help="XGBoost parameters (JSON), as the pipeline's grid gives them.")
@click.option("--seed", type=int, default=42)
def main(data: str, target: str, params: str, seed: int) -> None:
    """Train XGBoost on the whole frame: text columns as XGBoost's native categoricals."""
    frame = pd.read_parquet(data)
    y = frame.pop(target)
    labels = sorted(y.unique())
    y = y.map({label: i for i, label in enumerate(labels)})
    for column in frame.columns:
        if frame[column].dtype == object or str(frame[column].dtype) in {"str", "string"}:
            frame[column] = frame[column].astype("category")
    model = XGBClassifier(
        tree_method="hist", enable_categorical=True, random_state=seed, verbosity=0, **json.loads(params)
    )
    start = time.perf_counter()
    model.fit(frame, y)
    click.echo(json.dumps({"fit_seconds": time.perf_counter() - start, "rows": len(frame)}))


if __name__ == "__main__":
    main()
