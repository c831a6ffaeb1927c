"""Drift of a batch against a reference, from two whylogs profiles.

whylogs computes a p-value per column (Kolmogorov-Smirnov on the distribution sketch for numbers,
chi-square on frequent items for text). Testing 30 columns at 0.05 each would raise a false alarm on
most clean batches, so by default the threshold is Bonferroni-corrected: the batch as a whole is
flagged at most ``alpha`` of the time when nothing changed.
"""

from __future__ import annotations

import html
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict
from whylogs.core import DatasetProfileView
from whylogs.viz.drift.column_drift_algorithms import calculate_drift_scores

import portable_mlops.compat  # noqa: F401  (before whylogs)
from portable_mlops.data.validation import null_fraction
from portable_mlops.monitoring.staleness import ExpectedQuality
from portable_mlops.pages import html_page, html_table
from portable_mlops.params import DriftParams


@dataclass(frozen=True)
class ColumnDrift:
    """One column's test result."""

    column: str
    algorithm: str
    statistic: float
    pvalue: float
    threshold: float
    drifted: bool


@dataclass
class DriftReport:
    """Every tested column and the verdict for the batch."""

    columns: list[ColumnDrift]
    alpha: float
    correction: str
    min_drifted_columns: int
    drifted_columns: list[str] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        """Whether enough columns drifted for the batch to count as drifted."""
        return len(self.drifted_columns) >= self.min_drifted_columns

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly digest for run metadata and logs."""
        return {
            "drifted": self.drifted,
            "drifted_columns": self.drifted_columns,
            "tested_columns": len(self.columns),
            "alpha": self.alpha,
            "correction": self.correction,
            "min_pvalue": min((c.pvalue for c in self.columns), default=1.0),
        }

    def as_dict(self) -> dict[str, Any]:
        """Everything, JSON-friendly."""
        return {**self.summary(), "columns": [asdict(c) for c in self.columns]}


class DriftSummary(BaseModel):
    """The drift verdict of a batch as the inference run stores it (artifact ``drift_summary``) and
    the command line reads it: what drifted, and whether to retrain on the batch."""

    model_config = ConfigDict(frozen=True)

    drifted: bool
    drifted_columns: list[str]
    tested_columns: int
    alpha: float
    correction: str
    min_pvalue: float
    source: str
    target: str
    #: Whether the batch carries labels (it can be trained on).
    labelled: bool
    #: Whether to train on the batch: it drifted, it is labelled and retraining on drift is on.
    retrain: bool
    expected_quality: ExpectedQuality | None = None


def summarise_drift(
    report: DriftReport,
    source: str,
    target: str,
    labelled: bool,
    retrain_on_drift: bool,
    expected: ExpectedQuality | None,
) -> DriftSummary:
    """The batch's verdict with the retraining decision: retrain only a drifted, labelled batch, and
    only when retraining on drift is on."""
    return DriftSummary(
        **report.summary(),
        source=source,
        target=target,
        labelled=labelled,
        retrain=bool(report.drifted and retrain_on_drift and labelled),
        expected_quality=expected,
    )


def is_labelled(profile: DatasetProfileView, target: str) -> bool:
    """Whether a batch's profile has its label column with at least one value."""
    column = profile.get_column(target)
    return column is not None and null_fraction(column.to_summary_dict()) < 1.0


def detect_drift(
    batch: DatasetProfileView, reference: DatasetProfileView, params: DriftParams, exclude: list[str] | None = None
) -> DriftReport:
    """Test every column the two profiles share (minus exclusions) and decide."""
    skip = set(params.exclude) | set(exclude or [])
    scores = calculate_drift_scores(target_view=batch, reference_view=reference, with_thresholds=False)
    tested = {
        name: score
        for name, score in scores.items()
        if name not in skip and score is not None and score.get("pvalue") is not None
    }
    default = params.alpha / len(tested) if tested and params.correction == "bonferroni" else params.alpha
    columns = []
    for name, score in sorted(tested.items(), key=lambda item: float(item[1]["pvalue"])):
        pvalue = float(score["pvalue"])
        threshold = params.column_alpha.get(name, default)
        columns.append(
            ColumnDrift(name, str(score["algorithm"]), float(score["statistic"]), pvalue, threshold, pvalue < threshold)
        )
    report = DriftReport(columns, params.alpha, params.correction, params.min_drifted_columns)
    report.drifted_columns = [c.column for c in columns if c.drifted]
    return report


def _quantiles(view: DatasetProfileView, column: str) -> list[float]:
    col = view.get_column(column)
    if col is None:
        return []
    summary = col.to_summary_dict()
    keys = ["q_01", "q_05", "q_10", "q_25", "median", "q_75", "q_90", "q_95", "q_99"]
    values = [summary.get(f"distribution/{k}") for k in keys]
    return [float(v) for v in values if v is not None and not math.isnan(float(v))]


def _svg_quantiles(reference: list[float], batch: list[float]) -> str:
    """An inline SVG of the two quantile curves (x: value, y: cumulative share)."""
    if len(reference) != 9 or len(batch) != 9:
        return ""
    shares = [0.01, 0.05, 0.10, 0.25, 0.5, 0.75, 0.90, 0.95, 0.99]
    lo, hi = min(reference + batch), max(reference + batch)
    span = (hi - lo) or 1.0

    def line(values: list[float], colour: str) -> str:
        points = " ".join(
            f"{10 + 280 * (v - lo) / span:.1f},{110 - 100 * s:.1f}" for v, s in zip(values, shares, strict=True)
        )
        return f"<polyline fill='none' stroke='{colour}' stroke-width='2' points='{points}'/>"

    return (
        "<svg width='300' height='120' role='img' aria-label='quantiles: reference grey, batch red'>"
        "<rect x='0' y='0' width='300' height='120' fill='#fafafa' stroke='#ddd'/>"
        f"{line(reference, '#888')}{line(batch, '#c62828')}</svg>"
    )


def drift_report_html(report: DriftReport, batch: DatasetProfileView, reference: DatasetProfileView) -> str:
    """The drift report as one self-contained page: verdict, per-column table, quantile plots."""
    verdict = "DRIFT" if report.drifted else "no drift"
    head = (
        f"<p class='{'fail' if report.drifted else 'pass'}'>Batch verdict: {verdict} "
        f"({len(report.drifted_columns)} of {len(report.columns)} columns drifted; "
        f"needs {report.min_drifted_columns}). False-alarm rate alpha={report.alpha} "
        f"with {html.escape(report.correction)} correction.</p>"
    )
    rows = [
        {
            "column": c.column,
            "status": "DRIFT" if c.drifted else "ok",
            "test": c.algorithm,
            "statistic": round(c.statistic, 4),
            "p-value": f"{c.pvalue:.3g}",
            "threshold": f"{c.threshold:.3g}",
        }
        for c in report.columns
    ]
    table = html_table(rows, ["fail" if c.drifted else "pass" for c in report.columns])
    plots = "".join(
        f"<figure>{svg}<figcaption>{html.escape(c.column)} (grey: reference, red: batch)</figcaption></figure>"
        for c in report.columns[:6]
        if (svg := _svg_quantiles(_quantiles(reference, c.column), _quantiles(batch, c.column)))
    )
    return html_page("Data drift (whylogs)", head + table + "<h3>Quantiles of the least stable columns</h3>" + plots)
