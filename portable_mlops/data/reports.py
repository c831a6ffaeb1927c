"""The data reports: a whylogs profile and the validation rules, as self-contained HTML pages."""

from __future__ import annotations

import html
from typing import Any

from portable_mlops.data.validation import RuleResult, column_kind, null_fraction
from portable_mlops.pages import html_page, html_table


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
