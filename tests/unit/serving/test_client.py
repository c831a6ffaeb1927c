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
