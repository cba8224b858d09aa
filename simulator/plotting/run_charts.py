"""The charts and takeaways of a single run folder (charts 4-8)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.plotting import run_takeaways as T
from simulator.plotting.accounts import plot_account_contribution
from simulator.plotting.chartset import Chart
from simulator.plotting.frequency import plot_frequency
from simulator.plotting.matrix_diagram import plot_account_matrix
from simulator.plotting.palette import NEUTRAL_COLOR, color_for_topology
from simulator.plotting.path_diagram import plot_propagation_path
from simulator.plotting.timeline import plot_cumulative_reach

__all__ = ["run_charts"]


def _topology_color(summary: Mapping[str, Any]) -> str | None:
    topo = summary.get("topology")
    if not topo:
        return None
    c = color_for_topology(str(topo))
    return None if c == NEUTRAL_COLOR else c


def run_charts(out: Any, data: Any, wanted: list[str], *, lang: str, top: int, item: Any) -> None:
    """Draw the ``wanted`` kinds of one run into ``out`` (a ChartSet); others go to ``skipped``."""
    for kind in wanted:
        drawn = _run_chart(data, kind, lang=lang, top=top, item=item)
        if isinstance(drawn, str):
            out.skipped[kind] = drawn
        else:
            out.charts[kind] = Chart(kind, *drawn)


def _run_chart(data: Any, kind: str, *, lang: str, top: int, item: Any) -> Any:
    s = data.summary
    color = _topology_color(s)
    if kind in ("differences", "reach", "fatigue", "tradeoff"):
        return "compares parameter points: needs a sweep folder (`propsim sweep`)"
    if kind == "timeline":
        return plot_cumulative_reach(data.timeseries, lang=lang, color=color), T.takeaway_run_timeline(s, lang=lang)
    if kind == "frequency":
        threshold = int(s.get("effective_reach_threshold") or 3)
        fig = plot_frequency(data.frequency, threshold=threshold, lang=lang, color=color)
        return fig, T.takeaway_run_frequency(data.frequency, threshold, lang=lang)
    if kind == "accounts":
        fig = plot_account_contribution(data.accounts, top=top, lang=lang)
        return fig, T.takeaway_accounts(data.accounts, lang=lang)
    if kind == "matrix":
        if not data.scenario:
            return "the run folder has no scenario.json"
        fig = plot_account_matrix(data.scenario, data.accounts, lang=lang)
        return fig, T.takeaway_matrix(data.scenario, data.accounts, lang=lang)
    if data.relays.empty:  # path
        return "no account relayed anything in this run (no propagation path to draw)"
    fig = plot_propagation_path(data.relays, data.accounts, item=item, lang=lang)
    return fig, T.takeaway_path(data.relays, data.accounts, item=item, lang=lang)
