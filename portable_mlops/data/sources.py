"""Where data comes from, as URIs: the conventions the command line and the loaders share.

Nothing heavy is imported here: the command line reads these before it knows whether it will load
any data at all.
"""

from __future__ import annotations

import os
import re

#: A data set that ships inside scikit-learn: ``sklearn://breast_cancer``, ``sklearn://wine``, ``sklearn://iris``.
BUILTIN_PREFIX = "sklearn://"
#: The rows of the champion's holdout: rows it was evaluated on and never trained on. Resolved by the
#: pipelines (the load step reads the champion's ``test_set`` artifact), since only they know the champion.
CHAMPION_HOLDOUT = "champion://holdout"


def default_model_name(uri: str, task: str = "auto") -> str:
    """Derive a registry model name from a data URI: ``data/churn-2024.csv`` -> ``churn_2024_classifier``
    (``churn_2024_regressor`` for a regression)."""
    stem = uri[len(BUILTIN_PREFIX) :] if uri.startswith(BUILTIN_PREFIX) else os.path.basename(uri.rstrip("/"))
    stem = re.sub(r"(\.(csv|txt|parquet|pq))?(\.(gz|bz2|zip))?$", "", stem, flags=re.IGNORECASE)
    slug = re.sub(r"[^0-9a-zA-Z]+", "_", stem).strip("_").lower() or "dataset"
    return f"{slug}_{'regressor' if task == 'regression' else 'classifier'}"
