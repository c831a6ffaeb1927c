"""Blue/green deployment logic, driven through a test double of a ZenML model deployer."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from portable_mlops.serving.client import payload, score_in_chunks


def test_payload_sends_missing_values_as_null() -> None:
    body = payload(pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]}))
    assert body == {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, "x"], [None, None]]}}


def test_batch_scoring_logs_progress_and_keeps_row_order(caplog) -> None:
    frame = pd.DataFrame({"x": np.arange(2_500)})
    with caplog.at_level(logging.INFO, logger="portable_mlops.serving.client"):
        predictions = score_in_chunks(lambda part: part["x"].to_numpy() * 2, frame, size=100)
    assert (predictions == np.arange(2_500) * 2).all()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("scored")]
    assert lines[-1] == "scored 2,500/2,500 rows"
    assert 10 <= len(lines) <= 13 and "scored 200/2,500 rows" in lines


def test_a_v2_request_names_every_column_with_its_type_and_missing_values() -> None:
    import numpy as np
    import pandas as pd

    from portable_mlops.serving.client import v2_predictions, v2_request

    frame = pd.DataFrame({"income": [1.5, np.nan], "city": ["north", None]})
    request = v2_request(frame)
    assert request["parameters"] == {"content_type": "pd"}
    assert request["inputs"] == [
        {"name": "income", "shape": [2, 1], "datatype": "FP64", "data": [1.5, None]},
        {"name": "city", "shape": [2, 1], "datatype": "BYTES", "data": ["north", None]},
    ]
    answer = {"model_name": "classifier", "outputs": [{"name": "output-1", "shape": [2, 1], "data": ["yes", "no"]}]}
    assert list(v2_predictions(answer)) == ["yes", "no"]


def test_mlflow_bodies_are_json_for_a_few_rows_and_parquet_for_batches() -> None:
    import io
    import json

    from portable_mlops.serving.client import PARQUET, PARQUET_FROM_ROWS, mlflow_body

    frame = pd.DataFrame(
        {"a": np.r_[1.5, np.nan, np.arange(PARQUET_FROM_ROWS - 2.0)], "n": np.arange(PARQUET_FROM_ROWS)}
    ).assign(b=lambda f: np.where(f["n"] % 3 == 0, "NA", "x"))
    frame.loc[1, "b"] = None
    small, kind = mlflow_body(frame.head(PARQUET_FROM_ROWS - 1))
    assert kind == "application/json" and json.loads(small) == payload(frame.head(PARQUET_FROM_ROWS - 1))
    batch, kind = mlflow_body(frame)
    assert kind == PARQUET == "application/vnd.apache.parquet"
    back = pd.read_parquet(io.BytesIO(batch))  # what MLflow's scoring server does with the body
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert back["n"].dtype == "int64" and back["b"].isna().tolist() == frame["b"].isna().tolist()
    assert (back["b"] == "NA").sum() == (frame["b"] == "NA").sum() > 0  # text "NA" stays text
