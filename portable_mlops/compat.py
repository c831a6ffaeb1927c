"""Compatibility shims for the pinned dependency set and its tools, each explained; and the one
place where their noise is silenced (every line silenced is named below, with why).

whylogs 1.6.4 (the last release) still refers to ``np.unicode_``, which NumPy 2 removed; profiling any
frame with a string column raises AttributeError. NumPy 2 spells it ``np.str_``. Importing this module
before whylogs makes the old name resolve. It is idempotent and changes nothing on NumPy 1.
"""

import os
import sys

import numpy as np

# whylogs phones home for usage statistics on first use; these machines (and many users) are offline.
os.environ.setdefault("WHYLOGS_NO_ANALYTICS", "True")

if not hasattr(np, "unicode_"):
    np.unicode_ = np.str_  # type: ignore[attr-defined]

# ZenML's MLflow model deployer starts MLflow's scoring server as `bash -c "exec uvicorn ..."`, which
# fails with exit 127 unless this interpreter's scripts directory is on PATH (it is not when a
# virtual environment's python is called without activating it, as `make` and CI do).
_scripts = os.path.dirname(sys.executable)
if _scripts not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _scripts + os.pathsep + os.environ.get("PATH", "")

# whylogs logs one INFO line per profile segment it reads ("Attempting to read profile file as
# delimited from position ...": hundreds per loaded profile), which buried the run output.
import logging  # noqa: E402

logging.getLogger("whylogs.core.utils.protobuf_utils").setLevel(logging.WARNING)

# matplotlib says "generated new fontManager" (INFO, shown through ZenML's root handler) the first time
# it builds its font cache: news about matplotlib's cache, not about the run.
logging.getLogger("matplotlib.font_manager").setLevel(logging.WARNING)


class DropMessages(logging.Filter):
    """Drops log records whose message starts with one of ``prefixes``; everything else passes."""

    def __init__(self, *prefixes: str) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.prefixes)


#: Messages of the pinned packages that say nothing about the run, by logger, each with its reason:
#: - ZenML 0.98's MLflow tracker disables autologging for a list of MLflow flavors that still names
#:   ``fastai``, which MLflow 3 removed; it then warns that it "failed" for it, after every tracked step.
#: - ZenML's ZenML Pro advert after each step linked to a model, and its hint to run a local dashboard
#:   (the run summary of ``run.py`` says where to look, the dashboard's URL included when it runs).
#: - MLflow warns on every model saved with cloudpickle; our models are cloudpickled on purpose (the
#:   MLflow runtimes of MLServer and Seldon load them; skops would need our estimator class trusted by
#:   name everywhere), and MLflow documents the caveat itself.
SILENCED: dict[str, tuple[str, ...]] = {
    "zenml.integrations.mlflow.experiment_trackers.mlflow_experiment_tracker": (
        "Failed to disable MLflow autologging for the following frameworks: ['fastai']",
    ),
    "zenml.orchestrators.step_run_utils": ("Models can be viewed in the dashboard using ZenML Pro",),
    "zenml.pipelines.pipeline_definition": ("You can visualize your pipeline runs in the `ZenML Dashboard`",),
    "mlflow.sklearn": ("Saving scikit-learn models in the pickle or cloudpickle format",),
}
for _name, _prefixes in SILENCED.items():
    if not any(isinstance(f, DropMessages) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(DropMessages(*_prefixes))


def close_logging() -> None:
    """Flush and close the logging handlers now, while the interpreter can still start threads.

    On Python 3.12 the OpenTelemetry logging handler that ZenML installs starts a thread in ``flush()``;
    at interpreter shutdown (``logging.shutdown`` runs from ``atexit``) that raises "can't create new
    thread at interpreter shutdown" and prints a traceback after the run's last line. Entry points call
    this before they exit.
    """
    import atexit

    logging.shutdown()
    atexit.unregister(logging.shutdown)
