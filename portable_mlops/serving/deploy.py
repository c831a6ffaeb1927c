"""Deploying the champion (and a canary) through whichever model deployer the stack has.

:func:`deploy_champion` is the deploy step's whole logic: the rollout plan picks the versions
(:func:`portable_mlops.lifecycle.rollout.plan_rollout`), the deployer's flavor picks the service
config and the strategy (:mod:`portable_mlops.serving.deployers`, :mod:`portable_mlops.serving.strategies`),
holdout rows of the champion smoke-check the endpoint before it takes traffic, and promote and
rollback move the champion (:func:`portable_mlops.lifecycle.champion.move_champion`) only after the
new spec passed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from portable_mlops.lifecycle.champion import alias_version, champion_version, move_champion, production_artifact
from portable_mlops.lifecycle.promotion import judge_version
from portable_mlops.lifecycle.registry import input_columns, load_version
from portable_mlops.lifecycle.rollout import Live, RolloutError, Served, plan_rollout
from portable_mlops.names import Aliases, Artifacts
from portable_mlops.params import DeployParams
from portable_mlops.serving.client import payload
from portable_mlops.serving.deployers import (
    DeploymentError,
    Target,
    canary_version,
    model_servers,
    plan_for,
    predict_via,
    same_spec,
    served_version,
)
from portable_mlops.serving.strategies import roll_out

logger = logging.getLogger(__name__)


@dataclass
class Deployed:
    """The running service and what the deploy step records about it."""

    service: Any
    metadata: dict[str, Any] = field(default_factory=dict)


def same_answers(answered: Any, expected: np.ndarray) -> np.ndarray:
    """Row by row, whether an endpoint's answers are the in-process predictions: equal labels, or for a
    regression numbers equal to a relative 1e-6 (what a JSON round trip may change)."""
    if expected.dtype.kind == "f":
        return np.isclose(np.asarray(answered, dtype="float64"), expected, rtol=1e-6, atol=1e-9)
    return np.asarray(answered).astype(str) == expected.astype(str)


def smoke_check(sample: pd.DataFrame, expected: list[np.ndarray]) -> Callable[[Any], None]:
    """A check that a service answers ``sample`` as one of the served versions predicts it, row by row."""

    def check(service: Any) -> None:
        answered = np.asarray(predict_via(service, sample))
        if answered.shape != expected[0].shape or not np.all(
            np.any([same_answers(answered, e) for e in expected], axis=0)
        ):
            raise DeploymentError(
                f"smoke check: endpoint answered {answered[:5]}, the model predicts {expected[0][:5]}"
            )

    return check


def plan_versions(model_registry: Any, deployer: Any, model_name: str, params: DeployParams) -> Served:
    """Which versions the deployment serves after this run, from the registry's aliases and what is live."""
    live_services = [s for s in model_servers(deployer, model_name) if s.is_running]
    live = Live(served_version(live_services[0]), canary_version(live_services[0])) if live_services else Live()
    return plan_rollout(
        params.rollout,
        champion=champion_version(model_registry, model_name),
        challenger=alias_version(model_registry, model_name, Aliases.CHALLENGER),
        previous=alias_version(model_registry, model_name, Aliases.PREVIOUS_CHAMPION),
        live=live,
        canary_traffic=params.canary_traffic,
    )


def deploy_champion(
    model_registry: Any, deployer: Any, model_name: str, params: DeployParams, pipeline_name: str, step_name: str
) -> Deployed:
    """Serve what ``params.rollout`` asks, prove the endpoint answers, then move the champion if asked.

    A healthy endpoint that already serves the same spec is kept (``force`` redeploys); an unhealthy
    one is replaced. A failed start or smoke check leaves the previous endpoint serving and the
    champion where it was.
    """
    if deployer is None:
        raise DeploymentError("the active stack has no model deployer; use a stack from stacks/ (--stack local)")
    served = plan_versions(model_registry, deployer, model_name, params)
    uris = {v: model_registry.get_model_version(model_name, v).model_source_uri for v in served.versions}
    holdout = production_artifact(model_name, Artifacts.TEST_SET)
    if holdout is None:
        raise DeploymentError(f"the champion of '{model_name}' has no holdout set to smoke-check with; retrain it")
    sample = holdout[input_columns(uris[served.main])].head(params.smoke_rows)
    smoke = smoke_check(sample, [np.asarray(load_version(model_name, v).predict(sample)) for v in served.versions])
    target = Target(
        model_name,
        served.main,
        uris[served.main],
        pipeline_name,
        step_name,
        params.workers,
        params.timeout,
        canary_version=served.canary,
        canary_uri=uris.get(served.canary) if served.canary else None,
        canary_traffic=served.canary_traffic,
        replicas=params.replicas,
        resources=params.resources.model_dump(),
        serving_image=params.serving_image,
        model_root=params.model_root,
    )
    gate = None
    if params.rollout == "promote" and served.new_champion:  # the same gate as at training, before any change
        gate = judge_version(model_registry, model_name, served.new_champion, params.override_reason)
        if not gate.promote:
            raise RolloutError(
                f"the canary v{served.new_champion} does not pass the gate ({gate.reason}); nothing was changed; "
                "promote it anyway only with a reason: python run.py --pipeline deployment --rollout promote "
                "--override-gate 'REASON'"
            )
    plan = plan_for(deployer.flavor, target)
    service = _healthy_current(deployer, model_name, plan, smoke) if not params.force else None
    if service is None:
        service = roll_out(deployer.flavor, deployer, plan, model_name, smoke, params.timeout)
        canary = f" + canary v{served.canary} at {served.canary_traffic}%" if served.canary else ""
        logger.info("Deployed %s v%s%s at %s", model_name, served.main, canary, service.prediction_url)
    replaced = move_champion(model_registry, model_name, served.new_champion) if served.new_champion else None
    return Deployed(
        service,
        {
            "endpoint": str(service.prediction_url),
            "registry_version": served.main,
            "canary_version": served.canary or "",
            "canary_traffic": served.canary_traffic,
            "rollout": params.rollout,
            "previous_champion": replaced or "",
            "deployer": deployer.flavor,
            "gate": gate.reason if gate else "",
            "gate_override": gate.override.model_dump() if gate and gate.override else {},
            "example_request": json.dumps(payload(sample.head(1))),
        },
    )


def _healthy_current(deployer: Any, model_name: str, plan: Any, smoke: Callable[[Any], None]) -> Any | None:
    """A live service that already serves ``plan`` and passes the smoke check, or None."""
    current = [s for s in model_servers(deployer, model_name) if s.is_running and same_spec(s, plan)]
    if not current:
        return None
    try:
        smoke(current[0])
    except Exception as exc:  # noqa: BLE001 - an unhealthy endpoint is replaced
        logger.warning("Endpoint %s fails its smoke check (%s); replacing it", current[0].prediction_url, exc)
        return None
    logger.info("Endpoint %s already serves %s; kept", current[0].prediction_url, model_name)
    return current[0]
