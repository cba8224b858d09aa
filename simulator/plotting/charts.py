"""Comparison charts for strategy decks. Each function takes tidy tables and returns a Figure.

=====  =============================  ==========================================================
 no.    function                        tables
=====  =============================  ==========================================================
 1      :func:`plot_reach`              sweep ``points`` (``reach_mean``, ``reach_ci_low/high``)
 2      :func:`plot_fatigue`            sweep ``points`` (``fatigue_share_*``, ``exits_*``)
 3      :func:`plot_tradeoff`           sweep ``points`` (``reach_*`` and a cost, ``exits_*``)
 4      :func:`plot_cumulative_reach`   ``timeseries`` (+ sweep ``runs`` to pick runs)
 5      :func:`plot_frequency`          ``frequency`` (exposures, followers [, run_id])
 5b     :func:`plot_effective_reach`    sweep ``points``, when the sweep kept no frequency table
 6      :func:`plot_account_contribution`  run ``accounts``
=====  =============================  ==========================================================

The account-matrix diagram (7) and the propagation path (8) are in
:mod:`simulator.plotting.diagrams`. Every chart is drawn in the slide style of ``lang`` (``"en"``
or ``"zh"``); numbers use 12k / 1.2M (en) or 1.2万 (zh). Drawn artists carry a ``gid``
(``"reach:hub"``, ``"reach_ci:hub"``, ``"frontier"``...) so tests and notebooks can find them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from simulator.plotting._figure import (
    NOTE_COLOR,
    TEXT_COLOR,
    capitalise,
    count_axis,
    finish,
    group_style,
    label_line_ends,
    new_figure,
    set_footer,
    set_title,
    setup_param_axis,
    top_legend,
)
from simulator.plotting.data import filter_where, group_values
from simulator.plotting.style import (
    color_for_kind,
    format_count,
    format_percent,
    format_value,
    label,
    percent_formatter,
    slide_style,
)
from simulator.plotting.text import group_label, param_label, param_short, param_value, text

__all__ = [
    "plot_account_contribution",
    "plot_cumulative_reach",
    "plot_effective_reach",
    "plot_fatigue",
    "plot_frequency",
    "plot_reach",
    "plot_tradeoff",
]

_BAND_ALPHA = 0.18


def _where_note(
    where: Mapping[str, Any] | None, lang: str, skip: Sequence[str] = (), table: pd.DataFrame | None = None
) -> str:
    """ "at p0 = 0.00316" for the parameters held fixed; ``table`` holds their other swept values
    (so that the printed value is told apart from its neighbours)."""
    items = {k: v for k, v in (where or {}).items() if k not in skip}
    if not items:
        return ""
    desc = ", ".join(param_value(k, v, _among(table, k)) for k, v in items.items())
    return text("held_at", lang, desc=desc)


def _among(table: pd.DataFrame | None, column: str) -> list[Any] | None:
    """The distinct values of ``column`` (``None`` if the table has no such column)."""
    if table is None or column not in table.columns:
        return None
    return list(pd.unique(table[column]))


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def _groups(table: pd.DataFrame, by: str | None) -> list[tuple[Any, pd.DataFrame]]:
    values = group_values(table, by)
    if by is None:
        return [(None, table)]
    return [(v, table[table[by] == v]) for v in values]


def _replicates(points: pd.DataFrame) -> int | None:
    if "n" not in points.columns or points.empty:
        return None
    n = pd.to_numeric(points["n"], errors="coerce")
    return int(n.min()) if n.notna().all() else None


def _has_ci(sub: pd.DataFrame, metric: str) -> bool:
    cols = (f"{metric}_ci_low", f"{metric}_ci_high")
    return all(c in sub.columns for c in cols) and bool(np.isfinite(sub[list(cols)].to_numpy(float)).all())


def _require(table: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"{what}: the table has no column(s) {', '.join(missing)}")


def _metric_lines(
    ax,
    points: pd.DataFrame,
    *,
    x: str,
    by: str | None,
    metric: str,
    lang: str,
    end_labels: list | None = None,
    bands: bool = True,
) -> list[Line2D]:
    """One line (mean) + 95% CI band per group (``bands=False``: lines only); returns the lines
    for a legend."""
    lines = []
    groups = _groups(points, by)
    values = [v for v, _ in groups]
    for i, (value, sub) in enumerate(groups):
        sub = sub.sort_values(x, key=lambda s: pd.to_numeric(s))
        xv = pd.to_numeric(sub[x]).to_numpy(float)
        y = sub[f"{metric}_mean"].to_numpy(float)
        st = group_style(by, value, i, values)
        name = group_label(by, value, lang, values) or label(metric, lang)
        (line,) = ax.plot(
            xv,
            y,
            color=st.color,
            marker=st.marker,
            markersize=14 if st.marker == "*" else 9,
            label=name,
            gid=f"{metric}:{value}",
            zorder=3,
        )
        lines.append(line)
        if bands and _has_ci(sub, metric):
            ax.fill_between(
                xv,
                sub[f"{metric}_ci_low"].to_numpy(float),
                sub[f"{metric}_ci_high"].to_numpy(float),
                color=st.color,
                alpha=_BAND_ALPHA if len(groups) <= 3 else _BAND_ALPHA * 0.65,
                linewidth=0,
                gid=f"{metric}_ci:{value}",
                zorder=2,
            )
        if end_labels is not None and len(xv):
            end_labels.append((xv[-1], y[-1], name, st.color))
    return lines


# ---------------------------------------------------------------------------
# 1. Reach vs repost probability
# ---------------------------------------------------------------------------


def plot_reach(
    points: pd.DataFrame,
    *,
    x: str,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    metric: str = "reach",
    lang: str = "en",
    title: str | None = None,
) -> Figure:
    """Chart 1: mean ``metric`` (default reach) against swept parameter ``x``, one line per
    ``by`` value, with the 95% confidence band of the mean.

    Args:
        points: the sweep's points table (one row per parameter point, ``M_mean``/``M_ci_*``).
        x: numeric swept parameter on the x axis (e.g. ``"behaviour.p0"``).
        by: column giving one line per value (e.g. ``"topology"``); ``None`` for one line.
        where: other swept parameters held fixed, ``{path: value}``.
        metric: metric name (``reach``, ``direct_reach``, ``effective_reach``...).
    """
    _require(points, [x, f"{metric}_mean"] + ([by] if by else []), "plot_reach")
    pts = filter_where(points, where or {})
    with slide_style(lang):
        fig, ax = new_figure()
        ends: list = []
        _metric_lines(ax, pts, x=x, by=by, metric=metric, lang=lang, end_labels=ends if by else None)
        setup_param_axis(ax, pd.to_numeric(pts[x]), capitalise(param_label(x, lang)))
        ax.set_ylim(bottom=0)
        count_axis(ax.yaxis, lang)
        ax.set_ylabel(label(metric, lang))
        set_title(fig, title or text("title_reach", lang, x=param_label(x, lang)))
        n = _replicates(pts)
        set_footer(
            fig, _join(text("ci_band", lang, n=n) if n and n > 1 else "", _where_note(where, lang, table=points))
        )
        if by:
            label_line_ends(fig, ax, ends)
        return finish(fig)


# ---------------------------------------------------------------------------
# 2. Fatigue and exits vs repost probability
# ---------------------------------------------------------------------------


def plot_fatigue(
    points: pd.DataFrame,
    *,
    x: str,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    lang: str = "en",
    title: str | None = None,
) -> Figure:
    """Chart 2: fatigue (share of reached people over their tolerance) and exits (mutes +
    unfollows) against ``x``, side by side, one line per ``by`` value, 95% CI bands."""
    _require(points, [x, "fatigue_share_mean", "exits_mean"], "plot_fatigue")
    pts = filter_where(points, where or {})
    exits_note = _few_exits_note(pts["exits_mean"], lang)
    with slide_style(lang):
        fig, (ax1, ax2) = new_figure(1, 2)
        lines = _metric_lines(ax1, pts, x=x, by=by, metric="fatigue_share", lang=lang)
        # With a handful of exits the t-interval of 0/0/1 spans -1..2: noise, not information.
        _metric_lines(ax2, pts, x=x, by=by, metric="exits", lang=lang, bands=not exits_note)
        xlabel = capitalise(param_label(x, lang))
        for ax in (ax1, ax2):
            setup_param_axis(ax, pd.to_numeric(pts[x]), xlabel)
            ax.set_ylim(bottom=0)
        ax1.yaxis.set_major_formatter(percent_formatter(0, lang))
        count_axis(ax2.yaxis, lang, integer=not exits_note)
        for ax, metric in ((ax1, "fatigue_share"), (ax2, "exits")):
            if not (pts[f"{metric}_mean"].abs() > 0).any():  # all zero: a readable empty scale
                ax.set_ylim(0, 0.01 if metric == "fatigue_share" else 1)
        if exits_note and (pts["exits_mean"].abs() > 0).any():
            ax2.set_ylim(0, 1.05)  # a fixed 0..1 scale: a third of a person is not a trend
        ax1.set_title(text("fatigue_share_axis", lang), loc="left", fontsize=20)
        ax2.set_title(text("exits_axis", lang), loc="left", fontsize=20)
        if by:
            top_legend(ax1, lines, row=[ax1, ax2])
        set_title(fig, title or text("title_fatigue", lang, x=param_label(x, lang)))
        n = _replicates(pts)
        set_footer(
            fig,
            _join(
                text("ci_band", lang, n=n) if n and n > 1 else "", exits_note, _where_note(where, lang, table=points)
            ),
        )
        return finish(fig)


#: Mean exits per point at or below which exit differences are treated as noise.
FEW_EXITS = 1.0


def _few_exits_note(exits_mean: pd.Series, lang: str) -> str:
    """Footer note when every point averages at most :data:`FEW_EXITS` exits (else "")."""
    e = pd.to_numeric(exits_mean, errors="coerce").dropna()
    if e.empty or e.max() > FEW_EXITS:
        return ""
    return text("no_exits" if e.max() == 0 else "few_exits", lang)


# ---------------------------------------------------------------------------
# 3. Reach-fatigue trade-off
# ---------------------------------------------------------------------------


def efficient_frontier(cost: Sequence[float], benefit: Sequence[float]) -> np.ndarray:
    """Indices of the Pareto-efficient points (no other point has lower-or-equal cost and
    higher benefit, or lower cost and equal benefit), in increasing cost."""
    cost = np.asarray(cost, dtype=float)
    benefit = np.asarray(benefit, dtype=float)
    order = np.lexsort((-benefit, cost))  # by cost, ties: highest benefit first
    best = -np.inf
    keep = []
    for i in order:
        if benefit[i] > best:
            keep.append(i)
            best = benefit[i]
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
    _require(points, [f"{cost}_mean", f"{benefit}_mean"], "plot_tradeoff")
    pts = filter_where(points, where or {}).reset_index(drop=True)
    cmean = pts[f"{cost}_mean"].to_numpy(float)
    few = _few_exits_note(pts[f"{cost}_mean"], lang) if cost == "exits" else ""
    xs_all = np.sort(pd.to_numeric(pts[x]).unique()) if x is not None else np.array([])
    with slide_style(lang):
        fig, ax = new_figure()
        handles = []
        groups = _groups(pts, by)
        values = [v for v, _ in groups]
        # Few exits pile every point onto x = 0 or 1/3: set the groups side by side (drawn x only).
        dodge = {
            i: (i - (len(values) - 1) / 2) * _DODGE if few and len(values) > 1 else 0.0 for i in range(len(values))
        }
        shift = np.zeros(len(pts))
        for i, (value, sub) in enumerate(groups):
            shift[sub.index.to_numpy()] = dodge[i]
            st = group_style(by, value, i, values)
            cx, by_ = sub[f"{cost}_mean"].to_numpy(float) + dodge[i], sub[f"{benefit}_mean"].to_numpy(float)
            if _has_ci(sub, benefit):
                lo = np.clip(sub[f"{benefit}_ci_low"].to_numpy(float), 0, None)  # counts: never below 0
                yerr = np.abs(np.vstack([by_ - lo, sub[f"{benefit}_ci_high"].to_numpy(float) - by_]))
                xerr = None
                if not few and _has_ci(sub, cost):
                    clo = np.clip(sub[f"{cost}_ci_low"].to_numpy(float), 0, None)
                    xerr = np.abs(np.vstack([cx - clo, sub[f"{cost}_ci_high"].to_numpy(float) - cx]))
                    if not xerr.any():  # zero-width intervals: nothing to draw
                        xerr = None
                ax.errorbar(
                    cx,
                    by_,
                    xerr=xerr,
                    yerr=yerr,
                    fmt="none",
                    ecolor=st.color,
                    alpha=0.35,
                    elinewidth=1.0,
                    capsize=0,
                    zorder=2,
                    gid=f"{benefit}_vs_{cost}_ci:{value}",
                )
            size = _point_sizes(sub[x] if x is not None else None, xs_all) * (1.8 if st.marker == "*" else 1.0)
            sc = ax.scatter(
                cx,
                by_,
                s=size,
                color=st.color,
                marker=st.marker,
                edgecolors="white",
                linewidths=1.0,
                zorder=4,
                gid=f"{benefit}_vs_{cost}:{value}",
                alpha=0.95,
                label=group_label(by, value, lang, values) or label(benefit, lang),
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=st.marker,
                    color=st.color,
                    markersize=15 if st.marker == "*" else 11,
                    label=sc.get_label(),
                )
            )
        front = efficient_frontier(pts[f"{cost}_mean"], pts[f"{benefit}_mean"])
        fx = pts.loc[front, f"{cost}_mean"].to_numpy(float) + shift[front]
        fy = pts.loc[front, f"{benefit}_mean"].to_numpy(float)
        (fl,) = ax.plot(
            fx,
            fy,
            linestyle=(0, (5, 3)),
            color="#333333",
            linewidth=2,
            zorder=3,
            label=text("frontier", lang),
            gid="frontier",
        )
        handles.append(fl)
        _tradeoff_limits(
            ax,
            cmean,
            pts[f"{benefit}_mean"].to_numpy(float),
            few=bool(few),
            left=float(shift.min()) if len(shift) else 0.0,
        )
        count_axis(ax.xaxis, lang, integer=not few)
        count_axis(ax.yaxis, lang)
        # Only the frontier is labelled: those are the settings worth choosing between.
        if x is not None and len(front):
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
                        arrowprops={
                            "arrowstyle": "-",
                            "color": "#9a9a9a",
                            "linewidth": 0.8,
                            "shrinkA": 0,
                            "shrinkB": 6,
                        },
                        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
                        color=TEXT_COLOR,
                        fontweight="bold",
                        zorder=6,
                        gid="frontier_label",
                    )
                )
            _repel(fig, labels)
        ax.set_xlabel(text("exits_axis", lang) if cost == "exits" else label(cost, lang))
        ax.set_ylabel(label(benefit, lang))
        ax.grid(True, axis="both")
        # Outside the axes (right), so it never covers a point.
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            ncols=1,
            borderaxespad=0,
            frameon=False,
            handletextpad=0.5,
        )
        set_title(fig, title or text("title_tradeoff", lang))
        n = _replicates(pts)
        notes = [text("frontier_note", lang)]
        if x is not None and len(xs_all) > 1:
            notes.append(
                text(
                    "size_note",
                    lang,
                    x=param_short(x),
                    lo=format_value(xs_all[0], xs_all),
                    hi=format_value(xs_all[-1], xs_all),
                )
            )
        if n and n > 1:
            notes.append(text("reach_whiskers" if few else "ci_whiskers", lang, n=n))
        if few and any(dodge.values()):
            few = _join(few, text("dodged", lang, by=param_label(by, lang) if by else ""))
        notes += [few, _where_note(where, lang, table=points)]
        set_footer(fig, _join(*notes))
        return finish(fig)


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


def _tradeoff_limits(ax, cost: np.ndarray, benefit: np.ndarray, *, few: bool, left: float = 0.0) -> None:
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
    renderer = fig.canvas.get_renderer()

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


# ---------------------------------------------------------------------------
# 4. Cumulative reach over time
# ---------------------------------------------------------------------------

_LEVELS = (("reach", "-", 2.6), ("direct_reach", "-", 3.2), ("second_level_reach", (0, (4, 2)), 3.2))


def _panel_grid(n: int) -> tuple[int, int]:
    if n <= 3:
        return 1, n
    if n == 4:
        return 2, 2
    return (n + 2) // 3, 3


def plot_cumulative_reach(
    timeseries: pd.DataFrame,
    runs: pd.DataFrame | None = None,
    *,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    lang: str = "en",
    title: str | None = None,
    color: str | None = None,
) -> Figure:
    """Chart 4: cumulative reach over time, total, direct and second level.

    With ``runs`` (a sweep), runs are filtered by ``where`` (include the x value, e.g.
    ``{"behaviour.p0": 0.003}``) and grouped by ``by``: one panel per group, lines are the median
    over replicates and bands the 10-90% range. Without ``runs``, ``timeseries`` is one run's.
    """
    _require(timeseries, ["time_h", "reach", "direct_reach", "second_level_reach"], "plot_cumulative_reach")
    if runs is not None:
        _require(timeseries, ["run_id"], "plot_cumulative_reach")
        sel = filter_where(runs, where or {})
        groups = _groups(sel, by) if by else [(None, sel)]
        panels = [(v, timeseries[timeseries["run_id"].isin(g["run_id"])]) for v, g in groups]
        panels = [(v, t) for v, t in panels if not t.empty]
        if not panels:
            raise ValueError("plot_cumulative_reach: no runs match the selection")
    else:
        panels = [(None, timeseries.assign(run_id=0) if "run_id" not in timeseries else timeseries)]
    values = [v for v, _ in panels]
    with slide_style(lang):
        nrows, ncols = _panel_grid(len(panels))
        fig, axes = new_figure(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        replicates = 1
        handles: list = []
        for k, ax in enumerate(axes.flat):
            if k >= len(panels):
                ax.set_visible(False)
                continue
            value, ts = panels[k]
            st = group_style(by, value, k, values)
            base = color or st.color
            for metric, ls, lw in _LEVELS:
                wide = ts.pivot_table(index="time_h", columns="run_id", values=metric, aggfunc="first").sort_index()
                replicates = max(replicates, wide.shape[1])
                t = wide.index.to_numpy(float)
                c = "#333333" if metric == "reach" else base
                med = np.nanmedian(wide.to_numpy(float), axis=1)
                (line,) = ax.plot(
                    t,
                    med,
                    color=c,
                    linestyle=ls,
                    linewidth=lw,
                    gid=f"{metric}:{value}",
                    label=text("total_reach", lang) if metric == "reach" else label(metric, lang),
                    alpha=0.9 if metric == "reach" else 1.0,
                )
                if wide.shape[1] > 1:
                    lo, hi = np.nanpercentile(wide.to_numpy(float), [10, 90], axis=1)
                    ax.fill_between(t, lo, hi, color=c, alpha=0.15, linewidth=0, gid=f"{metric}_band:{value}")
                if k == 0:
                    handles.append(
                        Line2D(
                            [],
                            [],
                            color="#333333" if metric == "reach" else (base if len(panels) == 1 else NOTE_COLOR),
                            linestyle=ls,
                            linewidth=lw,
                            label=line.get_label(),
                        )
                    )
            if value is not None:
                ax.set_title(group_label(by, value, lang, values), loc="left", fontsize=20, color=st.color)
            count_axis(ax.yaxis, lang)
        # Limits once all panels are drawn: set_ylim freezes the shared autoscale.
        axes[0, 0].set_ylim(bottom=0)
        axes[0, 0].set_xlim(left=0)
        for ax in axes[:, 0]:
            ax.set_ylabel(label("reach", lang))
        # One x label under the bottom row's middle panel (fig.supxlabel would collide with the footer).
        last_row = (len(panels) - 1) // ncols
        visible = [c for c in range(ncols) if last_row * ncols + c < len(panels)]
        axes[last_row, visible[len(visible) // 2]].set_xlabel(text("path_time", lang))
        top_legend(axes[0, 0], handles, row=list(axes[0]))
        set_title(fig, title or text("title_timeline", lang))
        notes = []
        if replicates > 1:
            notes.append(text("median_band", lang, n=replicates))
        notes.append(_where_note(where, lang, table=runs))
        set_footer(fig, _join(*notes))
        return finish(fig)


# ---------------------------------------------------------------------------
# 5. Exposure-frequency distribution
# ---------------------------------------------------------------------------


def frequency_buckets(frequency: pd.DataFrame, threshold: int, max_bucket: int | None = None) -> pd.DataFrame:
    """People by times seen, ``1 .. K-1`` and ``K+`` (K = ``max_bucket``, default
    ``max(10, threshold + 2)``, lowered to the largest count seen); exposures 0 dropped.

    Returns columns ``exposures`` (lower bound), ``label`` ("1", ..., "10+") and ``followers``.
    """
    f = frequency[frequency["exposures"] > 0]
    seen = int(f.loc[f["followers"] > 0, "exposures"].max()) if (f["followers"] > 0).any() else 1
    if max_bucket is None:
        k = max(min(max(10, threshold + 2), seen), threshold + 1)
    else:  # a fixed number of buckets, e.g. shared by the groups of one chart
        k = max_bucket
    rows = []
    for e in range(1, k + 1):
        if e < k:
            n = f.loc[f["exposures"] == e, "followers"].sum()
            lab = str(e)
        else:
            n = f.loc[f["exposures"] >= e, "followers"].sum()
            lab = f"{e}+" if seen > e else str(e)
        rows.append({"exposures": e, "label": lab, "followers": int(n)})
    return pd.DataFrame(rows)


def plot_frequency(
    frequency: pd.DataFrame,
    *,
    threshold: int,
    runs: pd.DataFrame | None = None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    lang: str = "en",
    title: str | None = None,
    color: str | None = None,
) -> Figure:
    """Chart 5: how many people saw the campaign 1, 2, 3, ... times; ``threshold`` (effective
    reach, e.g. 3) is marked and the bars at or above it are highlighted.

    ``frequency`` is one run's table (``exposures``, ``followers``), or with ``runs`` a sweep's
    (``run_id`` added): then bars are grouped by ``by`` and show the median over the replicates
    selected by ``where``.
    """
    _require(frequency, ["exposures", "followers"], "plot_frequency")
    if runs is not None:
        sel = filter_where(runs, where or {})
        groups = _groups(sel, by) if by else [(None, sel)]
        tables = []
        for v, g in groups:
            f = frequency[frequency["run_id"].isin(g["run_id"])]
            if f.empty:
                continue
            wide = f.pivot_table(index="exposures", columns="run_id", values="followers", aggfunc="sum", fill_value=0)
            tables.append((v, pd.DataFrame({"exposures": wide.index, "followers": wide.median(axis=1).to_numpy()})))
    else:
        tables = [(None, frequency)]
    if not tables:
        raise ValueError("plot_frequency: no runs match the selection")
    seen = max(
        int(t.loc[t["followers"] > 0, "exposures"].max()) if (t["followers"] > 0).any() else 1 for _, t in tables
    )
    k = max(min(max(10, threshold + 2), seen), threshold + 1)
    buckets = [(v, frequency_buckets(t, threshold, k)) for v, t in tables]
    values = [v for v, _ in buckets]
    with slide_style(lang):
        fig, ax = new_figure()
        n = len(buckets)
        width = 0.8 / n
        pos = np.arange(1, k + 1, dtype=float)
        handles = []
        for i, (value, b) in enumerate(buckets):
            st = group_style(by, value, i, values)
            base = color or (st.color if by else "#0072B2")
            y = b["followers"].to_numpy(float)
            effective = b["exposures"].to_numpy() >= threshold
            colors = [base if e else mpl.colors.to_hex(_lighten(base, 0.55)) for e in effective]
            xs = pos - 0.4 + width * (i + 0.5)
            bars = ax.bar(
                xs,
                y,
                width=width * 0.92,
                color=colors,
                gid=f"frequency:{value}",
                label=group_label(by, value, lang, values) if by else None,
            )
            if n <= 2:
                ax.bar_label(
                    bars,
                    labels=[format_count(v, lang) if v else "" for v in y],
                    padding=3,
                    fontsize=14,
                    color=TEXT_COLOR,
                )
            handles.append(Patch(color=base, label=group_label(by, value, lang, values)))
        labels = [str(e) for e in range(1, k)] + [f"{k}+" if seen > k else str(k)]
        ax.set_xticks(pos, labels=labels)
        ax.set_xlabel(text("times_seen", lang))
        ax.set_ylabel(text("people", lang))
        count_axis(ax.yaxis, lang)
        ax.set_xlim(0.4, k + 0.6)
        ax.axvline(threshold - 0.5, color="#333333", linestyle=(0, (5, 3)), linewidth=2, gid="threshold")
        if n == 1:
            b = buckets[0][1]
            reached = b["followers"].sum()
            eff = b.loc[b["exposures"] >= threshold, "followers"].sum()
            note = text(
                "effective_line",
                lang,
                k=threshold,
                n=format_count(eff, lang),
                share=format_percent(eff / reached if reached else 0, 0, lang),
            )
        else:
            note = text("at_or_above", lang, k=threshold)
            top_legend(ax, handles)
        ax.annotate(
            note,
            xy=(threshold - 0.5, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(10, -6),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=16,
            color=TEXT_COLOR,
            gid="threshold_label",
        )
        ax.set_ylim(top=ax.get_ylim()[1] * 1.12)  # headroom for the threshold note
        set_title(fig, title or text("title_frequency", lang))
        notes = []
        if runs is not None:
            reps = max(len(filter_where(runs, where or {})) // max(1, len(buckets)), 1)
            if reps > 1:
                notes.append(text("median_bars", lang, n=reps))
            notes.append(_where_note(where, lang, table=runs))
        set_footer(fig, _join(*notes))
        return finish(fig)


def _lighten(color: str, amount: float) -> tuple[float, float, float]:
    r, g, b = mpl.colors.to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def plot_effective_reach(
    points: pd.DataFrame,
    *,
    threshold: int,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    lang: str = "en",
    title: str | None = None,
) -> Figure:
    """Chart 5 for sweeps without a frequency table: reach split into people reached fewer than
    ``threshold`` times and at least ``threshold`` times (effective reach), one bar per group,
    with the mean frequency (impressions / reach) written next to each bar."""
    _require(points, ["reach_mean", "effective_reach_mean"], "plot_effective_reach")
    pts = filter_where(points, where or {})
    groups = _groups(pts, by)
    values = [v for v, _ in groups]
    with slide_style(lang):
        fig, ax = new_figure()
        names, eff, below, freq, colors = [], [], [], [], []
        for i, (value, sub) in enumerate(groups):
            if sub.empty:
                continue
            st = group_style(by, value, i, values)
            names.append(group_label(by, value, lang, values) or label("reach", lang))
            e = float(sub["effective_reach_mean"].iloc[0])
            r = float(sub["reach_mean"].iloc[0])
            eff.append(e)
            below.append(r - e)
            freq.append(float(sub["mean_frequency_mean"].iloc[0]) if "mean_frequency_mean" in sub else np.nan)
            colors.append(st.color)
        y = np.arange(len(names))[::-1]
        ax.barh(y, eff, color=colors, height=0.62, gid="effective_reach", label=text("at_or_above", lang, k=threshold))
        ax.barh(
            y,
            below,
            left=eff,
            color=[_lighten(c, 0.6) for c in colors],
            height=0.62,
            gid="below_threshold",
            label=text("below_threshold", lang, k=threshold),
        )
        for yi, e, b, f in zip(y, eff, below, freq):
            share = e / (e + b) if e + b else 0
            ax.text(
                e / 2,
                yi,
                format_percent(share, 0, lang),
                ha="center",
                va="center",
                color="white",
                fontsize=16,
                fontweight="bold",
            )
            note = format_count(e + b, lang)
            if np.isfinite(f):
                note += "  (" + text("mean_frequency", lang, f=f) + ")"
            ax.text(e + b, yi, "  " + note, ha="left", va="center", fontsize=15, color=TEXT_COLOR)
        ax.set_yticks(y, labels=names)
        count_axis(ax.xaxis, lang)
        ax.set_xlabel(label("reach", lang))
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        ax.margins(x=0.18)
        ax.set_xlim(left=0)
        legend_handles = [
            Patch(color="#555555", label=text("at_or_above", lang, k=threshold)),
            Patch(color=_lighten("#555555", 0.6), label=text("below_threshold", lang, k=threshold)),
        ]
        top_legend(ax, legend_handles)
        set_title(fig, title or text("title_frequency", lang))
        set_footer(fig, _where_note(where, lang, table=points))
        return finish(fig)


# ---------------------------------------------------------------------------
# 6. Per-account contribution
# ---------------------------------------------------------------------------


def top_accounts(accounts: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """The ``top`` accounts by first exposures caused (``first_exposures_total``), largest first."""
    return accounts.sort_values(["first_exposures_total", "relays"], ascending=False, kind="stable").head(top)


def plot_account_contribution(
    accounts: pd.DataFrame,
    *,
    top: int = 15,
    lang: str = "en",
    title: str | None = None,
) -> Figure:
    """Chart 6: for the ``top`` accounts (by first exposures caused): first exposures caused
    (by its own deliveries, plus via followers' reposts), relays published, and net audience
    change (-(unfollows + churn)), as three aligned bar panels coloured by account kind."""
    _require(
        accounts,
        ["handle", "kind", "first_exposures_direct", "first_exposures_total", "relays", "net_audience_change"],
        "plot_account_contribution",
    )
    rows = top_accounts(accounts, top)
    n = len(rows)
    with slide_style(lang):
        fig, (a1, a2, a3) = new_figure(1, 3, sharey=True, gridspec_kw={"width_ratios": [2.2, 1, 1]})
        y = np.arange(n)[::-1]
        colors = [color_for_kind(k) for k in rows["kind"]]
        direct = rows["first_exposures_direct"].to_numpy(float)
        total = rows["first_exposures_total"].to_numpy(float)
        a1.barh(y, direct, color=colors, height=0.7, gid="first_exposures_direct")
        a1.barh(
            y,
            total - direct,
            left=direct,
            color=[_lighten(c, 0.6) for c in colors],
            height=0.7,
            gid="first_exposures_via_reposts",
        )
        for yi, t in zip(y, total):
            a1.text(t, yi, " " + format_count(t, lang), va="center", ha="left", fontsize=13, color=TEXT_COLOR)
        a2.barh(y, rows["relays"].to_numpy(float), color=colors, height=0.7, gid="relays")
        net = rows["net_audience_change"].to_numpy(float)
        a3.barh(y, net, color=colors, height=0.7, gid="net_audience_change")
        a3.axvline(0, color="#333333", linewidth=1.2)
        a1.set_yticks(y, labels=rows["handle"].astype(str).tolist())
        a1.tick_params(axis="y", labelsize=14 if n > 12 else 16)
        for ax, key in ((a1, "first_exposures_panel"), (a2, "relays_panel"), (a3, "net_change_panel")):
            ax.set_title(text(key, lang), loc="left", fontsize=18)
            count_axis(ax.xaxis, lang)
            ax.grid(True, axis="x")
            ax.grid(False, axis="y")
            ax.tick_params(axis="x", labelsize=14)
        a1.margins(x=0.12)
        a2.set_xlim(left=0)
        a2.xaxis.get_major_locator().set_params(integer=True)
        if net.min() >= 0:
            a3.set_xlim(-1, 1)
        else:
            a3.set_xlim(net.min() * 1.15, max(0.0, net.max()) + abs(net.min()) * 0.1)
        kinds = list(dict.fromkeys(rows["kind"]))
        handles = [Patch(color=color_for_kind(k), label=label(k, lang) if k in _KIND_KEYS else k) for k in kinds]
        handles.append(Patch(color=_lighten("#555555", 0.6), label=text("via_reposts_part", lang)))
        top_legend(a1, handles, row=[a1, a2, a3], fontsize=15)
        set_title(fig, title or text("title_accounts", lang, n=n))
        return finish(fig)


_KIND_KEYS = ("official", "sub_brand", "regional", "executive", "employee", "vertical", "other")
