"""The evaluation report: self-contained HTML (inline images, no script), so it renders with no network."""

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
)

from portable_mlops.evaluation.checks import QualityChecks
from portable_mlops.evaluation.diagnostics import IMPORTANCE_METRICS, DecayResult, Importance, feature_importance
from portable_mlops.modeling.estimators import task_of
from portable_mlops.pages import html_page, html_table
from portable_mlops.params import LOWER_IS_BETTER, better


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _regression_figures(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, str]:
    """Predicted against actual (on the diagonal when perfect), residuals against predicted, residuals' spread."""
    actual = np.asarray(y, dtype="float64")
    predicted = np.asarray(model.predict(X), dtype="float64")
    residuals = actual - predicted
    figures: dict[str, str] = {}
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(actual, predicted, s=8, alpha=0.6, color="#4c72b0")
    low, high = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
    ax.plot([low, high], [low, high], color="#999999", linestyle="--", linewidth=1)
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.set_title("Predicted against actual (holdout)")
    figures["Predicted against actual"] = _png(fig)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(predicted, residuals, s=8, alpha=0.6, color="#4c72b0")
    ax.axhline(0.0, color="#999999", linestyle="--", linewidth=1)
    ax.set_xlabel("predicted")
    ax.set_ylabel("residual (actual - predicted)")
    ax.set_title("Residuals against predicted (holdout)")
    figures["Residuals"] = _png(fig)
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    ax.hist(residuals, bins=30, color="#4c72b0")
    ax.set_xlabel("residual (actual - predicted)")
    ax.set_title("Residual distribution (holdout)")
    figures["Residual distribution"] = _png(fig)
    return figures


def _figures(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, str]:
    if task_of(model) == "regression":
        return _regression_figures(model, X, y)
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


def _importance_label(model: Any) -> str:
    metric = IMPORTANCE_METRICS[task_of(model)]
    return f"{metric} {'rise' if metric == 'rmse' else 'drop'}"


def _importance_figure(rows: list[Importance], label: str) -> str:
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(rows) + 1.2))
    names = [r.feature for r in rows][::-1]
    values = [r.drop for r in rows][::-1]
    errors = [r.std for r in rows][::-1]
    ax.barh(names, values, xerr=errors, color="#4c72b0")
    ax.set_xlabel(f"holdout {label} when shuffled")
    ax.set_title("Feature importance (permutation, holdout)")
    return _png(fig)


def comparison_rows(
    metrics: dict[str, float], champion: tuple[str, dict[str, float] | str] | None
) -> list[dict[str, Any]]:
    """The new model against the champion on the same holdout, with the difference per metric."""
    rows: list[dict[str, Any]] = [{"model": "new (this run)", **metrics}]
    if champion is None:
        return rows
    version, theirs = champion
    if isinstance(theirs, str):
        return rows
    rows.append({"model": f"champion (registry v{version})", **{k: theirs.get(k, float("nan")) for k in metrics}})
    rows.append(
        {"model": "difference (new - champion)", **{k: v - theirs.get(k, float("nan")) for k, v in metrics.items()}}
    )
    return rows


def _comparison_figure(rows: list[dict[str, Any]]) -> str:
    names = [k for k in rows[0] if k != "model"]
    if any(k in LOWER_IS_BETTER for k in names):  # a regression: the errors share the target's units; R2 does not
        names = [k for k in names if k in LOWER_IS_BETTER]
    fig, ax = plt.subplots(figsize=(6, 3.2))
    width = 0.8 / 2
    for index, row in enumerate(rows[:2]):
        ax.bar(
            np.arange(len(names)) + index * width,
            [row[n] for n in names],
            width,
            label=row["model"],
            color=["#4c72b0", "#999999"][index],
        )
    ax.set_xticks(np.arange(len(names)) + width / 2, names)
    values = [row[n] for row in rows[:2] for n in names if row[n] == row[n]]
    if values and max(values) <= 1.0:  # scores in [0, 1]; a regression's errors are in the target's units
        ax.set_ylim(max(0.0, min(values) - 0.05), 1.0)
    ax.legend(loc="lower right")
    ax.set_title("New model vs champion (same holdout)")
    return _png(fig)


def _figure_html(name: str, data: str) -> str:
    return (
        f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
    )


def _decay_figure(decay: DecayResult) -> str:
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(decay.shifts, [np.nan if v is None else v for v in decay.values], marker="o", color="#4c72b0")
    ax.set_xlabel(f"shift of {len(decay.columns)} column(s), in standard deviations")
    ax.set_ylabel(f"holdout {decay.metric}")
    ax.set_title("Quality under input shift")
    return _png(fig)


def _quality_html(quality: QualityChecks) -> str:
    """The report's sections on slices, inclusion, shift, features that add nothing and performance."""
    slices, fairness, decay = quality.slices, quality.fairness, quality.decay
    metric, worst = slices.metric, slices.worst
    said = (
        f"Worst slice: {worst.column}={worst.slice}, {metric} {worst.value:.4f}; "
        f"{'ceiling' if better(metric, 1.0, 0.0) < 0 else 'floor'} {slices.floor}."
        if worst is not None and worst.value is not None
        else "No slice was large enough to score."
    )
    if slices.missing_columns:
        said += f" Not in the data (skipped): {', '.join(slices.missing_columns)}."
    floor = slices.floor
    rows = [
        {"column": r.column, "slice": r.slice, "rows": r.rows, metric: r.value, "status": r.status} for r in slices.rows
    ]
    css = [
        "fail"
        if floor is not None and r.status == "ok" and r.value is not None and better(metric, r.value, floor) < 0
        else ""
        for r in slices.rows
    ]
    out = f"<h3>Slices ({metric}, at least {slices.min_rows} rows)</h3><p>{html.escape(said)}</p>"
    out += html_table(rows, css)
    out += "<h3>Inclusion</h3>"
    if fairness.groups:
        out += html_table([g.model_dump() for g in fairness.groups])
    if fairness.measured and fairness.gap is not None:
        out += (
            f"<p>{html.escape(fairness.measure)} of class {html.escape(str(fairness.positive_class))} "
            f"across {html.escape(str(fairness.column))}: {fairness.gap:.4f} (max {fairness.max_gap}).</p>"
        )
    else:
        out += f"<p>Not measured: {html.escape(fairness.reason)}.</p>"
    out += "".join(f"<p class='fail'>{html.escape(f)}</p>" for f in quality.failures)
    out += "<h3>Quality under input shift (staleness)</h3>"
    if decay.values:
        shifted = ", ".join(decay.columns)
        out += f"<p>{html.escape(decay.metric)} with {html.escape(shifted)} shifted by k standard deviations.</p>"
        out += html_table(
            [{"shift (std)": s, decay.metric: v} for s, v in zip(decay.shifts, decay.values, strict=True)]
        )
        out += _figure_html("Quality under input shift", _decay_figure(decay))
    else:
        out += f"<p>Not measured: {html.escape(decay.reason)}.</p>"
    unused = quality.non_beneficial_features
    out += "<h3>Features that add nothing</h3><p>"
    out += (
        f"Permutation importance <= 0 on the holdout ({len(unused)}): {html.escape(', '.join(unused))}."
        if unused
        else "None: every feature's permutation importance is above 0."
    ) + "</p>"
    performance = quality.performance
    if performance is not None:
        out += f"<h3>Performance (against the champion, regression beyond x{performance.max_factor})</h3>"
        out += html_table(
            [r.model_dump() for r in performance.comparison],
            ["fail" if r.regression else "" for r in performance.comparison],
        )
    return out


def evaluation_report(
    model: Any,
    X: pd.DataFrame,
    y: pd.Series,
    metrics: dict[str, float],
    candidates: list[dict[Any, Any]],
    champion: tuple[str, dict[str, float] | str] | None = None,
    quality: QualityChecks | None = None,
    importance: list[Importance] | None = None,
    sample: tuple[pd.DataFrame, pd.Series] | None = None,
) -> str:
    """The holdout report: metrics against the champion, candidates, feature importance, confusion
    matrix, ROC and PR curves; with ``quality`` also slices, inclusion, quality
    under shift, features that add nothing and performance. ``champion`` is its registry version
    with its holdout metrics (or why it could not be scored); None when there is no champion yet.
    The plots are drawn from ``sample`` (a :func:`diagnostic_sample`) when given."""
    comparison = comparison_rows(metrics, champion)
    if champion is None:
        against = "<p>No champion yet: this model is compared with nothing.</p>"
    elif isinstance(champion[1], str):
        version, why = html.escape(champion[0]), html.escape(champion[1])
        against = f"<p class='fail'>The champion (registry v{version}) cannot score this holdout: {why}</p>"
    else:
        against = _figure_html("New model vs champion", _comparison_figure(comparison))
    importance = feature_importance(model, X, y) if importance is None else importance
    X_plot, y_plot = sample if sample is not None else (X, y)
    figures = "".join(_figure_html(name, data) for name, data in _figures(model, X_plot, y_plot).items())
    label = _importance_label(model)
    sampled = f" (from a sample of {len(X_plot):,} of the {len(X):,} rows)" if len(X_plot) < len(X) else ""
    body = (
        f"<h3>Holdout metrics ({len(X)} rows): new model and champion</h3>{html_table(comparison)}{against}"
        f"<h3>Candidates (cross-validated on the training split)</h3>{html_table(candidates)}"
        f"{_quality_html(quality) if quality else ''}"
        f"<h3>Feature importance</h3>{_figure_html('Feature importance', _importance_figure(importance[:15], label))}"
        f"{html_table([{'feature': r.feature, label: r.drop, 'std': r.std} for r in importance])}"
        f"<h3>Plots{sampled}</h3>{figures}"
    )
    return html_page("Model evaluation", body)
