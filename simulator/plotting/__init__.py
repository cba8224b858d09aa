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

from simulator.plotting.charts import (
    efficient_frontier,
    plot_account_contribution,
    plot_cumulative_reach,
    plot_effective_reach,
    plot_fatigue,
    plot_frequency,
    plot_reach,
    plot_tradeoff,
)
from simulator.plotting.data import (
    RunData,
    Selection,
    SweepData,
    compute_points,
    load_results,
    select,
)
from simulator.plotting.diagrams import (
    account_graph,
    matrix_layout,
    plot_account_matrix,
    plot_propagation_path,
)
from simulator.plotting.render import (
    KINDS,
    Chart,
    ChartSet,
    RenderReport,
    make_charts,
    render,
    summary_table,
)
from simulator.plotting.style import (
    CJK_FONT_ENV,
    KIND_COLORS,
    LABELS,
    NEUTRAL_COLOR,
    STYLE_PATH,
    TOPOLOGY_COLORS,
    cjk_font_family,
    color_for_kind,
    color_for_topology,
    count_formatter,
    find_cjk_font,
    format_count,
    format_percent,
    label,
    percent_formatter,
    save_figure,
    slide_style,
    use_style,
)

__all__ = [
    "CJK_FONT_ENV",
    "KINDS",
    "KIND_COLORS",
    "LABELS",
    "NEUTRAL_COLOR",
    "STYLE_PATH",
    "TOPOLOGY_COLORS",
    "Chart",
    "ChartSet",
    "RenderReport",
    "RunData",
    "Selection",
    "SweepData",
    "account_graph",
    "cjk_font_family",
    "color_for_kind",
    "color_for_topology",
    "compute_points",
    "count_formatter",
    "efficient_frontier",
    "find_cjk_font",
    "format_count",
    "format_percent",
    "label",
    "load_results",
    "make_charts",
    "matrix_layout",
    "percent_formatter",
    "plot_account_contribution",
    "plot_account_matrix",
    "plot_cumulative_reach",
    "plot_effective_reach",
    "plot_fatigue",
    "plot_frequency",
    "plot_propagation_path",
    "plot_reach",
    "plot_tradeoff",
    "render",
    "save_figure",
    "select",
    "slide_style",
    "summary_table",
    "use_style",
]
