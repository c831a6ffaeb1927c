"""The model's reference set: kept on its first run, and recognised by content when a run's holdout is
the same rows (then it is not loaded, and the models are scored on those rows once)."""

from __future__ import annotations

import uuid

import pandas as pd

from materializers.frame import HashedPandasMaterializer, frame_hash
from portable_mlops.lifecycle.reference import load_reference, reference_for
from tests.conftest import mixed_frame


def holdout_like() -> pd.DataFrame:
    """A holdout as a split makes it: shuffled rows with their original index, text with gaps."""
    return mixed_frame(80).sample(frac=0.5, random_state=1)


def test_a_holdout_of_the_same_rows_is_the_reference_and_another_is_not() -> None:
    name = f"reference_{uuid.uuid4().hex[:8]}"
    first = holdout_like()
    reference, kept = reference_for(name, first, None, "run-1", HashedPandasMaterializer)
    assert reference is first and kept is not None and kept["rows"] == 40

    # a later run's holdout as its step loads it: equal rows, another object
    stored = load_reference(name)
    assert stored is not None
    pd.testing.assert_frame_equal(stored, first)
    assert frame_hash(stored) == frame_hash(first)  # the stored content hash is the loaded frame's too
    again = stored.copy()
    reference, kept = reference_for(name, again, None, "run-2", HashedPandasMaterializer, frame_hash(again))
    assert reference is again and kept is None

    changed = again.copy()
    changed.iloc[0, changed.columns.get_loc("age")] += 1.0  # age has no gaps
    reference, kept = reference_for(name, changed, None, "run-3", HashedPandasMaterializer, frame_hash(changed))
    assert reference is not changed and kept is None
    pd.testing.assert_frame_equal(reference, first)  # the stored set, unchanged

    # without a hash (as before), the stored set is loaded and compared as rows
    reference, _ = reference_for(name, again, None, "run-4", HashedPandasMaterializer)
    assert reference is not again
