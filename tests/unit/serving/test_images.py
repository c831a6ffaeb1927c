"""The serving image's name: derived from the model's requirements, as the deployer and make agree; and
how many processes MLServer predicts in."""

from __future__ import annotations

from portable_mlops.serving.images import MLSERVER_VERSION, parallel_workers, serving_image, serving_tag

REQUIREMENTS = "mlflow==3.17.2\nscikit-learn==1.9.1\n# a comment\n\nnumpy==2.4.6\n"


def test_the_tag_follows_the_requirements_not_their_order_or_comments() -> None:
    reordered = "numpy==2.4.6\nmlflow==3.17.2  # pinned\nscikit-learn==1.9.1\n"
    assert serving_tag(REQUIREMENTS) == serving_tag(reordered)
    assert serving_tag(REQUIREMENTS) != serving_tag(REQUIREMENTS.replace("numpy==2.4.6", "numpy==2.4.5"))
    assert serving_tag(REQUIREMENTS).startswith(f"mlserver{MLSERVER_VERSION}-")


def test_the_image_lives_under_the_stack_registry() -> None:
    name = serving_image("registry.example.com/portable-mlops/", REQUIREMENTS)
    assert name == f"registry.example.com/portable-mlops/pmlops-mlserver:{serving_tag(REQUIREMENTS)}"


def test_one_worker_predicts_in_mlservers_own_process_more_start_worker_processes() -> None:
    # MLServer's 1 (its default) would start one worker process and copy every request to it
    assert [parallel_workers(n) for n in (None, 1, 2, 4)] == [0, 0, 2, 4]  # None: recorded before workers were
