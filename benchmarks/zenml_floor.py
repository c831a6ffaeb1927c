"""ZenML's own floor: a pipeline of the training pipeline's shape whose steps do nothing, run as plain ZenML.

    python -m benchmarks.zenml_floor               # cached where ZenML can
    python -m benchmarks.zenml_floor --no-cache    # every step executes

Eight steps chained like ``pipelines/training.py`` (the same number of outputs per step: 2, 1, 1, 2, 3, 3,
1, 1), each returning small numbers or text through ZenML's built-in materializers, run on the active
stack by ZenML's default ``pipeline`` call: no stack import, no run facts, no collector tuning, nothing of
this project's. The training section times it beside the training pipeline (``floor_*`` in
results.json): what a cached re-run costs that no project on this stack can save, and what the training
pipeline's cached re-run pays above it.
"""

from __future__ import annotations

from typing import Annotated

import click
from zenml import pipeline, step


@step
def load() -> tuple[Annotated[int, "frame"], Annotated[str, "task"]]:
    return 1, "classification"


@step
def profile(frame: int) -> Annotated[int, "profile"]:
    return frame + 1


@step
def validate(frame: int, profile: int) -> Annotated[int, "report"]:
    return frame + profile


@step
def split(frame: int, report: int) -> tuple[Annotated[int, "train"], Annotated[int, "test"]]:
    return frame, report


@step
def train(train: int, task: str) -> tuple[Annotated[int, "model"], Annotated[int, "candidates"], Annotated[str, "uri"]]:
    return train, train + 1, f"models:/{task}"


@step
def evaluate(
    model: int, test: int, uri: str
) -> tuple[Annotated[float, "metrics"], Annotated[int, "report_html"], Annotated[float, "quality"]]:
    return float(model + test), len(uri), 1.0


@step
def register(uri: str, metrics: float) -> Annotated[str, "version"]:
    return f"{uri}/{metrics}"


@step
def promote(model: int, version: str, quality: float, test: int) -> Annotated[bool, "promoted"]:
    return bool(model and version and quality and test)


@pipeline(name="zenml_floor")
def floor_pipeline() -> None:
    """The training pipeline's graph with steps that do nothing."""
    frame, task = load()
    profiled = profile(frame)
    report = validate(frame, profiled)
    train_set, test_set = split(frame, report)
    model, _, uri = train(train_set, task)
    metrics, _, quality = evaluate(model, test_set, uri)
    version = register(uri, metrics)
    promote(model, version, quality, test_set)


@click.command()
@click.option("--no-cache", is_flag=True, help="Execute every step (ZenML's enable_cache=False).")
def main(no_cache: bool) -> None:
    """Run the floor pipeline once on the active stack."""
    from zenml.utils import source_utils

    from benchmarks.common import ROOT

    source_utils.set_custom_source_root(str(ROOT))  # as run.py's folder is, so the steps' sources resolve
    floor_pipeline.with_options(enable_cache=not no_cache)()


if __name__ == "__main__":
    main()
