"""Model behaviour: any labels, raw frames with text and gaps, search, and minimum quality."""

import numpy as np
import pytest

from portable_mlops.data.loading import features
from portable_mlops.evaluation.metrics import METRICS, as_codes, compute_metrics, metric_value, metrics_from
from portable_mlops.evaluation.report import evaluation_report
from portable_mlops.modeling.estimators import build_candidate


def test_multiclass_metrics_and_report_render_offline() -> None:
    from portable_mlops.data.loading import load_builtin

    wine = load_builtin("wine")
    X, y = features(wine, "cultivar"), wine["cultivar"]
    model = build_candidate("logistic_regression", X, seed=0).fit(X, y)
    metrics = compute_metrics(model, X, y)
    assert 0.9 < metrics["roc_auc"] <= 1.0
    page = evaluation_report(model, X, y, metrics, [{"family": "logistic_regression"}])
    assert page.count("data:image/png;base64,") == 4  # feature importance, confusion matrix, ROC, PR
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_non_finite_probabilities_are_refused_before_registration(cancer) -> None:
    from portable_mlops.evaluation.metrics import NumericalInstabilityError, check_numerics

    check_numerics(np.array([[0.2, 0.8], [1.0, 0.0]]))
    for bad in ([[np.nan, 1.0]], [[np.inf, 0.0]], [[0.7, 0.7]], [[-0.5, 1.5]]):
        with pytest.raises(NumericalInstabilityError, match="numerically unstable: rescale"):
            check_numerics(np.array(bad))

    class Broken:
        classes_ = np.array(["benign", "malignant"])

        def predict(self, X):  # type: ignore[no-untyped-def]
            return np.array(["benign"] * len(X))

        def predict_proba(self, X):  # type: ignore[no-untyped-def]
            return np.full((len(X), 2), np.nan)

    with pytest.raises(NumericalInstabilityError):
        compute_metrics(Broken(), features(cancer, "diagnosis").head(10), cancer["diagnosis"].head(10))


@pytest.mark.parametrize("metric", ["roc_auc", "accuracy", "balanced_accuracy", "f1_macro"])
def test_score_equals_the_metric_of_compute_metrics(cancer, metric) -> None:  # type: ignore[no-untyped-def]
    from portable_mlops.evaluation.metrics import score

    X, y = cancer.drop(columns=["diagnosis"]), cancer["diagnosis"]
    model = build_candidate("logistic_regression", X, 0).fit(X.iloc[::2], y.iloc[::2])
    assert (
        score(model, X.iloc[1::2], y.iloc[1::2], metric) == compute_metrics(model, X.iloc[1::2], y.iloc[1::2])[metric]
    )


@pytest.mark.parametrize(
    ("y_true", "predicted", "classes"),
    [
        (["yes", "no", "no", "yes", "no"], ["yes", "yes", "no", "no", "no"], ["no", "yes"]),
        (["b", "c", "a", "c", "b", "a"], ["b", "a", "a", "c", "c", "a"], ["a", "b", "c"]),
        # a true label the model never learned (10 sorts between 1 and 2 as text), and one it never predicts
        (["1", "10", "2", "1", "2"], ["1", "2", "2", "1", "1"], ["1", "2", "3"]),
    ],
)
def test_metrics_on_codes_equal_the_metrics_on_the_labels(y_true, predicted, classes) -> None:  # type: ignore[no-untyped-def]
    """The holdout's metrics are computed on integer codes of the labels: every one equals the metric
    computed on the text labels themselves, exactly."""
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(len(classes)), size=len(y_true))
    y, p = np.asarray(y_true), np.asarray(predicted)
    on_codes = metrics_from(y, p, proba, classes)
    on_labels = {
        name: metric_value(name, y, p, proba, classes)
        for name, spec in METRICS.items()
        if spec.task == "classification"
    }
    assert {k: None if np.isnan(v) else v for k, v in on_codes.items()} == on_labels
    codes_true, codes_pred, class_codes = as_codes(y, p, classes)
    assert codes_pred is not None and len(set(codes_pred.tolist())) == len(set(predicted))
    assert codes_true.tolist() != list(y_true) and len(set(codes_true.tolist())) == len(set(y_true))
    assert [sorted(set(y_true + predicted + classes))[c] for c in class_codes] == classes
