"""Chart 3: the reach-exits trade-off of every parameter point and its efficient frontier."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from numpy.typing import ArrayLike

from simulator.plotting._figure import (
    TEXT_COLOR,
    count_axis,
    finish,
    get_renderer,
    group_style,
    new_figure,
    set_footer,
    set_title,
)
from simulator.plotting._tables import (
    few_exits_note,
    has_ci,
    join_notes,
    n_replicates,
    require,
    split_groups,
    where_note,
)
from simulator.plotting.data import filter_where
from simulator.plotting.formatters import format_value
from simulator.plotting.labels import label, text
from simulator.plotting.names import group_label, param_label, param_short, param_value
from simulator.plotting.style import slide_style


def efficient_frontier(cost: ArrayLike, benefit: ArrayLike) -> np.ndarray:
    """Indices of the Pareto-efficient points (no other point has lower-or-equal cost and
    higher benefit, or lower cost and equal benefit), in increasing cost."""
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
) -> Figure:
    """Chart 3: every parameter point as a dot (mean ``cost`` vs mean ``benefit``), coloured and
    shaped by ``by``, larger for larger ``x``; thin 95% CI whiskers; the efficient frontier
    (points no other point beats on both) as a dashed line, and only its points labelled with
    their ``x`` value (labels on every point pile up once there are more than a handful).

    Cost whiskers are dropped when they carry no information: when every point averages at most
    one exit (:data:`FEW_EXITS`, noted in the footer) or the cost intervals have zero width.
    Default cost is ``exits`` (mutes + unfollows); ``fatigued`` is another choice.
    """
    require(points, [f"{cost}_mean", f"{benefit}_mean"], "plot_tradeoff")
    pts = filter_where(points, where or {}).reset_index(drop=True)
    few = few_exits_note(pts[f"{cost}_mean"], lang) if cost == "exits" else ""
    xs_all = np.sort(pd.to_numeric(pts[x]).unique()) if x is not None else np.array([])
    with slide_style(lang):
        fig, ax = new_figure()
        groups = split_groups(pts, by)
        values = [v for v, _ in groups]
        # Few exits pile every point onto x = 0 or 1/3: set the groups side by side (drawn x only).
        step = _DODGE if few and len(values) > 1 else 0.0
        shift = np.zeros(len(pts))
        handles = []
        for i, (value, sub) in enumerate(groups):
            shift[sub.index.to_numpy()] = (i - (len(values) - 1) / 2) * step
            st = group_style(by, value, i, values)
            name = group_label(by, value, lang, values) or label(benefit, lang)
            _draw_group(ax, sub, shift, x, xs_all, st, name, cost=cost, benefit=benefit, few=bool(few), gid=str(value))
            markersize = 15 if st.marker == "*" else 11
            handles.append(
                Line2D([], [], linestyle="none", marker=st.marker, color=st.color, markersize=markersize, label=name)
            )
        front = efficient_frontier(pts[f"{cost}_mean"], pts[f"{benefit}_mean"])
        handles.append(_draw_frontier(ax, pts, front, shift, cost, benefit, lang))
        left = float(shift.min()) if len(shift) else 0.0
        _tradeoff_limits(ax, pts[f"{cost}_mean"].to_numpy(float), few=bool(few), left=left)
        count_axis(ax.xaxis, lang, integer=not few)
        count_axis(ax.yaxis, lang)
        if x is not None and len(front):  # only the frontier is labelled: the settings worth choosing between
            _label_frontier(fig, ax, pts, front, shift, x, by, values, xs_all, cost, benefit, lang)
        ax.set_xlabel(text("exits_axis", lang) if cost == "exits" else label(cost, lang))
        ax.set_ylabel(label(benefit, lang))
        ax.grid(True, axis="both")
        # Outside the axes (right), so it never covers a point.
        legend_kw: dict[str, Any] = {"borderaxespad": 0, "frameon": False, "handletextpad": 0.5}
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncols=1, **legend_kw)
        set_title(fig, title or text("title_tradeoff", lang))
        set_footer(fig, _tradeoff_notes(pts, points, x, by, where, xs_all, few, step > 0, lang))
        return finish(fig)


def _draw_group(
    ax: Axes,
    sub: pd.DataFrame,
    shift: np.ndarray,
    x: str | None,
    xs_all: np.ndarray,
    st: Any,
    name: str,
    *,
    cost: str,
    benefit: str,
    few: bool,
    gid: str,
) -> None:
    """One option's points (size by ``x``) and their 95% CI whiskers."""
    cx = sub[f"{cost}_mean"].to_numpy(float) + shift[sub.index.to_numpy()]
    cy = sub[f"{benefit}_mean"].to_numpy(float)
    if has_ci(sub, benefit):
        lo = np.clip(sub[f"{benefit}_ci_low"].to_numpy(float), 0, None)  # counts: never below 0
        yerr = np.abs(np.vstack([cy - lo, sub[f"{benefit}_ci_high"].to_numpy(float) - cy]))
        xerr = None
        if not few and has_ci(sub, cost):
            clo = np.clip(sub[f"{cost}_ci_low"].to_numpy(float), 0, None)
            xerr = np.abs(np.vstack([cx - clo, sub[f"{cost}_ci_high"].to_numpy(float) - cx]))
            if not xerr.any():  # zero-width intervals: nothing to draw
                xerr = None
        ax.errorbar(
            cx,
            cy,
            xerr=xerr,
            yerr=yerr,
            fmt="none",
            ecolor=st.color,
            alpha=0.35,
            elinewidth=1.0,
            capsize=0,
            zorder=2,
            gid=f"{benefit}_vs_{cost}_ci:{gid}",
        )
    size = _point_sizes(sub[x] if x is not None else None, xs_all) * (1.8 if st.marker == "*" else 1.0)
    ax.scatter(
        cx,
        cy,
        s=size,
        color=st.color,
        marker=st.marker,
        edgecolors="white",
        linewidths=1.0,
        zorder=4,
        gid=f"{benefit}_vs_{cost}:{gid}",
        alpha=0.95,
        label=name,
    )


def _draw_frontier(
    ax: Axes, pts: pd.DataFrame, front: np.ndarray, shift: np.ndarray, cost: str, benefit: str, lang: str
) -> Line2D:
    fx = pts.loc[front, f"{cost}_mean"].to_numpy(float) + shift[front]
    fy = pts.loc[front, f"{benefit}_mean"].to_numpy(float)
    kw: dict[str, Any] = {"linestyle": (0, (5, 3)), "color": "#333333", "linewidth": 2, "zorder": 3}
    (line,) = ax.plot(fx, fy, label=text("frontier", lang), gid="frontier", **kw)
    return line


def _label_frontier(
    fig: Figure,
    ax: Axes,
    pts: pd.DataFrame,
    front: np.ndarray,
    shift: np.ndarray,
    x: str,
    by: str | None,
    values: list[Any],
    xs_all: np.ndarray,
    cost: str,
    benefit: str,
    lang: str,
) -> None:
    labels = []
    for i in front:
        row = pts.loc[i]
        name = group_label(by, row[by], lang, values) if by else ""
        labels.append(
            ax.annotate(
                ", ".join(p for p in (name, param_value(x, row[x], xs_all)) if p),
                (row[f"{cost}_mean"] + shift[i], row[f"{benefit}_mean"]),
                xytext=(16, 14),
                textcoords="offset points",
                fontsize=15,
                va="bottom",
                ha="left",
                arrowprops={"arrowstyle": "-", "color": "#9a9a9a", "linewidth": 0.8, "shrinkA": 0, "shrinkB": 6},
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
                color=TEXT_COLOR,
                fontweight="bold",
                zorder=6,
                gid="frontier_label",
            )
        )
    _repel(fig, labels)


def _tradeoff_notes(
    pts: pd.DataFrame,
    points: pd.DataFrame,
    x: str | None,
    by: str | None,
    where: Mapping[str, Any] | None,
    xs_all: np.ndarray,
    few: str,
    dodged: bool,
    lang: str,
) -> str:
    n = n_replicates(pts)
    notes = [text("frontier_note", lang)]
    if x is not None and len(xs_all) > 1:
        lo, hi = format_value(xs_all[0], xs_all), format_value(xs_all[-1], xs_all)
        notes.append(text("size_note", lang, x=param_short(x), lo=lo, hi=hi))
    if n and n > 1:
        notes.append(text("reach_whiskers" if few else "ci_whiskers", lang, n=n))
    if few and dodged:
        few = join_notes(few, text("dodged", lang, by=param_label(by, lang) if by else ""))
    notes += [few, where_note(where, lang, table=points)]
    return join_notes(*notes)


def _point_sizes(
    xv: pd.Series | None, xs_all: np.ndarray, small: float = 70.0, large: float = 330.0
) -> np.ndarray | float:
    """Marker areas (pt²) growing with the rank of each ``x`` among the swept values."""
    if xv is None or len(xs_all) < 2:
        return 190.0
    rank = np.searchsorted(xs_all, pd.to_numeric(xv).to_numpy(float))
    return small + (large - small) * rank / (len(xs_all) - 1)


#: Sideways step between groups on the trade-off chart when exits are few (exits axis units).
_DODGE = 0.018


def _tradeoff_limits(ax: Axes, cost: np.ndarray, *, few: bool, left: float = 0.0) -> None:
    """Axis ranges: counts from 0, points kept off the axis lines; a 0..1 scale when exits are few."""
    cmax = float(np.nanmax(cost)) if len(cost) else 0.0
    if few or cmax <= 0:
        ax.set_xlim(min(-0.06, left - 0.05), 1.06)
    else:
        ax.set_xlim(-0.04 * cmax, cmax * 1.08)
    ax.margins(y=0.08)
    ax.autoscale_view(scalex=False)
    lo, hi = ax.get_ylim()
    ax.set_ylim(max(lo, 0), hi)


def _repel(fig: Figure, labels: list) -> None:
    """Move point labels (offset-point annotations) down until none overlaps another."""
    if len(labels) < 2:
        return
    fig.draw_without_rendering()
    renderer = get_renderer(fig)

    def text_box(t):  # the text alone: an annotation's extent also covers its leader line
        return Text.get_window_extent(t, renderer)

    placed: list = []
    for t in sorted(labels, key=lambda t: -text_box(t).y0):
        for _ in range(len(labels) + 1):
            box = text_box(t)
            hit = next((b for b in placed if box.overlaps(b)), None)
            if hit is None:
                break
            dx, dy = t.xyann
            t.xyann = (dx, dy - (box.y1 - hit.y0 + 1) * 72 / fig.dpi)  # just below the one it hit
        placed.append(text_box(t))
