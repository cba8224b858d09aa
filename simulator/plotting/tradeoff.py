"""Chart 3: the reach-exits trade-off of the options and the frontier the statistics support.

Every option is a dot (mean campaign-caused exits vs mean reach) with its 95% interval on both
axes, clipped to what is possible. Which options are dominated is decided by the paired rule of
:mod:`simulator.plotting.compare` (a :class:`~simulator.plotting.compare.Verdict`): dominated
options are faded, frontier options labelled, and two frontier neighbours are joined only when
they differ significantly. Without a verdict (tidy points alone cannot be compared pairwise) no
frontier is drawn and the footer says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from simulator.plotting._figure import (
    TEXT_COLOR,
    count_axis,
    finish,
    group_style,
    new_figure,
    set_footer,
    set_title,
    spread_positions,
)
from simulator.plotting._tables import has_ci, join_notes, n_replicates, require, split_groups, where_note
from simulator.plotting.compare import Verdict, clip_to_bounds, point_key
from simulator.plotting.data import filter_where
from simulator.plotting.formatters import format_value
from simulator.plotting.labels import label, text
from simulator.plotting.names import group_label, param_short
from simulator.plotting.palette import NS_COLOR
from simulator.plotting.style import slide_style

__all__ = ["efficient_frontier", "plot_tradeoff"]


def efficient_frontier(cost: ArrayLike, benefit: ArrayLike) -> np.ndarray:
    """Indices of the Pareto-efficient points of the *means* (no other point has lower-or-equal
    cost and higher benefit, or lower cost and equal benefit), in increasing cost.

    Means alone do not show which differences are real: charts and takeaways decide dominance
    with :func:`simulator.plotting.compare.verdict` instead."""
    c = np.asarray(cost, dtype=float)
    b = np.asarray(benefit, dtype=float)
    order = np.lexsort((-b, c))  # by cost, ties: highest benefit first
    best = -np.inf
    keep = []
    for i in order:
        if b[i] > best:
            keep.append(i)
            best = b[i]
    return np.array(keep, dtype=int)


def plot_tradeoff(
    points: pd.DataFrame,
    *,
    x: str | None = None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    cost: str = "exits",
    benefit: str = "reach",
    lang: str = "en",
    title: str | None = None,
    verdict: Verdict | None = None,
    method: str = "",
) -> Figure:
    """Chart 3: every point of ``points`` (filtered by ``where``) as a dot, mean ``cost`` vs mean
    ``benefit``, coloured and shaped by ``by`` and larger for larger ``x``, with 95% intervals.

    ``verdict`` (from :func:`~simulator.plotting.compare.verdict`) marks dominated options
    (faded) and the frontier (labelled; neighbours joined only where they differ significantly);
    ``method`` says how it was decided. Default cost: ``exits`` (mutes + unfollows caused by the
    campaign); ``fatigued`` is another choice.
    """
    require(points, [f"{cost}_mean", f"{benefit}_mean"], "plot_tradeoff")
    pts = filter_where(points, where or {}).reset_index(drop=True)
    xs_all = np.sort(pd.to_numeric(pts[x]).unique()) if x is not None and x in pts else np.array([])
    status = _statuses(pts, verdict)
    with slide_style(lang):
        fig, ax = new_figure()
        groups = split_groups(pts, by)
        values = [v for v, _ in groups]
        handles = []
        for i, (value, sub) in enumerate(groups):
            st = group_style(by, value, i, values)
            name = group_label(by, value, lang, values) or label(benefit, lang)
            faded = bool(len(sub)) and all(status.get(j) == "dominated" for j in sub.index)
            _draw_group(ax, sub, x, xs_all, st, status, cost=cost, benefit=benefit, gid=str(value))
            size = 15 if st.marker == "*" else 11
            color = NS_COLOR if faded else st.color
            handles.append(Line2D([], [], linestyle="none", marker=st.marker, color=color, markersize=size, label=name))
        if verdict is not None:
            handles += _draw_frontier(ax, pts, verdict, cost, benefit, lang)
        _tradeoff_limits(ax, pts, cost, benefit)
        count_axis(ax.xaxis, lang, integer=True)
        count_axis(ax.yaxis, lang, integer=True)
        ax.set_xlabel(text("exits_axis", lang) if cost == "exits" else label(cost, lang))
        ax.set_ylabel(label(benefit, lang))
        ax.grid(True, axis="both")
        legend_kw: dict[str, Any] = {"borderaxespad": 0, "frameon": False, "handletextpad": 0.5}
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1, **legend_kw)
        set_title(fig, title or text("title_tradeoff", lang))
        set_footer(fig, _tradeoff_notes(pts, points, x, where, xs_all, verdict, method, lang))
        if verdict is not None:  # after the footer: labels are placed in the final layout
            _label_frontier(fig, ax, pts, status, by, values, x, xs_all, cost, benefit, lang)
        return finish(fig)


def _statuses(pts: pd.DataFrame, verdict: Verdict | None) -> dict[int, str]:
    """Row index -> "frontier" / "dominated" (rows the verdict does not cover get nothing)."""
    if verdict is None or not verdict.frontier:
        return {}
    params = list(verdict.frontier[0].point)
    if not set(params) <= set(pts.columns):
        return {}
    keys = {o.key for o in verdict.frontier}
    out = {}
    for i, row in zip(pts.index, pts[params].itertuples(index=False, name=None)):
        k = point_key(row)
        if k in verdict.dominated_by:
            out[i] = "dominated"
        elif k in keys:
            out[i] = "frontier"
    return out


def _draw_group(
    ax: Axes,
    sub: pd.DataFrame,
    x: str | None,
    xs_all: np.ndarray,
    st: Any,
    status: dict[int, str],
    *,
    cost: str,
    benefit: str,
    gid: str,
) -> None:
    """One group's points (size by ``x``; dominated ones faded) and their clipped 95% intervals."""
    cx = sub[f"{cost}_mean"].to_numpy(float)
    cy = sub[f"{benefit}_mean"].to_numpy(float)
    pop = sub["population_mean"].to_numpy(float) if "population_mean" in sub else None
    faded = np.array([status.get(j) == "dominated" for j in sub.index], dtype=bool)
    for metric, along in ((benefit, "y"), (cost, "x")):
        if not has_ci(sub, metric):
            continue
        lo, hi = clip_to_bounds(
            sub[f"{metric}_ci_low"].to_numpy(float), sub[f"{metric}_ci_high"].to_numpy(float), metric, pop
        )
        mid = cy if along == "y" else cx
        err = np.abs(np.vstack([mid - lo, hi - mid]))
        if not err.any():  # zero-width intervals: nothing to draw
            continue
        kw: dict[str, Any] = {"yerr": err} if along == "y" else {"xerr": err}
        ax.errorbar(
            cx,
            cy,
            fmt="none",
            ecolor=NS_COLOR if faded.all() else st.color,
            alpha=0.45,
            elinewidth=1.2,
            capsize=0,
            zorder=2,
            gid=f"{benefit}_vs_{cost}_ci:{gid}",
            **kw,
        )
    size = np.broadcast_to(_point_sizes(sub[x] if x is not None else None, xs_all), cx.shape)
    size = size * (1.8 if st.marker == "*" else 1.0)
    colors = [mcolors.to_rgba(NS_COLOR, 0.45) if f else mcolors.to_rgba(st.color, 0.95) for f in faded]
    ax.scatter(
        cx,
        cy,
        s=size,
        c=colors,
        marker=st.marker,
        edgecolors="white",
        linewidths=1.0,
        zorder=4,
        gid=f"{benefit}_vs_{cost}:{gid}",
    )


def _draw_frontier(ax: Axes, pts: pd.DataFrame, verdict: Verdict, cost: str, benefit: str, lang: str) -> list:
    """Dashed segments between frontier neighbours that differ significantly."""
    if not verdict.segments:
        return []
    lookup = {}
    params = list(verdict.frontier[0].point)
    for row in pts.to_dict("records"):
        lookup[point_key(row[p] for p in params)] = (row[f"{cost}_mean"], row[f"{benefit}_mean"])
    kw: dict[str, Any] = {"linestyle": (0, (5, 3)), "color": "#333333", "linewidth": 2, "zorder": 3}
    line = None
    for a, b in verdict.segments:
        if a.key in lookup and b.key in lookup:
            (xa, ya), (xb, yb) = lookup[a.key], lookup[b.key]
            (line,) = ax.plot([xa, xb], [ya, yb], label=text("frontier", lang), gid="frontier", **kw)
    return [line] if line is not None else []


def _label_frontier(
    fig: Figure,
    ax: Axes,
    pts: pd.DataFrame,
    status: dict[int, str],
    by: str | None,
    values: list[Any],
    x: str | None,
    xs_all: np.ndarray,
    cost: str,
    benefit: str,
    lang: str,
) -> None:
    """Name the frontier options (the ones worth choosing between), beside their dots, spread
    vertically only as far as needed to keep the names apart (a thin leader to each dot)."""
    anchors = []
    for i, s in status.items():
        if s != "frontier":
            continue
        row = pts.loc[i]
        parts = [group_label(by, row[by], lang, values) if by else ""]
        if x is not None and len(xs_all) > 1:
            parts.append(f"{param_short(x, lang)} = {format_value(row[x], xs_all)}")
        name = ", ".join(p for p in parts if p) or label(benefit, lang)
        anchors.append((float(row[f"{cost}_mean"]), float(row[f"{benefit}_mean"]), name))
    if not anchors:
        return
    fig.draw_without_rendering()  # final layout: display coordinates hold
    box = ax.get_window_extent()
    gap = 15 * 1.5 * fig.dpi / 72
    disp = [ax.transData.transform((cx, cy)) for cx, cy, _ in anchors]
    ys = spread_positions([d[1] for d in disp], gap, lo=box.y0 + gap / 2, hi=box.y1 - gap / 2)
    for (cx, cy, name), (px, py), ty in zip(anchors, disp, ys):
        right = px < box.x0 + 0.72 * box.width  # names read to the right unless near the right edge
        ax.annotate(
            name,
            (cx, cy),
            xytext=(18 if right else -18, (ty - py) * 72 / fig.dpi),
            textcoords="offset points",
            fontsize=15,
            va="center",
            ha="left" if right else "right",
            arrowprops={"arrowstyle": "-", "color": "#9a9a9a", "linewidth": 0.8, "shrinkA": 0, "shrinkB": 6},
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            color=TEXT_COLOR,
            fontweight="bold",
            zorder=6,
            gid="frontier_label",
        )


def _tradeoff_notes(
    pts: pd.DataFrame,
    points: pd.DataFrame,
    x: str | None,
    where: Mapping[str, Any] | None,
    xs_all: np.ndarray,
    verdict: Verdict | None,
    method: str,
    lang: str,
) -> str:
    n = n_replicates(pts)
    notes = [text("frontier_note", lang)]
    if verdict is None:
        notes.append(text("no_verdict", lang))
    else:
        notes.append(text("dominated_note", lang) if verdict.dominated_by else text("none_dominated", lang))
        if not verdict.cost_measurable:
            notes.append(text("cost_no_effect", lang))
    if x is not None and len(xs_all) > 1:
        lo, hi = format_value(xs_all[0], xs_all), format_value(xs_all[-1], xs_all)
        notes.append(text("size_note", lang, x=param_short(x, lang), lo=lo, hi=hi))
    if n and n > 1:
        notes.append(text("ci_whiskers", lang, n=n))
    notes += [method, where_note(where, lang, table=points)]
    return join_notes(*notes)


def _point_sizes(
    xv: pd.Series | None, xs_all: np.ndarray, small: float = 70.0, large: float = 330.0
) -> np.ndarray | float:
    """Marker areas (pt²) growing with the rank of each ``x`` among the swept values."""
    if xv is None or len(xs_all) < 2:
        return 220.0
    rank = np.searchsorted(xs_all, pd.to_numeric(xv).to_numpy(float))
    return small + (large - small) * rank / (len(xs_all) - 1)


def _tradeoff_limits(ax: Axes, pts: pd.DataFrame, cost: str, benefit: str) -> None:
    """Both axes from 0 (counts), with room for every point and interval."""
    for metric, setter in ((cost, ax.set_xlim), (benefit, ax.set_ylim)):
        cols = [c for c in (f"{metric}_mean", f"{metric}_ci_high") if c in pts]
        top = float(np.nanmax(pts[cols].to_numpy(float))) if cols and len(pts) else 0.0
        top = top if np.isfinite(top) and top > 0 else 1.0
        setter(-0.03 * top, top * 1.1)
