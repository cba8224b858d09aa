"""Charts 1-2: reach, fatigue and exits against a swept parameter, one line per option."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator.plotting._figure import (
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
from simulator.plotting._tables import (
    BAND_ALPHA,
    few_exits_note,
    has_ci,
    join_notes,
    n_replicates,
    require,
    split_groups,
    where_note,
)
from simulator.plotting.data import filter_where
from simulator.plotting.formatters import percent_formatter
from simulator.plotting.labels import label, text
from simulator.plotting.names import group_label, param_label
from simulator.plotting.style import slide_style


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
    groups = split_groups(points, by)
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
        if bands and has_ci(sub, metric):
            ax.fill_between(
                xv,
                sub[f"{metric}_ci_low"].to_numpy(float),
                sub[f"{metric}_ci_high"].to_numpy(float),
                color=st.color,
                alpha=BAND_ALPHA if len(groups) <= 3 else BAND_ALPHA * 0.65,
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
    require(points, [x, f"{metric}_mean"] + ([by] if by else []), "plot_reach")
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
        n = n_replicates(pts)
        set_footer(
            fig, join_notes(text("ci_band", lang, n=n) if n and n > 1 else "", where_note(where, lang, table=points))
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
    require(points, [x, "fatigue_share_mean", "exits_mean"], "plot_fatigue")
    pts = filter_where(points, where or {})
    exits_note = few_exits_note(pts["exits_mean"], lang)
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
        n = n_replicates(pts)
        set_footer(
            fig,
            join_notes(
                text("ci_band", lang, n=n) if n and n > 1 else "", exits_note, where_note(where, lang, table=points)
            ),
        )
        return finish(fig)
