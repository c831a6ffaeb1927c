"""The serving image of a model: MLServer with the MLflow runtime, on the model's own requirements.

A registered model carries a ``requirements.txt`` pinned to what trained it. The serving image is
built from exactly those requirements plus pinned MLServer (``images/serving/Dockerfile``), so every
model environment has one image, named after a hash of what goes into it: the deployer derives the
same name that ``make serving-image`` builds and pushes, and a model trained in the same environment
reuses the image.
"""

from __future__ import annotations

import hashlib

#: MLServer and its MLflow runtime (Apache-2.0; the runtime behind Seldon Core's protocol v2).
MLSERVER_VERSION = "1.7.1"
#: uvloop 0.22+ kills MLServer 1.7.1's inference workers at start ("There is no current event loop",
#: SeldonIO/MLServer#2286, not released as a fix): no model loads. Held below 0.22.
SERVING_PINS = (f"mlserver=={MLSERVER_VERSION}", f"mlserver-mlflow=={MLSERVER_VERSION}", "uvloop<0.22")
#: The image repository, under the stack's container registry.
REPOSITORY = "pmlops-mlserver"
#: The model's name inside MLServer and the path Seldon's storage initializer fills (``/mnt/models``).
MODEL_NAME = "classifier"
MODEL_DIR = "/mnt/models"


def parallel_workers(workers: int | None) -> int:
    """MLServer's ``parallel_workers`` for ``workers`` processes that predict.

    One predicts in the server's own process (MLServer's 0): MLServer's default of one worker process
    copies every request to it and the answer back (``docs/benchmarking.md``: the endpoint's figures
    before and after). More than one: that many worker processes, which pays off only with as many
    free cores. None (not recorded) is one.
    """
    return 0 if workers is None or workers <= 1 else workers


def requirements_lines(text: str) -> list[str]:
    """The requirement lines of a ``requirements.txt`` (comments and blanks dropped, order kept)."""
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def serving_tag(requirements: str) -> str:
    """The image tag for a model's ``requirements.txt``: a hash of its requirements and the MLServer pins."""
    digest = hashlib.sha256("\n".join([*sorted(requirements_lines(requirements)), *SERVING_PINS]).encode())
    return f"mlserver{MLSERVER_VERSION}-{digest.hexdigest()[:12]}"


def serving_image(registry_uri: str, requirements: str) -> str:
    """``<registry>/pmlops-mlserver:<tag>``: where the serving image of these requirements is pushed."""
    return f"{registry_uri.rstrip('/')}/{REPOSITORY}:{serving_tag(requirements)}"
