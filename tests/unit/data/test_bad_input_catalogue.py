"""Every case of the bad-input catalogue (tests/catalogue.py) through the functions the pipeline's
steps call in order: read and prepare (load_data), row rules and whylogs constraints against the
champion's reference profile (validate_data). The end-to-end versions, with the exit code and the
unchanged registry and endpoint, are in tests/integration/test_bad_inputs.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from portable_mlops.data.loading import load_builtin, load_source
from portable_mlops.data.profiling import profile_frame
from portable_mlops.data.validation import check_profile, check_rows, raise_on_failures
from portable_mlops.errors import UserFacingError
from portable_mlops.params import DataSource, ValidationParams
from tests.catalogue import CATALOGUE, TARGET


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    return profile_frame(load_builtin("breast_cancer"))


@pytest.mark.parametrize("case", list(CATALOGUE))
def test_each_bad_input_stops_with_one_line_naming_problem_and_fix(reference, tmp_path: Path, case: str) -> None:
    name, content, expected = CATALOGUE[case]
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    params = ValidationParams()
    with pytest.raises(UserFacingError) as info:
        frame = load_source(DataSource(uri=str(path), target=TARGET, task="classification"))
        results = check_rows(frame, TARGET, params) + check_profile(profile_frame(frame), reference, TARGET, params)
        raise_on_failures(results, has_champion=True)
    message = str(info.value)
    assert expected in message and "\n" not in message, message[:800]
    assert ";" in message and len(message) < 1000, message[:800]  # the problem; then the fix
