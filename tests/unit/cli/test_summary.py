"""The run summary's lines, from the typed results a run stores."""

from __future__ import annotations

from types import SimpleNamespace

from portable_mlops.evaluation.checks import FairnessResult, QualityChecks, SliceResult, SliceRow
from portable_mlops.evaluation.diagnostics import DecayResult
from portable_mlops.evaluation.performance import performance_summary
from portable_mlops.params import PerformanceParams

PARAMS = PerformanceParams(max_factor=2.0)


CHAMPION = {"fit_seconds": 1.0, "predict_ms_per_row": 0.01, "train_peak_rss_mb": 500.0, "holdout_roc_auc": 0.99}


def _run(quality: QualityChecks) -> SimpleNamespace:
    artifact = SimpleNamespace(load=lambda: quality)
    return SimpleNamespace(steps={"evaluate_model": SimpleNamespace(outputs={"quality_checks": [artifact]})})


def test_the_run_summary_names_slices_shift_unused_features_and_regressions() -> None:
    from portable_mlops.cli.summary import _quality

    values = {"fit_seconds": 3.0, "predict_ms_per_row": 0.01, "train_peak_rss_mb": 400.0}
    worst = SliceRow(column="mean radius", slice="(13.4, 15.3]", rows=35, value=0.9143, status="ok")
    quality = QualityChecks(
        slices=SliceResult(metric="accuracy", floor=0.85, min_rows=20, worst=worst, scored=8, rows=[worst]),
        fairness=FairnessResult(column=None, measure="recall_gap", max_gap=0.1, measured=False),
        decay=DecayResult(metric="balanced_accuracy", shifts=[0.0, 1.0], values=[0.97, 0.85], columns=["a", "b"]),
        non_beneficial_features=["f1", "f2"],
        performance=performance_summary(values, ("4", CHAMPION), PARAMS),
    )
    lines = _quality(_run(quality))
    assert lines == [
        "  slices: worst accuracy 0.9143 at mean radius=(13.4, 15.3] (floor 0.85); 8 scored, 0 skipped",
        "  under shift: balanced_accuracy 0.970 / 0.850 at 0 / 1 std of 2 columns",
        "  note: 2 feature(s) add nothing on the holdout (permutation importance <= 0): f1, f2",
        "  performance: fit 3 s, predict 0.01 ms/row, training peak RSS 400 MB; against champion v4:",
        "  PERFORMANCE regression: fit_seconds 3 s is x3.00 the champion's 1 s (> x2.0)",
    ]
    quality = quality.model_copy(
        update={"performance": performance_summary({"fit_seconds": 1.1}, ("4", CHAMPION), PARAMS)}
    )
    assert _quality(_run(quality))[-1] == "  performance: fit 1.1 s; within x2.0 of champion v4"


def test_where_to_look_without_a_server_says_how_to_start_one() -> None:
    from portable_mlops.cli.summary import where_to_look

    lines = where_to_look()
    assert any("ZenML dashboard: not running; start it with: make dashboard" in line for line in lines)
    assert any("make mlflow-ui" in line for line in lines)


def test_predicted_numbers_are_summed_up_by_quartiles_and_labels_by_counts() -> None:
    import numpy as np

    from portable_mlops.cli.summary import prediction_digest

    numbers = np.linspace(10.0, 50.0, 101)
    assert prediction_digest(numbers) == "predicted min 10, quartiles 20 / 30 / 40, max 50"
    assert prediction_digest(["benign", "malignant", "benign"]) == "{'benign': 2, 'malignant': 1}"
    assert prediction_digest(np.asarray([0.0, 1.0, 1.0])) == "{1.0: 2, 0.0: 1}"  # few numbers: classes


def test_the_summary_lists_a_runs_steps_from_the_store_once() -> None:
    from portable_mlops.cli.summary import _StepsOnce

    class Run:
        """ZenML's run response: every ``steps`` lists the steps from the store again."""

        listed = 0
        name = "training-1"

        @property
        def steps(self) -> dict[str, str]:
            Run.listed += 1
            return {"load_data": "cached"}

    run = _StepsOnce(Run())
    assert [run.steps, run.steps, run.steps] == [{"load_data": "cached"}] * 3
    assert run.name == "training-1"
    assert Run.listed == 1
