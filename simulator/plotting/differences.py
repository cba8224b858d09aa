"""Chart 0: each option's difference from the baseline (forest plot), for reach, effective reach
and campaign-caused exits.

One row per option, sorted by its reach difference; a dot at the mean paired difference and a
whisker for its 95% interval. Differences that are not significant (Holm-adjusted over the
options) are grey and marked "n.s."; a metric where no option differs measurably shows "no
measurable effect" instead of points. Built from a :func:`difference_table` (tidy: one row per
option and metric), which :class:`~simulator.plotting.compare.Comparisons` computes from the sweep.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulator.plotting._figure import TEXT_COLOR, count_axis, finish, new_figure, set_footer, set_title
from simulator.plotting._tables import join_notes, require
from simulator.plotting.compare import Comparisons
from simulator.plotting.formatters import percent_formatter
from simulator.plotting.labels import label, text
from simulator.plotting.palette import NS_COLOR, SIGNIFICANT_COLOR
from simulator.plotting.style import slide_style
from simulator.plotting.words import fmt_diff, is_share

__all__ = ["FOREST_METRICS", "difference_table", "plot_differences"]

#: The metrics of the difference chart, left to right.
FOREST_METRICS = ("reach", "effective_reach", "exits")

_COLUMNS = [
    "option",
    "metric",
    "diff",
    "lo",
    "hi",
    "p",
    "p_adj",
    "n",
    "significant",
    "negligible",
    "measurable",
    "text",
]


def difference_table(comps: Comparisons, metrics: Sequence[str] = FOREST_METRICS, lang: str = "en") -> pd.DataFrame:
    """Tidy differences of every option from the baseline: ``option`` (display name),
    ``metric``, ``diff``, ``lo``, ``hi``, ``p``, ``p_adj`` (Holm over the options), ``n``,
    ``significant``, ``negligible`` (significant but smaller than one person per 10,000 of the
    population), ``measurable`` (some option differs significantly and not negligibly) and ``text``
    ("+8.1k (±1.2k)", "n.s." or "negligible")."""
    among = {p: list(pd.unique(comps.data.points[p])) for p in comps.params}
    rows = []
    for metric in metrics:
        if not comps.has(metric):
            continue
        diffs = comps.vs_baseline(metric)
        # "measurable" from the family drawn (each option vs the baseline, Holm over the options), so
        # that a whisker clear of zero is never greyed under a "no measurable effect" title
        floor = comps.min_effect(metric)
        measurable = any(s.significant and abs(s.diff) >= floor for _, s in diffs)
        for option, s in diffs:
            rows.append(
                {
                    "option": option.name(lang, among),
                    "metric": metric,
                    "diff": s.diff,
                    "lo": s.lo,
                    "hi": s.hi,
                    "p": s.p,
                    "p_adj": s.p_adj,
                    "n": s.n,
                    "significant": s.significant,
                    "negligible": s.significant and abs(s.diff) < floor,
                    "measurable": measurable,
                    "text": _value_text(s, metric, floor, lang),
                }
            )
    return pd.DataFrame(rows, columns=_COLUMNS)


def _value_text(s: Any, metric: str, floor: float, lang: str) -> str:
    if not s.significant:
        return "n.s."
    return text("negligible", lang) if abs(s.diff) < floor else fmt_diff(s, metric, lang)


def plot_differences(
    table: pd.DataFrame,
    *,
    baseline: str,
    lang: str = "en",
    method: str = "",
    note: str = "",
    title: str | None = None,
) -> Figure:
    """Chart 0: forest plot of :func:`difference_table` (one panel per metric, options sorted by
    the first metric's difference, largest on top). ``baseline`` names the option compared
    against; ``method`` and ``note`` go to the footer."""
    require(table, ["option", "metric", "diff", "lo", "hi", "significant", "measurable"], "plot_differences")
    metrics = list(dict.fromkeys(table["metric"]))
    first = table[table["metric"] == metrics[0]].sort_values("diff", kind="stable")
    order = list(first["option"])  # bottom to top
    with slide_style(lang):
        fig, axes = new_figure(1, len(metrics), sharey=True, squeeze=False)
        for ax, metric in zip(axes[0], metrics):
            _forest_panel(ax, table[table["metric"] == metric], order, metric, lang)
        axes[0, 0].set_yticks(np.arange(len(order)), labels=order)
        axes[0, 0].set_ylim(-0.7, len(order) - 0.3)
        set_title(fig, title or text("title_differences", lang, baseline=baseline))
        set_footer(fig, join_notes(text("forest_note", lang), method, note))
        return finish(fig)


def _forest_panel(ax: Axes, rows: pd.DataFrame, order: list[str], metric: str, lang: str) -> None:
    measurable = not rows.empty and bool(rows["measurable"].iloc[0])
    title = _panel_title(metric, lang) + ("" if measurable else "\n" + text("no_effect_short", lang))
    ax.set_title(title, loc="left", fontsize=18, linespacing=1.3)
    ax.axvline(0, color="#333333", linewidth=1.2, zorder=1)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    y = {name: i for i, name in enumerate(order)}
    for name, r in rows.set_index("option").iterrows():
        significant = bool(r["significant"]) and not bool(r.get("negligible", False))
        c = SIGNIFICANT_COLOR if significant else NS_COLOR
        yi = y[str(name)]
        if np.isfinite(r["lo"]) and np.isfinite(r["hi"]):
            ax.plot(
                [r["lo"], r["hi"]],
                [yi, yi],
                color=c,
                linewidth=3,
                solid_capstyle="butt",
                zorder=2,
                gid=f"ci:{metric}:{name}",
            )
        face = c if significant else "white"
        ax.plot(
            [r["diff"]],
            [yi],
            marker="o",
            markersize=11,
            color=c,
            markerfacecolor=face,
            markeredgewidth=2,
            linestyle="none",
            zorder=3,
            gid=f"diff:{metric}:{name}",
        )
        _value_label(ax, str(r["text"]), r["diff"], yi, significant)
    _symmetric_limits(ax, rows)
    if is_share(metric):
        ax.xaxis.set_major_formatter(percent_formatter(0, lang))
    else:
        count_axis(ax.xaxis, lang, integer=True)
    ax.tick_params(axis="x", labelsize=14)


def _value_label(ax: Axes, label_text: str, diff: float, yi: float, significant: bool) -> None:
    """The difference as text above its whisker ("+8.1k (±1.2k)" or "n.s.")."""
    x = diff if np.isfinite(diff) else 0.0
    color = TEXT_COLOR if significant else NS_COLOR
    kw: dict[str, Any] = {"textcoords": "offset points", "ha": "center", "va": "bottom", "fontsize": 13}
    ax.annotate(label_text, (x, yi), xytext=(0, 9), color=color, zorder=4, gid="diff_label", **kw)


def _symmetric_limits(ax: Axes, rows: pd.DataFrame) -> None:
    """Zero in the middle, room for every interval (and a readable scale when all are 0)."""
    ends = rows[["lo", "hi", "diff"]].to_numpy(float)
    span = float(np.nanmax(np.abs(ends))) if np.isfinite(ends).any() else 0.0
    span = span * 1.15 if span > 0 else 1.0
    ax.set_xlim(-span, span)


def _panel_title(metric: str, lang: str) -> str:
    return text("exits_short", lang) if metric == "exits" else label(metric, lang)
