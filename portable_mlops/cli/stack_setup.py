"""Importing and activating the stacks described in ``stacks/*.yaml``, idempotently."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

from portable_mlops.errors import StackSetupError

STACKS_DIR = Path(__file__).resolve().parents[2] / "stacks"
SECRET_REFERENCE = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+?)\.([A-Za-z0-9_-]+)\s*\}\}")


def stack_file(name: str) -> Path:
    """The YAML file of the stack called ``name`` (``local``, ``kubeflow``, ``vertex``)."""
    path = STACKS_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in STACKS_DIR.glob("*.yaml")))
        raise StackSetupError(f"no stack file {path}; choose one of: {known}")
    return path


def read_stack(path: Path) -> dict[str, Any]:
    """Parse a stack file and check it has the shape ``zenml stack export`` writes."""
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict) or "stack_name" not in data or "components" not in data:
        raise StackSetupError(f"{path} is not a ZenML stack export (needs stack_name and components)")
    return data


def secret_references(data: dict[str, Any]) -> dict[str, set[str]]:
    """The ZenML secrets (and their keys) a stack file refers to as ``{{secret.key}}``."""
    found: dict[str, set[str]] = {}
    for match in SECRET_REFERENCE.finditer(yaml.safe_dump(data)):
        found.setdefault(match.group(1), set()).add(match.group(2))
    return found


def check_secrets(client: Any, data: dict[str, Any]) -> None:
    """Fail with the command that creates them when referenced secrets or keys are missing."""
    for name, keys in sorted(secret_references(data).items()):
        try:
            present = set(client.get_secret(name, allow_partial_name_match=False).secret_values)
        except KeyError:
            present = set()
        missing = sorted(keys - present)
        if missing:
            args = " ".join(f"--{key}=..." for key in missing)
            raise StackSetupError(
                f"stack '{data['stack_name']}' needs ZenML secret '{name}' with {', '.join(missing)}; "
                f"create it: zenml secret create {name} {args}"
            )


def with_overrides(data: dict[str, Any], overrides: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    """A copy of a stack file with some components' configuration keys replaced (by component name)."""
    out = copy.deepcopy(data)
    for specs in out["components"].values():
        for spec in specs:
            spec["configuration"] = {**(spec.get("configuration") or {}), **(overrides or {}).get(spec["name"], {})}
    return out


def _ensure_component(client: Any, component_type: Any, spec: dict[str, Any]) -> Any:
    name, flavor, config = spec["name"], spec["flavor"], spec.get("configuration") or {}
    try:
        existing = client.get_stack_component(component_type, name_id_or_prefix=name, allow_name_prefix_match=False)
    except KeyError:
        return client.create_stack_component(
            name=name, flavor=flavor, component_type=component_type, configuration=config
        ).id
    if existing.flavor_name != flavor or existing.configuration != config:
        raise StackSetupError(
            f"a {component_type.value} named '{name}' already exists with another flavor or configuration; "
            f"delete it (zenml {component_type.value.replace('_', '-')} delete {name}) or rename it in the stack file"
        )
    return existing.id


def ensure_flavors() -> None:
    """Register the project's own flavors (``stacks/flavors``) that the ZenML store does not know yet."""
    from zenml.client import Client
    from zenml.utils import source_utils

    from stacks.flavors import FLAVOR_SOURCES

    client = Client()
    for source in FLAVOR_SOURCES:
        flavor = source_utils.load(source)()
        try:
            client.get_flavor_by_name_and_type(flavor.name, flavor.type)
        except KeyError:
            client.create_flavor(source=source, component_type=flavor.type)


def ensure_stack(name: str, activate: bool = True, overrides: dict[str, dict[str, Any]] | None = None) -> str:
    """Import ``stacks/<name>.yaml`` unless its stack exists, then (optionally) activate it.

    Creates nothing when the stack and its components already exist: running it twice is safe.
    ``overrides`` replaces configuration keys of named components when the stack is imported (tests point
    endpoints at loopback); the stack is labelled with the hash of the file itself, so the same file
    given again, with or without overrides, is the same stack. Returns the ZenML stack name.
    """
    data = read_stack(stack_file(name))
    return ensure_stack_data(with_overrides(data, overrides), activate, digest=stack_hash(data))


#: The label a stack imported from a file carries: a hash of the file's content.
HASH_LABEL = "pmlops_stack_file_sha256"


def stack_hash(data: dict[str, Any]) -> str:
    """A content hash of a stack description: equal for the same components and configuration."""
    import hashlib

    return hashlib.sha256(yaml.safe_dump(data, sort_keys=True).encode()).hexdigest()


def ensure_stack_data(data: dict[str, Any], activate: bool = True, digest: str | None = None) -> str:
    """:func:`ensure_stack` for a stack description already read (``zenml stack export`` format).

    A stack imported from the same file before is recognised by the hash label it was given
    (:data:`HASH_LABEL`) and only activated: nothing is imported or compared again, and no flavor
    module is loaded. A stack of that name from another version of the file is an error that says how
    to re-import it; one without the label (imported before labels existed) is checked component by
    component, then labelled. ``digest`` is the hash to label with (default: of ``data``).
    """
    from zenml.client import Client
    from zenml.enums import StackComponentType

    client = Client()
    stack_name = data["stack_name"]
    digest = digest or stack_hash(data)
    try:
        existing = client.get_stack(stack_name, allow_name_prefix_match=False)
    except KeyError:
        existing = None
    if existing is not None and (existing.labels or {}).get(HASH_LABEL) not in (None, digest):
        raise StackSetupError(
            f"stack '{stack_name}' was imported from another version of its stack file; re-import it: "
            f"zenml stack delete {stack_name} -y (its components too, if they changed), then run again"
        )
    if existing is None or (existing.labels or {}).get(HASH_LABEL) is None:
        ensure_flavors()
        check_secrets(client, data)
        components = {
            StackComponentType(kind): [_ensure_component(client, StackComponentType(kind), spec) for spec in specs]
            for kind, specs in data["components"].items()
        }
        if existing is None:
            client.create_stack(name=stack_name, components=components, labels={HASH_LABEL: digest})
        else:
            client.update_stack(stack_name, labels={**(existing.labels or {}), HASH_LABEL: digest})
    else:
        check_secrets(client, data)  # a secret may have been deleted since: name the command that makes it
    if activate and client.active_stack_model.name != stack_name:
        client.activate_stack(stack_name)
    return str(stack_name)
