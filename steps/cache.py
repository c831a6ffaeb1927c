"""The steps' cache key also covers the project's code that the steps call.

ZenML keys a cached step on its own function's source, its parameters and its inputs, not on the code
that function calls. A change to ``portable_mlops`` (how a model is built, scored or checked) or to
``materializers`` (how an artifact is stored) would otherwise leave an old model, evaluation or split
cached after an upgrade of this project, on the same data and config. Every pipeline sets
:data:`CODE_CACHE_POLICY`: ZenML's default policy plus :func:`project_code` in the key.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from zenml.config.cache_policy import CachePolicy

ROOT = Path(__file__).resolve().parents[1]

#: The code whose change must re-run cached steps; the command line (``portable_mlops/cli``) is not
#: called by any step.
CODE_DIRS = ("portable_mlops", "materializers")
EXCLUDED = ("portable_mlops/cli/",)


def project_code(root: Path = ROOT) -> str:
    """SHA-256 of the paths and bytes of every ``.py`` file under :data:`CODE_DIRS` (sorted, relative to
    ``root``, so every machine with the same code gets the same value)."""
    digest = hashlib.sha256()
    for directory in CODE_DIRS:
        for path in sorted((root / directory).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith(EXCLUDED) or "__pycache__" in relative:
                continue
            digest.update(relative.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


#: ZenML's default cache policy plus :func:`project_code`.
CODE_CACHE_POLICY = CachePolicy(cache_func="steps.cache.project_code")
