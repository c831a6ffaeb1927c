"""The model's fixed reference set: the holdout of its first run, kept as a versioned ZenML artifact.

The gate judges every candidate on it beside the candidate's own holdout, and training data is checked
against its label distribution: new data with wrong labels cannot change these labels. It is replaced
only on purpose (``run.py --replace-reference REASON``), and every version records why it was made,
by whom, when and in which run.
"""

from __future__ import annotations

import getpass
import logging
from datetime import UTC, datetime
from typing import Any

import pandas as pd

logger = logging.getLogger(__name__)


def reference_name(model_name: str) -> str:
    """The artifact name of a model's reference set (one artifact, versioned, per model)."""
    return f"{model_name}__reference_set"


def _newest(model_name: str) -> Any | None:
    """The newest version of the model's reference set artifact, or None before its first run."""
    from zenml.client import Client

    try:
        return Client().get_artifact_version(reference_name(model_name))
    except KeyError:
        return None


def load_reference(model_name: str) -> pd.DataFrame | None:
    """The model's current reference set (the artifact's newest version), or None before its first run."""
    version = _newest(model_name)
    frame = None if version is None else version.load()
    return frame if isinstance(frame, pd.DataFrame) else None


def keep_reference(
    model_name: str, frame: pd.DataFrame, reason: str, run: str, materializer: type | None = None
) -> dict[str, Any]:
    """Store ``frame`` as the model's reference set (a new version of its artifact), recording why, who,
    when and which run; returns that record. ``materializer``: how to store it (default: ZenML's)."""
    from zenml import save_artifact

    record: dict[str, Any] = {
        "reason": reason,
        "by": getpass.getuser(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_run": run,
        "rows": len(frame),
    }
    save_artifact(frame, name=reference_name(model_name), user_metadata=record, materializer=materializer)
    logger.info("Reference set of %s: %s (%d rows)", model_name, reason, len(frame))
    return record


def reference_for(
    model_name: str,
    holdout: pd.DataFrame,
    replace_reason: str | None,
    run: str,
    materializer: type | None = None,
    holdout_hash: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The reference set to judge this run's candidate on, and the record if this run made a new one:
    the model's first run keeps its holdout; a replacement (with its reason) keeps this run's holdout;
    otherwise the current reference set, unchanged. A new one is stored with ``materializer``.

    ``holdout`` itself (the same object) is returned whenever the reference set is these rows: also when
    the stored set's content hash equals ``holdout_hash`` (the same data split the same way), which is
    then not loaded, and the models are scored on those rows once.
    """
    current = _newest(model_name)
    if current is None:
        first = "the model's first run: its holdout is the reference"
        return holdout, keep_reference(model_name, holdout, first, run, materializer)
    if replace_reason:
        reason = f"replaced on purpose: {replace_reason}"
        return holdout, keep_reference(model_name, holdout, reason, run, materializer)
    if holdout_hash is not None and current.content_hash == holdout_hash:
        return holdout, None
    frame = current.load()
    return frame, None
