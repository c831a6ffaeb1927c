"""The steps' cache key covers the project's code the steps call (steps/cache.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from steps.cache import CODE_CACHE_POLICY, project_code


def tree(root: Path) -> Path:
    for relative, text in {
        "portable_mlops/modeling/estimators.py": "A = 1\n",
        "portable_mlops/cli/summary.py": "B = 1\n",
        "materializers/frame.py": "C = 1\n",
        "docs/notes.py": "D = 1\n",
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_a_change_to_the_code_steps_call_changes_the_key_and_nothing_else_does(tmp_path: Path) -> None:
    root = tree(tmp_path)
    first = project_code(root)
    assert project_code(root) == first  # stable
    (root / "portable_mlops/cli/summary.py").write_text("B = 2\n")  # the command line: no step calls it
    (root / "docs/notes.py").write_text("D = 2\n")
    assert project_code(root) == first
    (root / "portable_mlops/modeling/estimators.py").write_text("A = 2\n")
    second = project_code(root)
    assert second != first
    (root / "materializers/frame.py").write_text("C = 2\n")
    third = project_code(root)
    assert third != second
    (root / "portable_mlops/modeling/new.py").write_text("")
    assert project_code(root) != third


@pytest.mark.parametrize("name", ["training_pipeline", "deployment_pipeline", "inference_pipeline"])
def test_every_pipeline_keys_its_steps_on_the_project_code(name: str) -> None:
    import pipelines

    policy = getattr(pipelines, name).configuration.cache_policy
    assert policy == CODE_CACHE_POLICY
    assert policy.cache_func.import_path == "steps.cache.project_code"
    assert len(project_code()) == 64
