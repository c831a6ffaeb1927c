"""Holdout metrics and the evaluation report (self-contained HTML: it renders with no network)."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
)

from portable_mlops.params import Metric
from portable_mlops.reports import html_page, html_table


def compute_metrics(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro F1 and ROC AUC (one-vs-rest, weighted, for several classes)."""
    y_true = np.asarray(y).astype(str)
    predicted = np.asarray(model.predict(X)).astype(str)
    proba = model.predict_proba(X)
    classes = [str(c) for c in model.classes_]
    if len(classes) == 2:
        auc = roc_auc_score(y_true == classes[1], proba[:, 1])
    else:
        auc = roc_auc_score(y_true, proba, multi_class="ovr", average="weighted", labels=classes)
    return {
        "accuracy": float(accuracy_score(y_true, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, predicted)),
        "f1_macro": float(f1_score(y_true, predicted, average="macro")),
        "roc_auc": float(auc),
    }


def score(model: Any, X: pd.DataFrame, y: pd.Series, metric: Metric) -> float:
    """One metric of ``model`` on ``X``, ``y``: the number the promotion gate compares."""
    return compute_metrics(model, X, y)[metric]


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _figures(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, str]:
    y_true = np.asarray(y).astype(str)
    classes = [str(c) for c in model.classes_]
    proba = model.predict_proba(X)
    figures: dict[str, str] = {}
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(
        y_true, np.asarray(model.predict(X)).astype(str), labels=classes, ax=ax, colorbar=False
    )
    ax.set_title("Confusion matrix (holdout)")
    figures["Confusion matrix"] = _png(fig)
    for title, display in (("ROC curve", RocCurveDisplay), ("Precision-recall curve", PrecisionRecallDisplay)):
        fig, ax = plt.subplots(figsize=(4.5, 4))
        for index, label in enumerate(classes if len(classes) > 2 else classes[1:]):
            display.from_predictions(y_true == label, proba[:, index if len(classes) > 2 else 1], name=label, ax=ax)
        ax.set_title(f"{title} (holdout)")
        figures[title] = _png(fig)
    return figures


def evaluation_report(
    model: Any, X: pd.DataFrame, y: pd.Series, metrics: dict[str, float], candidates: list[dict[Any, Any]]
) -> str:
    """The holdout report: metrics, candidates, confusion matrix, ROC and PR curves."""
    figures = "".join(
        f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
        for name, data in _figures(model, X, y).items()
    )
    body = (
        f"<h3>Holdout metrics ({len(X)} rows)</h3>{html_table([metrics])}"
        f"<h3>Candidates (cross-validated on the training split)</h3>{html_table(candidates)}"
        f"<h3>Plots</h3>{figures}"
    )
    return html_page("Model evaluation", body)
