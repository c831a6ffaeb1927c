"""ZenML's own floor: a pipeline of the training pipeline's shape whose steps do nothing, run as plain ZenML.

    python -m benchmarks.zenml_floor               # cached where ZenML can
    python -m benchmarks.zenml_floor --no-cache    # every step executes
    python -m benchmarks.zenml_floor --tuned       # with run.py's process settings and ZenML fixes

Eight steps chained like ``pipelines/training.py`` (the same number of outputs per step: 2, 1, 1, 2, 3, 3,
1, 1), each returning small numbers or text through ZenML's built-in materializers, run on the active
stack (its components are the stack's own) by ZenML's default ``pipeline`` call: no stack import, no run
facts. As released, ZenML's collector and its package scan included; ``--tuned`` applies what
``run.py`` does to its process (``portable_mlops.cli.process``: the collector paused while importing,
the heap frozen before the run and at exit) and ``stacks.fixes`` (ZenML's package scan once per process),
so the floor has what the training pipeline has but its work. The training section times both beside
the training pipeline (``zenml_floor_*`` in results.json): what a cached re-run costs that this project
cannot save, and what the training pipeline's cached re-run pays above it.
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--tuned" in sys.argv:  # first thing, as run.py does: before ZenML's imports
    from portable_mlops.cli.process import tune_collector

    tune_collector()

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
@click.option("--tuned", is_flag=True, help="With run.py's process settings and stacks.fixes.")
def main(no_cache: bool, tuned: bool) -> None:
    """Run the floor pipeline once on the active stack."""
    from zenml.client import Client
    from zenml.utils import source_utils

    from benchmarks.common import ROOT
    from portable_mlops.cli.process import settle_heap

    source_utils.set_custom_source_root(str(ROOT))  # as run.py's folder is, so the steps' sources resolve
    if tuned:
        from stacks import fixes

        fixes.apply()
        Client().active_stack  # noqa: B018 - built before the heap is frozen, as in run.py
        settle_heap()
    floor_pipeline.with_options(enable_cache=not no_cache)()


if __name__ == "__main__":
    main()
