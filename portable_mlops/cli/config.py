"""Run configurations: load a ZenML run-config file and apply the command line's overrides."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from portable_mlops.data.sources import BUILTIN_PREFIX, default_model_name
from portable_mlops.errors import UserFacingError

CONFIGS_DIR = Path(__file__).resolve().parents[2] / "configs"


def load_config(path: Path) -> dict[str, Any]:
    """Read a run-config YAML file; a missing or malformed file gets a one-line error."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise UserFacingError(
            f"config file {path} does not exist; pass --config with a file from {CONFIGS_DIR}"
        ) from exc
    except yaml.YAMLError as exc:
        raise UserFacingError(
            f"config file {path} is not valid YAML ({str(exc).splitlines()[0]}); fix its syntax"
        ) from exc
    if not isinstance(data, dict):
        raise UserFacingError(f"config file {path} must hold a mapping (settings, parameters, steps, model)")
    return data


def _absolute(uri: str) -> str:
    if "://" in uri or os.path.isabs(uri):
        return uri
    return os.path.abspath(uri)


def _task_for_name(config: dict[str, Any], data: str, target: str | None, task: str | None) -> str:
    """The task a new model's name says: as given or configured, else what the labels make of ``auto``."""
    source = (config.get("parameters") or {}).get("source") or {}
    chosen = task or str(source.get("task", "auto"))
    label = target or source.get("target")
    if chosen != "auto" or not label:
        return chosen
    from portable_mlops.data.loading import peek_task

    uri = data if data.startswith(BUILTIN_PREFIX) else _absolute(data)
    return peek_task(uri, str(label))


def apply_overrides(
    config: dict[str, Any], data: str | None, target: str | None, model_name: str | None, task: str | None = None
) -> dict[str, Any]:
    """Return a copy of ``config`` with the data source, target, task and model name from the command line.

    A new ``--data`` without ``--model-name`` trains a model of its own, named after the data file, so
    a different data set never competes with another data set's champion.
    """
    out = dict(config)
    parameters = dict(out.get("parameters") or {})
    if "source" in parameters:  # pipelines without a data source (deployment) take neither
        source = dict(parameters["source"] or {})
        if data:
            source["uri"] = data if data.startswith(BUILTIN_PREFIX) else _absolute(data)
        if target:
            source["target"] = target
        if task:
            source["task"] = task
        parameters["source"] = source
    out["parameters"] = parameters
    model = dict(out.get("model") or {})
    if data and not model_name:
        named = _task_for_name(config, data, target, task)
        model["name"] = default_model_name(data, named)
        model.pop("description", None)  # they describe the default data set
        model.pop("license", None)
        tags = [t for t in model.get("tags") or [] if t not in ("classification", "regression")]
        model["tags"] = [*tags, named] if named in ("classification", "regression") else tags
    if model_name:
        model["name"] = model_name
    if model:
        out["model"] = model
    return out


def set_parameter(config: dict[str, Any], group: str, key: str, value: Any) -> dict[str, Any]:
    """Return a copy of ``config`` with ``parameters.<group>.<key>`` set to ``value``."""
    out = dict(config)
    parameters = dict(out.get("parameters") or {})
    parameters[group] = {**(parameters.get(group) or {}), key: value}
    out["parameters"] = parameters
    return out


def write_config(config: dict[str, Any]) -> Path:
    """Write a resolved config to a temporary file ZenML can read."""
    descriptor, name = tempfile.mkstemp(suffix=".yaml", prefix="pmlops-run-")
    with os.fdopen(descriptor, "w") as handle:
        yaml.safe_dump(config, handle, sort_keys=False)
    return Path(name)


def with_docker_settings(config: dict[str, Any], registry_uri: str | None) -> dict[str, Any]:
    """Add ``configs/docker.yaml``'s settings unless the config has its own ``settings.docker``.

    A ``parent_image`` without a registry host (``name:tag``) is prefixed with ``registry_uri``, the
    active stack's container registry, so the registry is named in the stack file only.
    """
    out = dict(config)
    settings = dict(out.get("settings") or {})
    if "docker" not in settings:
        docker = dict(load_config(CONFIGS_DIR / "docker.yaml")["settings"]["docker"])
        image = str(docker.get("parent_image", ""))
        if registry_uri and image and "/" not in image:
            docker["parent_image"] = f"{registry_uri.rstrip('/')}/{image}"
        settings["docker"] = docker
    out["settings"] = settings
    return out


def parameter_models(kind: str) -> dict[str, type[BaseModel]]:
    """The parameter model of each parameter of pipeline ``kind`` (``training``, ...), from its signature."""
    import typing

    import pipelines

    entrypoint = getattr(pipelines, f"{kind}_pipeline").entrypoint
    hints = typing.get_type_hints(entrypoint)
    return {name: hint for name, hint in hints.items() if isinstance(hint, type) and issubclass(hint, BaseModel)}


def repeated_defaults(model: type[BaseModel], values: dict[str, Any], prefix: str = "") -> list[str]:
    """The keys of ``values`` (dotted, nested models included) whose value equals the model's default.

    The parameter models are the one source of defaults: a config file that repeats one would drift
    from it the day the default changes. Call after validating ``values`` (unknown keys raise KeyError).
    """
    from pydantic_core import PydanticUndefined

    given = model.model_validate(values)  # the values as the model reads them (validators applied)
    repeated = []
    for key, value in values.items():
        default = model.model_fields[key].get_default(call_default_factory=True)
        if default is PydanticUndefined:
            continue
        if isinstance(value, dict) and isinstance(default, BaseModel):
            repeated += repeated_defaults(type(default), value, f"{prefix}{key}.")
        elif getattr(given, key) == default:
            repeated.append(f"{prefix}{key}")
    return repeated
