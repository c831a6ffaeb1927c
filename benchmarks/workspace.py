"""An isolated ZenML + MLflow home for the benchmarks: nothing of the user's own state is touched."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import PYTHON, ROOT, Process, check, run_process
from tests.remote.services import isolated_env, with_source_root


@dataclass
class Workspace:
    """A temporary ``ZENML_CONFIG_PATH`` with the local stack imported and active."""

    root: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 3600) -> Process:
        """``python run.py <args>`` in this workspace, measured."""
        return run_process([PYTHON, "run.py", *args], env=self.env, timeout=timeout)

    def python(self, *args: str, timeout: float = 3600) -> Process:
        """``python <args>`` with this workspace's environment, measured."""
        return run_process([PYTHON, *args], env=self.env, timeout=timeout)


@contextmanager
def workspace(stack: str = "local") -> Iterator[Workspace]:
    """Yield a fresh workspace with ``stacks/<stack>.yaml`` active; remove it afterwards.

    The stack is activated through ``ZENML_ACTIVE_STACK_ID``; no ZenML repository is used
    (``isolated_env``), so the checkout's ``.zen/config.yaml`` is never read or written.
    """
    root = Path(tempfile.mkdtemp(prefix="pmlops-bench-"))
    env = {**isolated_env(root / "zenml"), "PYTHONPATH": str(ROOT)}
    try:
        space = Workspace(root, env)
        code = (
            "from zenml.client import Client; from portable_mlops.cli.stack_setup import ensure_stack; "
            f"print(Client().get_stack(ensure_stack({stack!r}, activate=False)).id)"
        )
        stack_id = (
            check(space.python("-c", with_source_root(code)), f"importing stacks/{stack}.yaml")
            .stdout.strip()
            .splitlines()[-1]
        )
        env["ZENML_ACTIVE_STACK_ID"] = stack_id
        yield space
    finally:
        check(space.python("-m", "portable_mlops.cli.endpoints"), "stopping the benchmark's endpoints")
        shutil.rmtree(root, ignore_errors=True)
