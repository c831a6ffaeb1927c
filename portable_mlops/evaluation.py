"""Holdout metrics and the evaluation report (self-contained HTML: it renders with no network)."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import (
    ConfusionMatrixDisplay,
    PrecisionRecallDisplay,
    RocCurveDisplay,
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split

from portable_mlops.errors import UserFacingError
from portable_mlops.params import DataSource, EvaluationParams, Metric
from portable_mlops.reports import html_page, html_table


class NumericalInstabilityError(UserFacingError, ValueError):
    """A model produced probabilities that are not finite or not a distribution."""


def check_numerics(proba: Any, tolerance: float = 1e-6) -> None:
    """Refuse probabilities with NaN or infinity, outside [0, 1], or rows not summing to 1."""
    values = np.asarray(proba, dtype=float)
    finite = np.isfinite(values).all(axis=1)
    valid = finite & (values >= -tolerance).all(axis=1) & (values <= 1 + tolerance).all(axis=1)
    valid &= np.abs(np.where(np.isfinite(values), values, 0).sum(axis=1) - 1) <= 1e-3
    if not valid.all():
        raise NumericalInstabilityError(
            f"the model's class probabilities are not finite or do not sum to 1 on {int((~valid).sum())} of "
            f"{len(values)} rows; it is numerically unstable: rescale the features or narrow the grid, then retrain"
        )


def compute_metrics(model: Any, X: pd.DataFrame, y: pd.Series) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro F1 and ROC AUC (one-vs-rest, weighted, for several classes)."""
    y_true = np.asarray(y).astype(str)
    predicted = np.asarray(model.predict(X)).astype(str)
    proba = model.predict_proba(X)
    check_numerics(proba)
    classes = [str(c) for c in model.classes_]
    return {
        "accuracy": float(accuracy_score(y_true, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, predicted)),
        "f1_macro": float(f1_score(y_true, predicted, average="macro")),
        "roc_auc": _roc_auc(y_true, proba, classes),
    }


def _roc_auc(y_true: np.ndarray, proba: np.ndarray, classes: list[str]) -> float:
    if len(classes) == 2:
        return float(roc_auc_score(y_true == classes[1], proba[:, 1]))
    return float(roc_auc_score(y_true, proba, multi_class="ovr", average="weighted", labels=classes))


def score(model: Any, X: pd.DataFrame, y: pd.Series, metric: Metric) -> float:
    """One metric of ``model`` on ``X``, ``y``: the number the promotion gate compares.

    Equal to ``compute_metrics(model, X, y)[metric]``, with only the call the metric needs
    (``predict_proba`` for ROC AUC, ``predict`` for the others): permutation importance and the
    quality-under-shift curve call it dozens of times.
    """
    y_true = np.asarray(y).astype(str)
    if metric == "roc_auc":
        proba = model.predict_proba(X)
        check_numerics(proba)
        return _roc_auc(y_true, proba, [str(c) for c in model.classes_])
    predicted = np.asarray(model.predict(X)).astype(str)
    if metric == "accuracy":
        return float(accuracy_score(y_true, predicted))
    if metric == "balanced_accuracy":
        return float(balanced_accuracy_score(y_true, predicted))
    return float(f1_score(y_true, predicted, average="macro"))


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


#: The metric feature importance is measured with: threshold-free, so small holdouts still show a signal.
IMPORTANCE_METRIC: Metric = "roc_auc"


def diagnostic_sample(frame: pd.DataFrame, target: str, rows: int, seed: int = 0) -> pd.DataFrame:
    """At most ``rows`` rows of ``frame``, stratified by ``target`` and seeded (all of it if smaller).

    For the diagnostics whose cost grows with rows times features (permutation importance, quality
    under shift, plots): beyond some thousands of rows they show the same picture.
    """
    if len(frame) <= rows:
        return frame
    counts = frame[target].value_counts()
    stratify = frame[target] if counts.min() >= 2 else None
    return train_test_split(frame, train_size=rows, stratify=stratify, random_state=seed)[0]


def feature_importance(
    model: Any, X: pd.DataFrame, y: pd.Series, repeats: int = 5, seed: int = 0, top: int | None = 15
) -> list[dict[str, Any]]:
    """Permutation importance on the holdout: how much ROC AUC drops when one column is shuffled.

    Model-agnostic (it works the same for every family and for text columns), measured on rows the
    model did not train on. The ``top`` columns (all with None), most important first.
    """
    result = permutation_importance(
        model, X, y, scoring=lambda m, X_, y_: score(m, X_, y_, IMPORTANCE_METRIC), n_repeats=repeats, random_state=seed
    )
    order = np.argsort(-result.importances_mean, kind="stable")[:top]
    return [
        {
            "feature": str(X.columns[i]),
            f"{IMPORTANCE_METRIC} drop": float(result.importances_mean[i]),
            "std": float(result.importances_std[i]),
        }
        for i in order
    ]


def _importance_figure(rows: list[dict[str, Any]]) -> str:
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(rows) + 1.2))
    names = [r["feature"] for r in rows][::-1]
    values = [r[f"{IMPORTANCE_METRIC} drop"] for r in rows][::-1]
    errors = [r["std"] for r in rows][::-1]
    ax.barh(names, values, xerr=errors, color="#4c72b0")
    ax.set_xlabel(f"drop in holdout {IMPORTANCE_METRIC} when shuffled")
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
    rows.append({"model": "difference", **{k: v - theirs.get(k, float("nan")) for k, v in metrics.items()}})
    return rows


def _comparison_figure(rows: list[dict[str, Any]]) -> str:
    names = [k for k in rows[0] if k != "model"]
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
    low = min(row[n] for row in rows[:2] for n in names)
    ax.set_ylim(max(0.0, low - 0.05), 1.0)
    ax.legend(loc="lower right")
    ax.set_title("New model vs champion (same holdout)")
    return _png(fig)


def _figure_html(name: str, data: str) -> str:
    return (
        f"<figure><img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{html.escape(name)}</figcaption></figure>"
    )


def assess(
    model: Any,
    frame: pd.DataFrame,
    X: pd.DataFrame,
    y: pd.Series,
    importance: list[dict[str, Any]],
    params: EvaluationParams,
    sample: tuple[pd.DataFrame, pd.Series] | None = None,
) -> dict[str, Any]:
    """Quality beyond the overall numbers: per slice, across
    the sensitive attribute's groups, under growing input shift, and the features that add nothing.

    ``frame`` is the whole holdout (slice and sensitive columns may be ones the model does not take);
    ``X`` the model's inputs. ``failures`` lists what the gate must refuse the model for. Quality under
    shift is measured on ``sample`` (a :func:`diagnostic_sample` of ``X``, ``y``) when given.
    """
    from portable_mlops.quality import decay_columns, decay_curve, evaluate_fairness, evaluate_slices, non_beneficial

    classes = [str(c) for c in model.classes_]
    y_true = np.asarray(y).astype(str)
    predicted = np.asarray(model.predict(X)).astype(str)
    proba = np.asarray(model.predict_proba(X))
    slices = evaluate_slices(frame, y_true, predicted, proba, classes, params.slices)
    fairness = evaluate_fairness(frame, y_true, predicted, classes, params.fairness)
    columns = decay_columns(X, params.decay, importance)
    X_shift, y_shift = sample if sample is not None else (X, y)
    decay = decay_curve(
        lambda X_, y_: score(model, X_, y_, params.decay.metric), X_shift, y_shift, params.decay, columns
    )
    return {
        "slices": slices,
        "fairness": fairness,
        "decay": decay,
        "non_beneficial_features": non_beneficial(importance, f"{IMPORTANCE_METRIC} drop"),
        "failures": [*slices["failures"], *fairness["failures"]],
    }


def _decay_figure(decay: dict[str, Any]) -> str:
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(decay["shifts"], [np.nan if v is None else v for v in decay["values"]], marker="o", color="#4c72b0")
    ax.set_xlabel(f"shift of {len(decay['columns'])} column(s), in standard deviations")
    ax.set_ylabel(f"holdout {decay['metric']}")
    ax.set_title("Quality under input shift")
    return _png(fig)


def _quality_html(quality: dict[str, Any]) -> str:
    """The report's sections on slices, inclusion, shift, features that add nothing and performance."""
    slices, fairness, decay = quality["slices"], quality["fairness"], quality["decay"]
    metric = slices["metric"]
    worst = slices["worst"]
    said = (
        f"Worst slice: {worst['column']}={worst['slice']}, {metric} {worst[metric]:.4f}; floor {slices['floor']}."
        if worst
        else "No slice was large enough to score."
    )
    if slices["missing_columns"]:
        said += f" Not in the data (skipped): {', '.join(slices['missing_columns'])}."
    floor = slices["floor"]
    css = ["fail" if floor is not None and r["status"] == "ok" and r[metric] < floor else "" for r in slices["rows"]]
    out = f"<h3>Slices ({metric}, at least {slices['min_rows']} rows)</h3><p>{html.escape(said)}</p>"
    out += html_table(slices["rows"], css)
    out += "<h3>Inclusion</h3>"
    if fairness.get("groups"):
        out += html_table(fairness["groups"])
    if fairness.get("measured"):
        out += (
            f"<p>{html.escape(fairness['measure'])} of class {html.escape(str(fairness['positive_class']))} "
            f"across {html.escape(str(fairness['column']))}: {fairness['gap']:.4f} (max {fairness['max_gap']}).</p>"
        )
    else:
        out += f"<p>Not measured: {html.escape(fairness['reason'])}.</p>"
    out += "".join(f"<p class='fail'>{html.escape(f)}</p>" for f in quality["failures"])
    out += "<h3>Quality under input shift (staleness)</h3>"
    if decay["values"]:
        shifted = ", ".join(decay["columns"])
        out += f"<p>{html.escape(decay['metric'])} with {html.escape(shifted)} shifted by k standard deviations.</p>"
        out += html_table(
            [{"shift (std)": s, decay["metric"]: v} for s, v in zip(decay["shifts"], decay["values"], strict=True)]
        )
        out += _figure_html("Quality under input shift", _decay_figure(decay))
    else:
        out += f"<p>Not measured: {html.escape(decay.get('reason', ''))}.</p>"
    unused = quality["non_beneficial_features"]
    out += "<h3>Features that add nothing</h3><p>"
    out += (
        f"Permutation importance <= 0 on the holdout ({len(unused)}): {html.escape(', '.join(unused))}."
        if unused
        else "None: every feature's permutation importance is above 0."
    ) + "</p>"
    performance = quality.get("performance")
    if performance:
        out += f"<h3>Performance (against the champion, regression beyond x{performance['max_factor']})</h3>"
        out += html_table(
            performance["comparison"], ["fail" if r["regression"] else "" for r in performance["comparison"]]
        )
    return out


def evaluation_report(
    model: Any,
    X: pd.DataFrame,
    y: pd.Series,
    metrics: dict[str, float],
    candidates: list[dict[Any, Any]],
    champion: tuple[str, dict[str, float] | str] | None = None,
    quality: dict[str, Any] | None = None,
    importance: list[dict[str, Any]] | None = None,
    sample: tuple[pd.DataFrame, pd.Series] | None = None,
) -> str:
    """The holdout report: metrics against the champion, candidates, feature importance, confusion
    matrix, ROC and PR curves; with ``quality`` (from :func:`assess`) also slices, inclusion, quality
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
    sampled = f" (from a stratified sample of {len(X_plot):,} of the {len(X):,} rows)" if len(X_plot) < len(X) else ""
    body = (
        f"<h3>Holdout metrics ({len(X)} rows): new model and champion</h3>{html_table(comparison)}{against}"
        f"<h3>Candidates (cross-validated on the training split)</h3>{html_table(candidates)}"
        f"{_quality_html(quality) if quality else ''}"
        f"<h3>Feature importance</h3>{_figure_html('Feature importance', _importance_figure(importance[:15]))}"
        f"{html_table(importance)}"
        f"<h3>Plots{sampled}</h3>{figures}"
    )
    return html_page("Model evaluation", body)


@dataclass
class HoldoutEvaluation:
    """A model's evaluation on the holdout: its inputs, metrics, the diagnostic sample, permutation
    importance and the quality checks of :func:`assess`."""

    X: pd.DataFrame
    y: pd.Series
    metrics: dict[str, float]
    sample: tuple[pd.DataFrame, pd.Series]
    importance: list[dict[str, Any]]
    quality: dict[str, Any]


def evaluate_holdout(model: Any, test: pd.DataFrame, source: DataSource, params: EvaluationParams) -> HoldoutEvaluation:
    """Metrics and quality checks on every holdout row; importance and shift on a :func:`diagnostic_sample`."""
    from portable_mlops.forbidden import model_inputs

    X, y = model_inputs(test, source)[0], test[source.target]
    small = diagnostic_sample(test, source.target, params.diagnostic_rows)
    sample = model_inputs(small, source)[0], small[source.target]
    importance = feature_importance(model, *sample, top=None)
    quality = assess(model, test, X, y, importance, params, sample)
    return HoldoutEvaluation(X, y, compute_metrics(model, X, y), sample, importance, quality)
