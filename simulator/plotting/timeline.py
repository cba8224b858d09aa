"""Chart 4: cumulative reach over time (total, direct, second level)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator.plotting._figure import (
    NOTE_COLOR,
    count_axis,
    finish,
    group_style,
    new_figure,
    set_footer,
    set_title,
    top_legend,
)
from simulator.plotting._tables import (
    join_notes,
    require,
    split_groups,
    where_note,
)
from simulator.plotting.data import filter_where
from simulator.plotting.labels import label, text
from simulator.plotting.names import group_label
from simulator.plotting.style import slide_style

#: (metric, line style, width): total reach solid and dark, direct reach dotted in the option's
#: colour, second-level reach dashed, so the three stay apart in the legend and in grey print.
_LEVELS: tuple[tuple[str, Any, float], ...] = (
    ("reach", "-", 3.2),
    ("direct_reach", (0, (1, 1.6)), 3.2),
    ("second_level_reach", (0, (5, 2.5)), 2.6),
)
_TOTAL_COLOR = "#222222"
_POST_COLOR = "#6b6b6b"


def _panel_grid(n: int) -> tuple[int, int]:
    if n <= 3:
        return 1, n
    if n == 4:
        return 2, 2
    return (n + 2) // 3, 3


def post_times(timeseries: pd.DataFrame) -> list[float]:
    """Hours at which original posts were published, read from the cumulative ``account_posts``
    column: a post counted at the tick ending at ``t`` was published in the tick before it, so
    its time is the previous tick's ``time_h`` (a post at 0 h shows at 0). Empty without it."""
    if "account_posts" not in timeseries.columns:
        return []
    times: set[float] = set()
    groups = timeseries.groupby("run_id") if "run_id" in timeseries.columns else [(0, timeseries)]
    for _, ts in groups:
        ts = ts.sort_values("time_h")
        t = ts["time_h"].to_numpy(float)
        posted = np.diff(ts["account_posts"].to_numpy(float), prepend=0.0) > 0
        start = np.r_[0.0, t[:-1]]
        times.update(float(v) for v in start[posted])
    return sorted(times)


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
    """Chart 4: cumulative reach over time, total, direct and second level, with the post times
    marked (small triangles on the time axis, from the ``account_posts`` column).

    With ``runs`` (a sweep), runs are filtered by ``where`` (include the x value, e.g.
    ``{"behaviour.p0": 0.003}``) and grouped by ``by``: one panel per group, lines are the median
    over replicates and bands the 10-90% range. Without ``runs``, ``timeseries`` is one run's.
    """
    require(timeseries, ["time_h", "reach", "direct_reach", "second_level_reach"], "plot_cumulative_reach")
    panels = _timeline_panels(timeseries, runs, by, where)
    values = [v for v, _ in panels]
    with slide_style(lang):
        nrows, ncols = _panel_grid(len(panels))
        fig, axes = new_figure(nrows, ncols, sharex=True, sharey=True, squeeze=False)
        replicates = 1
        for k, ax in enumerate(axes.flat):
            if k >= len(panels):
                ax.set_visible(False)
                continue
            value, ts = panels[k]
            st = group_style(by, value, k, values)
            replicates = max(replicates, _draw_panel(ax, ts, color or st.color, str(value), lang))
            if value is not None:
                ax.set_title(group_label(by, value, lang, values), loc="left", fontsize=20, color=st.color)
            count_axis(ax.yaxis, lang, integer=True)
        _timeline_axes(axes, len(panels), lang)
        base = color or group_style(by, values[0], 0, values).color
        top_legend(axes[0, 0], _timeline_legend(lang, base if len(panels) == 1 else NOTE_COLOR), row=list(axes[0]))
        set_title(fig, title or text("title_timeline", lang))
        notes = [text("post_markers", lang)]
        if replicates > 1:
            notes.append(text("median_band", lang, n=replicates))
        notes.append(where_note(where, lang, table=runs))
        set_footer(fig, join_notes(*notes))
        return finish(fig)


def _timeline_panels(
    timeseries: pd.DataFrame, runs: pd.DataFrame | None, by: str | None, where: Mapping[str, Any] | None
) -> list[tuple[Any, pd.DataFrame]]:
    """One (group, timeseries) per panel: the run itself, or the selected runs of each group."""
    if runs is None:
        return [(None, timeseries.assign(run_id=0) if "run_id" not in timeseries else timeseries)]
    require(timeseries, ["run_id"], "plot_cumulative_reach")
    sel = filter_where(runs, where or {})
    groups = split_groups(sel, by) if by else [(None, sel)]
    panels = [(v, timeseries[timeseries["run_id"].isin(g["run_id"])]) for v, g in groups]
    panels = [(v, t) for v, t in panels if not t.empty]
    if not panels:
        raise ValueError("plot_cumulative_reach: no runs match the selection")
    return panels


def _draw_panel(ax: Axes, ts: pd.DataFrame, base: str, value: str, lang: str) -> int:
    """The three reach levels (median over runs, 10-90% band) and the post markers of one
    panel; returns the number of runs drawn."""
    replicates = 1
    for metric, ls, lw in _LEVELS:
        wide = ts.pivot_table(index="time_h", columns="run_id", values=metric, aggfunc="first").sort_index()
        replicates = max(replicates, wide.shape[1])
        t = wide.index.to_numpy(float)
        c = _TOTAL_COLOR if metric == "reach" else base
        med = np.nanmedian(wide.to_numpy(float), axis=1)
        ax.plot(t, med, color=c, linestyle=ls, linewidth=lw, gid=f"{metric}:{value}", label=_level_name(metric, lang))
        if wide.shape[1] > 1:
            lo, hi = np.nanpercentile(wide.to_numpy(float), [10, 90], axis=1)
            ax.fill_between(t, lo, hi, color=c, alpha=0.15, linewidth=0, gid=f"{metric}_band:{value}")
    for h in post_times(ts):
        ax.plot(
            [h],
            [0.0],
            marker="^",
            markersize=13,
            color=_POST_COLOR,
            linestyle="none",
            transform=ax.get_xaxis_transform(),  # x in data, y on the axes: sits on the time axis
            clip_on=False,
            zorder=5,
            gid=f"post:{value}",
        )
    return replicates


def _level_name(metric: str, lang: str) -> str:
    return text("total_reach", lang) if metric == "reach" else label(metric, lang)


def _timeline_legend(lang: str, base: str) -> list[Line2D]:
    """Legend entries with the line styles of the panels (and the post marker)."""
    handles = [
        Line2D(
            [], [], color=_TOTAL_COLOR if m == "reach" else base, linestyle=ls, linewidth=lw, label=_level_name(m, lang)
        )
        for m, ls, lw in _LEVELS
    ]
    handles.append(
        Line2D([], [], marker="^", markersize=12, color=_POST_COLOR, linestyle="none", label=text("post_time", lang))
    )
    return handles


def _timeline_axes(axes: np.ndarray, n_panels: int, lang: str) -> None:
    """Shared limits, y labels on the left column, one x label, and tick labels on every panel
    at the bottom of its column (shared axes hide them on panels above an empty slot)."""
    # Limits once all panels are drawn: set_ylim freezes the shared autoscale.
    axes[0, 0].set_ylim(bottom=0)
    axes[0, 0].set_xlim(left=0)
    nrows, ncols = axes.shape
    for ax in axes[:, 0]:
        ax.set_ylabel(label("reach", lang))
    for c in range(ncols):
        bottom = max(r for r in range(nrows) if r * ncols + c < n_panels) if c < n_panels else 0
        axes[bottom, c].tick_params(axis="x", labelbottom=True)
    # One x label under the bottom row's middle panel (fig.supxlabel would collide with the footer).
    last_row = (n_panels - 1) // ncols
    visible = [c for c in range(ncols) if last_row * ncols + c < n_panels]
    axes[last_row, visible[len(visible) // 2]].set_xlabel(text("time_since_start", lang))
