"""Slide-ready propsim charts: 16:9, CJK fonts, bilingual labels, takeaways and a PPTX deck.

Python API (the same engine as ``propsim plot``)::

    from simulator.plotting import load_results, make_charts, render

    data = load_results("results/sweep1")           # RunData or SweepData (tidy tables)
    charts = make_charts(data, lang="zh")           # ChartSet: charts["reach"].figure / .takeaway
    render(data, "out", formats=("png", "pdf"), deck="out/deck.pptx")

Each chart is also one function taking tidy tables and returning a matplotlib Figure:
:func:`plot_differences`, :func:`plot_reach`, :func:`plot_fatigue`, :func:`plot_tradeoff`,
:func:`plot_cumulative_reach`, :func:`plot_frequency` / :func:`plot_effective_reach`, :func:`plot_account_contribution`,
:func:`plot_account_matrix`, :func:`plot_propagation_path`.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names are imported on first use (PEP 562): `propsim --help` must not pay for matplotlib/pandas.
_LAZY = {
    "plot_account_contribution": "accounts",
    "Comparisons": "compare",
    "verdict": "compare",
    "difference_table": "differences",
    "plot_differences": "differences",
    "parameter_labels": "names",
    "efficient_frontier": "tradeoff",
    "plot_tradeoff": "tradeoff",
    "plot_cumulative_reach": "timeline",
    "plot_effective_reach": "frequency",
    "plot_frequency": "frequency",
    "plot_fatigue": "lines",
    "plot_reach": "lines",
    "RunData": "data",
    "Selection": "data",
    "SweepData": "data",
    "compute_points": "data",
    "load_results": "data",
    "select": "data",
    "account_graph": "matrix_graph",
    "matrix_layout": "matrix_graph",
    "plot_account_matrix": "matrix_diagram",
    "plot_propagation_path": "path_diagram",
    "KINDS": "kinds",
    "Chart": "chartset",
    "ChartSet": "chartset",
    "RenderReport": "rendering",
    "make_charts": "rendering",
    "render": "rendering",
    "summary_table": "rendering",
    "CJK_FONT_ENV": "fonts",
    "cjk_font_family": "fonts",
    "find_cjk_font": "fonts",
    "KIND_COLORS": "palette",
    "NEUTRAL_COLOR": "palette",
    "TOPOLOGY_COLORS": "palette",
    "color_for_kind": "palette",
    "color_for_topology": "palette",
    "LABELS": "labels",
    "label": "labels",
    "text": "labels",
    "count_formatter": "formatters",
    "format_count": "formatters",
    "format_percent": "formatters",
    "format_value": "formatters",
    "percent_formatter": "formatters",
    "save_figure": "saving",
    "STYLE_PATH": "style",
    "slide_style": "style",
    "use_style": "style",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"simulator.plotting.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulator.plotting' has no attribute {name!r}")


__all__ = sorted(_LAZY)
