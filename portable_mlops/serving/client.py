"""Talking to a model endpoint over HTTP (MLflow's scoring protocol), with clear errors."""

from __future__ import annotations

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


def payload(frame: pd.DataFrame) -> dict[str, Any]:
    """The ``dataframe_split`` request body; missing values become JSON null."""
    return {"dataframe_split": json.loads(frame.to_json(orient="split", index=False))}


def predict_http(url: str, frame: pd.DataFrame, timeout: float = 30.0) -> np.ndarray:
    """Predictions for ``frame`` from the endpoint at ``url`` (``.../invocations``)."""
    try:
        response = requests.post(url, json=payload(frame), timeout=timeout)
    except requests.RequestException as exc:
        raise ServingError(
            f"cannot reach the model endpoint {url} ({type(exc).__name__}); "
            "redeploy with: python run.py --pipeline deployment"
        ) from exc
    if response.status_code != 200:
        raise ServingError(f"the model endpoint {url} answered {response.status_code}: {response.text[:200]}")
    return np.asarray(response.json()["predictions"])


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
