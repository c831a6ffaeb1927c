"""Compatibility shims for the pinned dependency set and its tools, each explained.

whylogs 1.6.4 (the last release) still refers to ``np.unicode_``, which NumPy 2 removed; profiling any
frame with a string column raises AttributeError. NumPy 2 spells it ``np.str_``. Importing this module
before whylogs makes the old name resolve. It is idempotent and changes nothing on NumPy 1.
"""

import os
import sys

import numpy as np

# whylogs phones home for usage statistics on first use; these machines (and many users) are offline.
os.environ.setdefault("WHYLOGS_NO_ANALYTICS", "True")

if not hasattr(np, "unicode_"):
    np.unicode_ = np.str_  # type: ignore[attr-defined]

# ZenML's MLflow model deployer starts MLflow's scoring server as `bash -c "exec uvicorn ..."`, which
# fails with exit 127 unless this interpreter's scripts directory is on PATH (it is not when a
# virtual environment's python is called without activating it, as `make` and CI do).
_scripts = os.path.dirname(sys.executable)
if _scripts not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _scripts + os.pathsep + os.environ.get("PATH", "")

# whylogs logs one INFO line per profile segment it reads ("Attempting to read profile file as
# delimited from position ...": hundreds per loaded profile), which buried the run output.
import logging  # noqa: E402

logging.getLogger("whylogs.core.utils.protobuf_utils").setLevel(logging.WARNING)
