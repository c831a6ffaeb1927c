"""Talking to a model endpoint over HTTP (MLflow's scoring protocol), with clear errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import requests

from portable_mlops.errors import UserFacingError


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
