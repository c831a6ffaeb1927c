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
