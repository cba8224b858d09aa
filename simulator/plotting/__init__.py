"""Slide-ready propsim charts: 16:9, CJK fonts, bilingual labels, takeaways and a PPTX deck.

Python API (the same engine as ``propsim plot``)::

    from simulator.plotting import load_results, make_charts, render

    data = load_results("results/sweep1")           # RunData or SweepData (tidy tables)
    charts = make_charts(data, lang="zh")           # ChartSet: charts["reach"].figure / .takeaway
    render(data, "out", formats=("png", "pdf"), deck="out/deck.pptx")

Each chart is also one function taking tidy tables and returning a matplotlib Figure:
:func:`plot_reach`, :func:`plot_fatigue`, :func:`plot_tradeoff`, :func:`plot_cumulative_reach`,
:func:`plot_frequency` / :func:`plot_effective_reach`, :func:`plot_account_contribution`,
:func:`plot_account_matrix`, :func:`plot_propagation_path`.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names are imported on first use (PEP 562): `propsim --help` must not pay for matplotlib/pandas.
_LAZY = {
    "efficient_frontier": "charts",
    "plot_account_contribution": "charts",
    "plot_cumulative_reach": "charts",
    "plot_effective_reach": "charts",
    "plot_fatigue": "charts",
    "plot_frequency": "charts",
    "plot_reach": "charts",
    "plot_tradeoff": "charts",
    "RunData": "data",
    "Selection": "data",
    "SweepData": "data",
    "compute_points": "data",
    "load_results": "data",
    "select": "data",
    "account_graph": "diagrams",
    "matrix_layout": "diagrams",
    "plot_account_matrix": "diagrams",
    "plot_propagation_path": "diagrams",
    "KINDS": "kinds",
    "Chart": "rendering",
    "ChartSet": "rendering",
    "RenderReport": "rendering",
    "make_charts": "rendering",
    "render": "rendering",
    "summary_table": "rendering",
    "CJK_FONT_ENV": "style",
    "KIND_COLORS": "style",
    "LABELS": "style",
    "NEUTRAL_COLOR": "style",
    "STYLE_PATH": "style",
    "TOPOLOGY_COLORS": "style",
    "cjk_font_family": "style",
    "color_for_kind": "style",
    "color_for_topology": "style",
    "count_formatter": "style",
    "find_cjk_font": "style",
    "format_count": "style",
    "format_percent": "style",
    "label": "style",
    "percent_formatter": "style",
    "save_figure": "style",
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
