"""Every test that docs/ml-test-score.md names exists: each backticked ``path.py``, ``path.py::test`` and
``::test`` (the file named last before it on the same line) is looked up by reading files, nothing is
imported.

Paths are relative to ``tests/``; a path whose first directory is not one of ``tests/`` (``tests/...``,
``portable_mlops/...``) is relative to the repository. A name may carry a parametrisation (``[...]``),
which is stripped; the file must define it with ``def`` or ``async def``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
DOC = ROOT / "docs" / "ml-test-score.md"

BACKTICKED = re.compile(r"`([^`\n]+)`")
REFERENCE = re.compile(r"(?P<file>[\w./-]+\.py)?(?:::(?P<name>[A-Za-z_]\w*)(?:\[[^\]]*\])?)?")


def references(text: str) -> list[tuple[int, str | None, str | None]]:
    """(line number, file, test name) of every reference in ``text``; a ``::name`` with no file before
    it on its line has file None."""
    found: list[tuple[int, str | None, str | None]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        last: str | None = None
        for token in BACKTICKED.findall(line):
            match = REFERENCE.fullmatch(token.strip())
            if match is None or not (match["file"] or match["name"]):
                continue
            if match["file"]:
                last = match["file"]
            found.append((number, last, match["name"]))
    return found


def resolve(path: str, tests: Path = TESTS, root: Path = ROOT) -> Path:
    """Where a referenced path lives: under ``tests/`` unless its first part is not there."""
    first = path.split("/", 1)[0]
    return tests / path if (tests / first).exists() else root / path


def defines(path: Path, name: str) -> bool:
    return re.search(rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", path.read_text(), re.M) is not None


def broken(text: str, tests: Path = TESTS, root: Path = ROOT) -> list[str]:
    """Every reference in ``text`` whose file or test does not exist, with its line number."""
    out: list[str] = []
    for number, file, name in references(text):
        shown = f"{file or ''}::{name}" if name else str(file)
        if file is None:
            out.append(f"line {number}: {shown}: no file named before it on the line")
            continue
        path = resolve(file, tests, root)
        if not path.is_file():
            out.append(f"line {number}: {shown}: no file {path.relative_to(root)}")
        elif name and not defines(path, name):
            out.append(f"line {number}: {shown}: {path.relative_to(root)} defines no {name}")
    return out


def test_every_test_the_ml_test_score_names_exists() -> None:
    text = DOC.read_text()
    found = references(text)
    assert len(found) >= 50, f"only {len(found)} references found in {DOC.name}: the parser no longer sees them"
    assert {file for _, file, _ in found if file and file.startswith("unit/")}, "no unit test file is referenced"
    problems = broken(text)
    assert not problems, f"{DOC.name} names {len(problems)} test(s) that do not exist:\n" + "\n".join(problems)


def test_the_check_reports_a_missing_file_a_missing_test_and_a_dangling_name(tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    (tests / "unit").mkdir(parents=True)
    (tests / "unit" / "test_a.py").write_text(
        "import pytest\n\n\ndef test_one():\n    pass\n\n\nclass TestB:\n    async def test_two(self):\n        pass\n"
    )
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "code.py").write_text("")
    good = "| `unit/test_a.py::test_one`, `::test_two[case-1]`, `unit/test_a.py`, `pkg/code.py`, `make bench` |"
    assert broken(good, tests, tmp_path) == []
    bad = "\n".join(
        [
            "`unit/test_a.py::test_three`",
            "`unit/test_gone.py::test_one`, `::test_one`",
            "`::test_one` alone",
            "`pkg/missing.py` and `unit/test_a.py::test_on`",
        ]
    )
    assert broken(bad, tests, tmp_path) == [
        "line 1: unit/test_a.py::test_three: tests/unit/test_a.py defines no test_three",
        "line 2: unit/test_gone.py::test_one: no file tests/unit/test_gone.py",
        "line 2: unit/test_gone.py::test_one: no file tests/unit/test_gone.py",
        "line 3: ::test_one: no file named before it on the line",
        "line 4: pkg/missing.py: no file pkg/missing.py",
        "line 4: unit/test_a.py::test_on: tests/unit/test_a.py defines no test_on",
    ]
