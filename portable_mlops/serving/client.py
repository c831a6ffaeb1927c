"""Talking to a model endpoint over HTTP, with clear errors, in the two protocols we serve with:
MLflow's scoring protocol (``dataframe_split``; MLflow's local server) and the V2 inference protocol
(Open Inference Protocol; MLServer, behind Seldon Core's ``protocol: v2``), columns named in both."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import requests

from portable_mlops.errors import UserFacingError

logger = logging.getLogger(__name__)


class ServingError(UserFacingError, RuntimeError):
    """The endpoint could not be reached or refused a request."""


#: MLflow's scoring server reads a request body of this content type with ``pandas.read_parquet``.
PARQUET = "application/vnd.apache.parquet"
#: From this many rows, frames go to MLflow's scoring server as Parquet: its JSON path parses the body
#: twice and casts the frame column by column, and building the JSON costs the client as much again
#: (1,000-row batches: ``benchmarks/serving_client.py``, figures in docs/benchmarking.md). Fewer rows
#: go as JSON, which the server reads as fast and anyone can read in a log; a Parquet file carries
#: some 19 KB of metadata.
PARQUET_FROM_ROWS = 100
#: Endpoints that refused a Parquet body: sent JSON from then on (see :func:`predict_http`).
_JSON_ONLY: set[str] = set()


def payload(frame: pd.DataFrame) -> dict[str, Any]:
    """The ``dataframe_split`` request body; missing values become JSON null."""
    return {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}


def mlflow_body(frame: pd.DataFrame, parquet: bool = True) -> tuple[bytes, str]:
    """The request body for MLflow's scoring server and its content type, both of MLflow's scoring
    protocol: :func:`payload` as JSON below :data:`PARQUET_FROM_ROWS` rows (or when ``parquet`` is
    false), the frame as Parquet from there (column types kept, missing values null in both)."""
    if not parquet or len(frame) < PARQUET_FROM_ROWS:
        return f'{{"dataframe_split": {frame.to_json(orient="split", index=False)}}}'.encode(), "application/json"
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue(), PARQUET


def _post(url: str, body: bytes, content_type: str, timeout: float, session: Any = None) -> requests.Response:
    """POST ``body`` to a model endpoint; an endpoint that cannot be reached is a :class:`ServingError`."""
    try:
        return (session or requests).post(url, data=body, headers={"Content-Type": content_type}, timeout=timeout)
    except requests.RequestException as exc:
        raise ServingError(
            f"cannot reach the model endpoint {url} ({type(exc).__name__}); "
            "redeploy with: python run.py --pipeline deployment"
        ) from exc


def predict_http(url: str, frame: pd.DataFrame, timeout: float = 30.0) -> np.ndarray:
    """Predictions for ``frame`` from the endpoint at ``url`` (``.../invocations``).

    A Parquet body the server refuses is sent again as JSON, and that endpoint gets JSON from then on:
    MLflow casts a JSON frame's columns to the model's signature but takes a Parquet frame's types as
    they are, so integers for a number column, or a text column with no value at all (read as numbers),
    pass only as JSON. A request JSON refuses too fails with the server's answer, as before, and the
    endpoint keeps getting Parquet (the request was bad, not its format).
    """
    body, content_type = mlflow_body(frame, parquet=url not in _JSON_ONLY)
    response = _post(url, body, content_type, timeout)
    if content_type == PARQUET and 400 <= response.status_code < 500:
        logger.info("%s refused a Parquet body (%s); sending JSON", url, response.status_code)
        body, content_type = mlflow_body(frame, parquet=False)
        response = _post(url, body, content_type, timeout)
        if response.status_code == 200:  # a request JSON refuses too was bad, not the body's format
            _JSON_ONLY.add(url)
    if response.status_code != 200:
        raise ServingError(f"the model endpoint {url} answered {response.status_code}: {response.text[:200]}")
    return np.asarray(response.json()["predictions"])


#: V2 datatypes of the columns this project's models take: numbers as FP64, text as BYTES.
_V2_TYPES = {"f": "FP64", "i": "INT64", "u": "INT64", "b": "BOOL"}


def v2_request(frame: pd.DataFrame) -> dict[str, Any]:
    """A V2 inference request for ``frame``: one input per column, named, decoded by MLServer's pandas
    codec (``content_type: pd``) into the DataFrame the MLflow model's signature expects. Missing
    numbers are NaN; missing text is null."""
    inputs = []
    for name in frame.columns:
        column = frame[name]
        kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else "O"
        datatype = _V2_TYPES.get(kind, "BYTES")
        if datatype == "BYTES":
            data: list[Any] = [None if pd.isna(v) else str(v) for v in column]
        else:
            data = [None if v != v else v for v in column.tolist()] if kind == "f" else column.tolist()
        inputs.append({"name": str(name), "shape": [len(frame), 1], "datatype": datatype, "data": data})
    return {"inputs": inputs, "parameters": {"content_type": "pd"}}


def v2_predictions(answer: dict[str, Any]) -> np.ndarray:
    """The predictions of a V2 response (its first output, one value per row)."""
    outputs = answer.get("outputs") or []
    if not outputs:
        raise ServingError(f"the V2 response has no outputs: {str(answer)[:200]}")
    return np.asarray(outputs[0]["data"]).reshape(-1)


def predict_v2(url: str, frame: pd.DataFrame, timeout: float = 30.0, session: Any = None) -> np.ndarray:
    """Predictions for ``frame`` from a V2 endpoint (``.../v2/models/<model>/infer``)."""
    response = _post(url, json.dumps(v2_request(frame)).encode(), "application/json", timeout, session)
    if response.status_code != 200:
        raise ServingError(f"the model endpoint {url} answered {response.status_code}: {response.text[:200]}")
    return v2_predictions(response.json())


def chunks(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    """Consecutive slices of at most ``size`` rows."""
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def score_in_chunks(
    predict: Callable[[pd.DataFrame], np.ndarray], frame: pd.DataFrame, size: int, reports: int = 10
) -> np.ndarray:
    """Predictions for ``frame`` in slices of ``size`` rows, logging progress about ``reports`` times
    ("scored 50,000/200,000 rows"), so a long batch shows how far it got."""
    total = len(frame)
    every = max(1, -(-total // size) // reports)  # chunks between two progress lines
    parts, done = [], 0
    for index, part in enumerate(chunks(frame, size), start=1):
        parts.append(np.asarray(predict(part)))
        done += len(part)
        if index % every == 0 or done == total:
            logger.info("scored %s/%s rows", f"{done:,}", f"{total:,}")
    return np.concatenate(parts) if parts else np.asarray([])
