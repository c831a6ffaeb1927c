"""Self-contained HTML reports: inline CSS, no script, no external resource, so they render offline.

whylogs' own HTML pulls JavaScript from CDNs and is blank without network; these are not.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from typing import Any

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
