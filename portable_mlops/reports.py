"""Self-contained HTML reports: inline CSS, no script, no external resource, so they render offline.

whylogs' own HTML pulls JavaScript from CDNs and is blank without network; these are not.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

from portable_mlops.validation import RuleResult, column_kind, null_fraction

PAGE_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:16px;color:#222}"
    "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    "th{background:#f3f3f3}.fail{color:#b00020;font-weight:600}.pass{color:#137333}"
    "figure{display:inline-block;margin:8px}img{max-width:420px}"
)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4g}"
    return str(value)


def html_table(rows: Iterable[dict[str, Any]], classes: Iterable[str] | None = None) -> str:
    """A plain HTML table of dict rows (the first row's keys are the header); ``classes`` styles rows."""
    rows = list(rows)
    if not rows:
        return "<p>(none)</p>"
    row_classes = list(classes) if classes is not None else [""] * len(rows)
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join(
        f"<tr class='{css}'>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row.values()) + "</tr>"
        for row, css in zip(rows, row_classes, strict=True)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_page(title: str, body: str) -> str:
    """Wrap ``body`` in a complete page with the shared inline style."""
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{PAGE_STYLE}</style></head><body><h2>{html.escape(title)}</h2>{body}</body></html>"
    )


def profile_rows(view: Any) -> list[dict[str, Any]]:
    """One summary row per column of a whylogs profile view."""
    rows = []
    for name, column in sorted(view.get_columns().items()):
        s = column.to_summary_dict()
        top = s.get("frequent_items/frequent_strings") or []
        rows.append(
            {
                "column": name,
                "kind": column_kind(s),
                "count": s.get("counts/n", 0),
                "null %": round(100 * null_fraction(s), 2),
                "min": s.get("distribution/min", ""),
                "mean": s.get("distribution/mean", "") if s.get("distribution/n") else "",
                "max": s.get("distribution/max", ""),
                "distinct (est.)": round(float(s.get("cardinality/est", 0) or 0)),
                "top values": ", ".join(f"{i.value} ({int(i.est)})" for i in top[:5]),
            }
        )
    return rows


def profile_report(view: Any) -> str:
    """A page summarising a whylogs profile: one row per column."""
    return html_page("Data profile (whylogs)", html_table(profile_rows(view)))


def validation_report(results: list[RuleResult], reference: str) -> str:
    """A page listing every data rule with its outcome, failures first."""
    ordered = sorted(results, key=lambda r: (r.passed, r.column))
    rows = [
        {"result": "PASS" if r.passed else "FAIL", "column": r.column, "rule": r.rule, "observed": r.observed}
        for r in ordered
    ]
    failed = sum(not r.passed for r in results)
    summary = f"<p>Reference: {html.escape(reference)}. {len(results)} rules, {failed} failed.</p>"
    return html_page("Data validation", summary + html_table(rows, ["pass" if r.passed else "fail" for r in ordered]))
