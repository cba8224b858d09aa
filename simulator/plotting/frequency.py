"""Chart 5: how often people saw the campaign, and effective reach."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from simulator.plotting._figure import (
    NOTE_COLOR,
    TEXT_COLOR,
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
    lighten,
    require,
    split_groups,
    where_note,
)
from simulator.plotting.data import filter_where
from simulator.plotting.formatters import format_count, format_percent
from simulator.plotting.labels import label, text
from simulator.plotting.names import group_label
from simulator.plotting.palette import TOPOLOGY_COLORS
from simulator.plotting.style import slide_style


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
    require(frequency, ["exposures", "followers"], "plot_frequency")
    tables = _frequency_tables(frequency, runs, by, where)
    seen = max(
        int(t.loc[t["followers"] > 0, "exposures"].max()) if (t["followers"] > 0).any() else 1 for _, t in tables
    )
    k = max(min(max(10, threshold + 2), seen), threshold + 1)
    buckets = [(v, frequency_buckets(t, threshold, k)) for v, t in tables]
    with slide_style(lang):
        fig, ax = new_figure()
        handles = _frequency_bars(ax, buckets, threshold, by=by, lang=lang, color=color)
        labels = [str(e) for e in range(1, k)] + [f"{k}+" if seen > k else str(k)]
        ax.set_xticks(np.arange(1, k + 1, dtype=float), labels=labels)
        ax.set_xlabel(text("times_seen", lang))
        ax.set_ylabel(text("people", lang))
        count_axis(ax.yaxis, lang, integer=True)
        ax.set_xlim(0.4, k + 0.6)
        if len(buckets) > 1:
            top_legend(ax, handles)
        _threshold_marker(ax, buckets, threshold, lang)
        set_title(fig, title or text("title_frequency", lang))
        notes = []
        if runs is not None:
            reps = max(len(filter_where(runs, where or {})) // max(1, len(buckets)), 1)
            if reps > 1:
                notes.append(text("median_bars", lang, n=reps))
            notes.append(where_note(where, lang, table=runs))
        set_footer(fig, join_notes(*notes))
        return finish(fig)


def _frequency_tables(
    frequency: pd.DataFrame, runs: pd.DataFrame | None, by: str | None, where: Mapping[str, Any] | None
) -> list[tuple[Any, pd.DataFrame]]:
    """One (group, table) per group: the run's table, or the median over a sweep's selected runs."""
    if runs is None:
        return [(None, frequency)]
    sel = filter_where(runs, where or {})
    tables = []
    for v, g in split_groups(sel, by) if by else [(None, sel)]:
        f = frequency[frequency["run_id"].isin(g["run_id"])]
        if f.empty:
            continue
        wide = f.pivot_table(index="exposures", columns="run_id", values="followers", aggfunc="sum", fill_value=0)
        tables.append((v, pd.DataFrame({"exposures": wide.index, "followers": wide.median(axis=1).to_numpy()})))
    if not tables:
        raise ValueError("plot_frequency: no runs match the selection")
    return tables


def _frequency_bars(
    ax: Axes, buckets: list[tuple[Any, pd.DataFrame]], threshold: int, *, by: str | None, lang: str, color: str | None
) -> list[Patch]:
    """Grouped bars, lighter below the threshold; returns legend handles (one per group)."""
    values = [v for v, _ in buckets]
    n = len(buckets)
    width = 0.8 / n
    pos = np.arange(1, len(buckets[0][1]) + 1, dtype=float)
    handles = []
    for i, (value, b) in enumerate(buckets):
        st = group_style(by, value, i, values)
        base = color or (st.color if by else TOPOLOGY_COLORS["centralized"])
        y = b["followers"].to_numpy(float)
        effective = b["exposures"].to_numpy() >= threshold
        colors = [base if e else mpl.colors.to_hex(lighten(base, 0.55)) for e in effective]
        name = group_label(by, value, lang, values) if by else None
        bars = ax.bar(
            pos - 0.4 + width * (i + 0.5),
            y,
            width=width * 0.92,
            color=colors,
            edgecolor=base,
            linewidth=1.0,
            gid=f"frequency:{value}",
        )
        if n <= 2:
            labels = [format_count(v, lang) if v else "" for v in y]
            ax.bar_label(bars, labels=labels, padding=3, fontsize=14, color=TEXT_COLOR)
        handles.append(Patch(color=base, label=name or ""))
    return handles


def _threshold_marker(ax: Axes, buckets: list[tuple[Any, pd.DataFrame]], threshold: int, lang: str) -> None:
    """The dashed effective-reach threshold and its note (one run: the effective reach itself)."""
    ax.axvline(threshold - 0.5, color="#333333", linestyle=(0, (5, 3)), linewidth=2, gid="threshold")
    if len(buckets) == 1:
        b = buckets[0][1]
        reached = b["followers"].sum()
        eff = b.loc[b["exposures"] >= threshold, "followers"].sum()
        share = format_percent(eff / reached if reached else 0, 0, lang)
        note = text("effective_line", lang, k=threshold, n=format_count(eff, lang), share=share)
    else:
        note = text("at_or_above", lang, k=threshold)
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
    require(points, ["reach_mean", "effective_reach_mean"], "plot_effective_reach")
    rows = _effective_rows(filter_where(points, where or {}), by, lang)
    with slide_style(lang):
        fig, ax = new_figure()
        y = np.arange(len(rows))[::-1]
        eff = [r["effective"] for r in rows]
        below = [r["reach"] - r["effective"] for r in rows]
        colors = [r["color"] for r in rows]
        ax.barh(y, eff, color=colors, height=0.62, gid="effective_reach")
        light = [lighten(c, 0.6) for c in colors]
        ax.barh(y, below, left=eff, color=light, height=0.62, gid="below_threshold")
        widest = max((r["reach"] for r in rows), default=0.0)
        for yi, r in zip(y, rows):
            share = r["effective"] / r["reach"] if r["reach"] else 0
            kw: dict[str, Any] = {"va": "center", "fontweight": "bold"}
            if r["effective"] >= 0.08 * widest:  # inside the dark bar
                ax.text(
                    r["effective"] / 2,
                    yi,
                    format_percent(share, 0, lang),
                    fontsize=16,
                    ha="center",
                    color="white",
                    **kw,
                )
            else:  # too narrow to hold it: just right of it, on the light bar, so it never covers the axis labels
                ax.text(
                    r["effective"],
                    yi,
                    " " + format_percent(share, 0, lang),
                    fontsize=16,
                    ha="left",
                    color=TEXT_COLOR,
                    **kw,
                )
            note = format_count(r["reach"], lang)
            if np.isfinite(r["frequency"]):
                note += "  (" + text("mean_frequency_note", lang, f=r["frequency"]) + ")"
            ax.text(r["reach"], yi, "  " + note, ha="left", va="center", fontsize=15, color=TEXT_COLOR)
        ax.set_yticks(y, labels=[r["name"] for r in rows])
        count_axis(ax.xaxis, lang)
        ax.set_xlabel(label("reach", lang))
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        ax.margins(x=0.18)
        ax.set_xlim(left=0)
        legend_handles = [
            Patch(color=NOTE_COLOR, label=text("at_or_above", lang, k=threshold)),
            Patch(color=lighten(NOTE_COLOR, 0.6), label=text("below_threshold", lang, k=threshold)),
        ]
        top_legend(ax, legend_handles)
        set_title(fig, title or text("title_frequency", lang))
        set_footer(fig, where_note(where, lang, table=points))
        return finish(fig)


def _effective_rows(pts: pd.DataFrame, by: str | None, lang: str) -> list[dict[str, Any]]:
    """Name, colour, mean reach, mean effective reach and mean frequency of each group."""
    groups = split_groups(pts, by)
    values = [v for v, _ in groups]
    rows = []
    for i, (value, sub) in enumerate(groups):
        if sub.empty:
            continue
        r = sub.iloc[0]
        rows.append(
            {
                "name": group_label(by, value, lang, values) or label("reach", lang),
                "color": group_style(by, value, i, values).color,
                "reach": float(r["reach_mean"]),
                "effective": float(r["effective_reach_mean"]),
                "frequency": float(r["mean_frequency_mean"]) if "mean_frequency_mean" in r else np.nan,
            }
        )
    return rows
