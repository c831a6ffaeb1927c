"""Model behaviour: any labels, raw frames with text and gaps, search, and minimum quality."""

import numpy as np
import pytest

from portable_mlops.data.loading import features
from portable_mlops.evaluation.metrics import compute_metrics
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
