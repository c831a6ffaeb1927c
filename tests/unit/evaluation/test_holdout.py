"""The holdout evaluation end to end: a sensitive column forbidden to the model, sliced and gated."""

from __future__ import annotations

from portable_mlops.evaluation.holdout import evaluate_holdout
from portable_mlops.lifecycle.gate import Scores, decide
from portable_mlops.modeling.estimators import build_candidate
from portable_mlops.modeling.features import check_not_used, model_inputs
from portable_mlops.params import DataSource, EvaluationParams, GateParams
from tests.conftest import group_frame


def test_inclusion_end_to_end_the_sensitive_column_is_forbidden_sliced_and_gated() -> None:
    data = group_frame()
    source = DataSource(uri="groups.csv", target="label", forbidden_features=["group"])
    train, test = data.iloc[:400], data.iloc[400:].reset_index(drop=True)
    X, dropped = model_inputs(train, source)
    assert dropped == ["group"] and list(X.columns) == ["x", "noise"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, train["label"])
    check_not_used(model, source.forbidden_features)  # trained without it: accepted
    params = EvaluationParams(fairness={"column": "group", "max_gap": 0.1}, slices={"columns": [{"column": "group"}]})
    held = evaluate_holdout(model, test, source, params)
    assert list(held.X.columns) == ["x", "noise"]  # the model's inputs: the sensitive column is not one
    fairness = held.quality.fairness
    assert fairness.measured and fairness.lowest == "b" and fairness.gap is not None and fairness.gap > 0.1
    assert [r.slice for r in held.quality.slices.rows] == ["a", "b"]  # sliced by the column the model never saw
    failures = held.quality.failures
    assert failures == fairness.failures and failures[0].startswith("fairness: recall_gap")
    decision = decide(
        Scores(holdout=0.99, reference=0.99), Scores(holdout=0.90, reference=0.90), GateParams(), failures
    )
    assert not decision.promote and decision.reason.startswith("fairness: recall_gap")


def test_a_regression_is_measured_in_its_own_metrics_and_directions(diabetes) -> None:  # type: ignore[no-untyped-def]
    """RMSE/MAE/R2 on the holdout; slices, the shift curve and permutation importance on RMSE, where the
    worst slice is the highest error and a slice ceiling fails the gate; the report plots residuals."""
    import numpy as np
    from sklearn.metrics import r2_score, root_mean_squared_error

    from portable_mlops.data.loading import split_frame
    from portable_mlops.evaluation.report import evaluation_report
    from portable_mlops.params import SplitParams

    source = DataSource(uri="sklearn://diabetes", target="progression")
    train, test = split_frame(diabetes, "progression", SplitParams(), "regression")
    X = model_inputs(train, source)[0]
    model = build_candidate("ridge", X, seed=0, task="regression").fit(X, train["progression"])
    slices = {"columns": [{"column": "bmi", "bins": 3}], "floor": 40.0}  # an RMSE ceiling of 40
    held = evaluate_holdout(model, test, source, EvaluationParams(slices=slices))
    predicted = model.predict(held.X)
    assert held.metrics["rmse"] == root_mean_squared_error(test["progression"], predicted)
    assert held.metrics["r2"] == r2_score(test["progression"], predicted) and set(held.metrics) == {"rmse", "mae", "r2"}
    quality = held.quality
    scored = [r for r in quality.slices.rows if r.value is not None]
    assert quality.slices.metric == "rmse" and len(scored) == 3
    assert quality.slices.worst is not None and quality.slices.worst.value == max(r.value or 0 for r in scored)
    assert quality.failures and all("above ceiling 40.0" in f for f in quality.failures)
    assert quality.decay.metric == "rmse" and quality.decay.values[-1] > quality.decay.values[0]  # type: ignore[operator]
    assert quality.decay.drop is not None and quality.decay.drop > 5  # the error grows as the inputs shift
    ranked = [r.feature for r in held.importance]
    assert {"bmi", "s5"} & set(ranked[:3]) and held.importance[0].drop > 5  # RMSE gained when shuffled
    assert not quality.fairness.measured
    report = evaluation_report(model, held.X, held.y, held.metrics, [], None, quality, held.importance, held.sample)
    for caption in ("Predicted against actual", "Residuals", "Residual distribution", "rmse rise"):
        assert caption in report, caption
    assert "Confusion matrix" not in report and np.isfinite(predicted).all()
