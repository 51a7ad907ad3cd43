"""Report -> what a notebook shows: its diagram (inline SVG) above its summary table, as one HTML fragment.

A thin layer above the analysis and the backends: Report's `_repr_*_` hooks call it, so the report itself
knows no backend. Front-ends prefer HTML over SVG, so the HTML carries the picture too.
"""

from __future__ import annotations

import re

from netspec.analysis.report import Report

_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.S)  # the XML declaration, DOCTYPE and comments before <svg>


def report_html(report: Report) -> str:
    """The diagram (when graphviz can draw it) and the summary table with its totals."""
    from netspec.backends.table import html

    picture = report_svg(report)
    figure = f"<div style='overflow:auto;max-height:48em'>{_PROLOGUE.sub('', picture)}</div>" if picture else ""
    return figure + html(report)


def report_svg(report: Report) -> str | None:
    """The diagram as SVG text; None without graphviz (the package or its `dot` program)."""
    try:
        from netspec.backends.diagram import svg
    except ImportError:
        return None
    return svg(report)
