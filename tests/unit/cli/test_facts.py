"""portable_mlops/cli/facts.py: what makes the data- and champion-dependent steps re-run."""

from __future__ import annotations

from typing import Any

import pytest

from portable_mlops.cli.facts import CACHEABLE, with_facts


@pytest.fixture()
def no_champions(monkeypatch: pytest.MonkeyPatch) -> None:
    """No model has a champion or a reference set yet (the registry and the store are not asked)."""
    import zenml.client

    from portable_mlops.lifecycle import champion, registry

    def missing(self: Any, name: str) -> Any:
        raise KeyError(name)

    monkeypatch.setattr(champion, "current_champion", lambda registry, name: None)
    monkeypatch.setattr(registry, "active_registry", lambda: None)
    monkeypatch.setattr(zenml.client.Client, "get_artifact_version", missing)


def config(model: str, uri: str) -> dict[str, Any]:
    return {"model": {"name": model}, "parameters": {"source": {"uri": uri, "target": "y"}}}


def test_the_same_data_under_another_model_name_is_not_the_same_run(no_champions: None, tmp_path: Any) -> None:
    data = tmp_path / "data.csv"
    data.write_text("x,y\n1,0\n2,1\n")
    first, again, other = (with_facts("training", config(m, str(data))) for m in ("churn", "churn", "churn_v2"))
    assert first["parameters"]["facts"] == again["parameters"]["facts"]  # a re-run may reuse its steps
    assert first["parameters"]["facts"]["data"] == other["parameters"]["facts"]["data"]
    assert first["parameters"]["facts"]["champion"] != other["parameters"]["facts"]["champion"]
    assert (first["parameters"]["facts"]["model"], other["parameters"]["facts"]["model"]) == ("churn", "churn_v2")
    assert set(first["steps"]) == set(CACHEABLE["training"])
    data.write_text("x,y\n1,0\n2,0\n")
    assert with_facts("training", config("churn", str(data)))["parameters"]["facts"] != first["parameters"]["facts"]
