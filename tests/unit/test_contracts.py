"""The layer contracts: the allow-list contract of the model's code can fail, and every contract of
``.importlinter`` holds for the project as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests.conftest import ROOT
from tests.contracts import AllowedImportsContract


def _graph(tmp_path: Path, files: dict[str, str]) -> grimp.ImportGraph:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    sys.path.insert(0, str(tmp_path))
    try:
        return grimp.build_graph("pkg", include_external_packages=True, cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))


def _contract(*sources: str) -> AllowedImportsContract:
    options = {"source_modules": list(sources), "allowed_modules": ["numpy", "pandas"]}
    return AllowedImportsContract(name="model code", session_options={}, contract_options=options)


@pytest.mark.parametrize(
    ("helper", "sources", "broken"),
    [
        ("import pandas\n", ("pkg", "pkg.model", "pkg.helper"), []),
        ("import pandas\nimport requests\n", ("pkg", "pkg.model", "pkg.helper"), [("pkg.helper", "requests")]),
        # pkg.helper is not shipped with the model (not a source): importing it breaks the contract
        ("import pandas\n", ("pkg", "pkg.model"), [("pkg.model", "pkg.helper")]),
    ],
)
def test_the_allow_list_sees_direct_indirect_and_unshipped_imports(
    tmp_path: Path, helper: str, sources: tuple[str, ...], broken: list[tuple[str, str]]
) -> None:
    graph = _graph(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/model.py": "import json\nimport numpy\nfrom pkg import helper\n",
            "pkg/helper.py": helper,
        },
    )
    check = _contract(*sources).check(graph, verbose=False)
    assert [(b["importer"], b["imported"]) for b in check.metadata["broken"]] == broken
    assert check.kept == (not broken)


def test_the_contract_checks_exactly_the_code_shipped_with_a_model() -> None:
    import configparser

    from portable_mlops.modeling.tracking import MODEL_CODE

    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter")
    checked = config["importlinter:contract:model-code"]["source_modules"].split()
    shipped = [path.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for path in MODEL_CODE]
    assert sorted(checked) == sorted(shipped)


def test_every_contract_of_the_project_is_kept() -> None:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in proc.stdout
