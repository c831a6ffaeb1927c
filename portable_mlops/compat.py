"""Compatibility shims for the pinned dependency set, each explained.

whylogs 1.6.4 (the last release) still refers to ``np.unicode_``, which NumPy 2 removed; profiling any
frame with a string column raises AttributeError. NumPy 2 spells it ``np.str_``. Importing this module
before whylogs makes the old name resolve. It is idempotent and changes nothing on NumPy 1.
"""

import os

import numpy as np

# whylogs phones home for usage statistics on first use; these machines (and many users) are offline.
os.environ.setdefault("WHYLOGS_NO_ANALYTICS", "True")

if not hasattr(np, "unicode_"):
    np.unicode_ = np.str_  # type: ignore[attr-defined]
