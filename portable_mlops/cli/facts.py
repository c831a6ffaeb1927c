"""What the command line sees of the outside world before a run: a fingerprint of the data source and
the champion (:class:`portable_mlops.params.RunFacts`).

With them the steps that read the data or depend on the champion become cacheable (:func:`with_facts`):
a re-run on unchanged data, config and champion reuses them; a changed file, a new champion or a new
reference set runs them again. Anything that cannot be fingerprinted gets a unique value: never reused.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from importlib.metadata import version
from typing import Any

from portable_mlops.data.sources import BUILTIN_PREFIX, CHAMPION_HOLDOUT

#: The steps a pipeline may reuse once the facts are known, per pipeline.
CACHEABLE: dict[str, tuple[str, ...]] = {
    "training": ("load_data", "validate_data", "register_model", "promote_model"),
    "inference": ("load_data", "validate_data"),
}


def data_fingerprint(uri: str, champion: str) -> str:
    """The content of the data at ``uri``: a SHA-256 of a local file, the ETag (or size and modification
    time) of a remote one, scikit-learn's version for its built-in data, the champion for its holdout."""
    if uri.startswith(BUILTIN_PREFIX):
        return f"{uri}@scikit-learn=={version('scikit-learn')}"
    if uri == CHAMPION_HOLDOUT:
        return f"{uri}@{champion}"
    try:
        if "://" not in uri:
            digest = hashlib.sha256()
            with open(uri, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            return f"sha256:{digest.hexdigest()}"
        import fsspec

        fs, path = fsspec.core.url_to_fs(uri)
        info = fs.info(path)
        tag = info.get("ETag") or info.get("etag") or info.get("md5Hash") or info.get("md5")
        return f"etag:{tag}" if tag else f"{info.get('size')}:{info.get('LastModified') or info.get('mtime')}"
    except (OSError, ValueError):  # unreadable here: the load step says why, and nothing is reused
        return f"unknown:{uuid.uuid4().hex}"


def champion_fingerprint(model_name: str) -> str:
    """The model, its champion's registry version and the version of its reference set, as they are now.

    The model's name is part of it: the same data trained under another ``--model-name`` registers and
    judges a version of that model, not the other's cached one."""
    from zenml.client import Client

    from portable_mlops.lifecycle.champion import current_champion
    from portable_mlops.lifecycle.reference import reference_name
    from portable_mlops.lifecycle.registry import active_registry

    champion = current_champion(active_registry(), model_name) or "none"
    try:
        reference = str(Client().get_artifact_version(reference_name(model_name)).id)
    except KeyError:
        reference = "none"
    return f"model:{model_name};champion:{champion};reference:{reference}"


def with_facts(kind: str, config: dict[str, Any], reuse: bool = True) -> dict[str, Any]:
    """``config`` with the facts filled in, and (``reuse``) the steps of :data:`CACHEABLE` allowed to be
    reused. A run that may not reuse (``--no-cache``) still records the facts, so the next run on the same
    data and champion can reuse what it did."""
    steps = CACHEABLE.get(kind, ())
    if not steps:
        return config
    model_name = str((config.get("model") or {}).get("name", ""))
    champion = champion_fingerprint(model_name)
    uri = str(((config.get("parameters") or {}).get("source") or {}).get("uri", ""))
    facts = {"data": data_fingerprint(os.path.expanduser(uri), champion), "champion": champion, "model": model_name}
    out = dict(config)
    out["parameters"] = {**(out.get("parameters") or {}), "facts": facts}
    if not reuse:
        return out
    out["steps"] = {**(out.get("steps") or {})}
    for name in steps:
        out["steps"][name] = {**(out["steps"].get(name) or {}), "enable_cache": True}
    return out
