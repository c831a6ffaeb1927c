"""Where a registered model's single-row ``predict`` spends its time, in process.

    python -m benchmarks.predict_anatomy                                  # the default model's champion
    python -m benchmarks.predict_anatomy --model breast_cancer_classifier --rows 300

Loads ``models:/<model>@champion`` from the active stack's MLflow registry and times, per single row of
the model's own holdout (mean over ``--rows`` rows, milliseconds): MLflow's ``pyfunc`` predict (what the
scoring server and MLServer's MLflow runtime call), MLflow's schema enforcement alone, the project's
model (``predict``), its preprocessing (scikit-learn's ``ColumnTransformer``, or ``NativeCategories`` for
XGBoost) and its estimator on preprocessed rows. Prints one JSON object.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import click


def per_call_ms(call: Callable[[Any], Any], rows: list[Any]) -> float:
    """Mean milliseconds of ``call(row)`` over ``rows`` (one warm-up call first)."""
    call(rows[0])
    started = time.perf_counter()
    for row in rows:
        call(row)
    return round((time.perf_counter() - started) / len(rows) * 1000, 3)


@click.command()
@click.option("--model", "model_name", default="breast_cancer_classifier", show_default=True)
@click.option("--rows", default=300, show_default=True, help="Single rows to time, from the model's holdout.")
def main(model_name: str, rows: int) -> None:
    """Time each layer of a single-row prediction of the model's champion."""
    import mlflow
    from mlflow.models.utils import _enforce_schema

    import portable_mlops.compat  # noqa: F401
    from portable_mlops.lifecycle.champion import production_artifact
    from portable_mlops.lifecycle.registry import active_registry
    from portable_mlops.names import Artifacts

    active_registry().configure_mlflow()
    pyfunc = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
    model = mlflow.sklearn.load_model(f"models:/{model_name}@champion")
    holdout = production_artifact(model_name, Artifacts.TEST_SET)
    if holdout is None:
        raise click.ClickException(f"model '{model_name}' has no champion with a holdout; train it first")
    schema = pyfunc.metadata.get_input_schema()
    X = holdout[[c.name for c in schema.inputs]] if schema is not None else holdout
    singles = [X.iloc[[i % len(X)]] for i in range(rows)]
    pipeline = model.estimator_
    preprocess, estimator = pipeline.steps[0][1], pipeline.steps[-1][1]
    transformed = [preprocess.transform(row) for row in singles]
    figures = {
        "pyfunc_predict_ms": per_call_ms(pyfunc.predict, singles),
        "mlflow_schema_enforcement_ms": per_call_ms(lambda row: _enforce_schema(row, schema), singles),
        "model_predict_ms": per_call_ms(model.predict, singles),
        "preprocessing_ms": per_call_ms(preprocess.transform, singles),
        "estimator_ms": per_call_ms(estimator.predict, transformed),
        "columns": X.shape[1],
        "estimator": type(estimator).__name__,
        "rows_timed": rows,
    }
    click.echo(json.dumps(figures))


if __name__ == "__main__":
    main()
