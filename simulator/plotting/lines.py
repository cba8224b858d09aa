"""Charts 1-2: reach, fatigue and campaign-caused exits against a swept parameter, one line per
option, with the 95% confidence band of the mean clipped to what is possible (0..population
people, 0..100%). The plausible range of the x parameter (a calibrated behaviour profile) is
shaded when known; a metric whose differences are not measurable is said in words instead of
drawn as a zig-zag of noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator.plotting._figure import (
    NOTE_COLOR,
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
    has_ci,
    join_notes,
    n_replicates,
    require,
    split_groups,
    where_note,
)
from simulator.plotting.compare import clip_to_bounds
from simulator.plotting.data import filter_where
from simulator.plotting.formatters import percent_formatter
from simulator.plotting.labels import label, text
from simulator.plotting.names import group_label, param_label
from simulator.plotting.style import slide_style
from simulator.plotting.words import small_level

__all__ = ["plot_fatigue", "plot_reach"]

_PLAUSIBLE_COLOR = "#D9D9D9"


def _population(sub: pd.DataFrame) -> Any:
    """The population of each point (the bound of counts of people), or None if unknown."""
    return sub["population_mean"].to_numpy(float) if "population_mean" in sub.columns else None


def _metric_lines(
    ax: Axes,
    points: pd.DataFrame,
    *,
    x: str,
    by: str | None,
    metric: str,
    lang: str,
    end_labels: list | None = None,
) -> list[Line2D]:
    """One line (mean) + clipped 95% CI band per group; returns the lines for a legend."""
    lines = []
    groups = split_groups(points, by)
    values = [v for v, _ in groups]
    for i, (value, sub) in enumerate(groups):
        sub = sub.sort_values(x, key=lambda s: pd.to_numeric(s))
        xv = pd.to_numeric(sub[x]).to_numpy(float)
        y = sub[f"{metric}_mean"].to_numpy(float)
        st = group_style(by, value, i, values)
        name = group_label(by, value, lang, values) or label(metric, lang)
        size = 14 if st.marker == "*" else 9
        (line,) = ax.plot(
            xv, y, color=st.color, marker=st.marker, markersize=size, label=name, gid=f"{metric}:{value}", zorder=3
        )
        lines.append(line)
        if has_ci(sub, metric):
            lo, hi = clip_to_bounds(
                sub[f"{metric}_ci_low"].to_numpy(float),
                sub[f"{metric}_ci_high"].to_numpy(float),
                metric,
                _population(sub),
            )
            alpha = BAND_ALPHA if len(groups) <= 3 else BAND_ALPHA * 0.65
            ax.fill_between(xv, lo, hi, color=st.color, alpha=alpha, linewidth=0, gid=f"{metric}_ci:{value}", zorder=2)
        if end_labels is not None and len(xv):
            end_labels.append((xv[-1], y[-1], name, st.color))
    return lines


def _plausible_band(ax: Axes, plausible: tuple[float, float] | None, name: str, lang: str) -> str:
    """Shade the plausible range of x; returns the footer note (empty when there is none)."""
    if plausible is None:
        return ""
    lo, hi = plausible
    ax.axvspan(lo, hi, color=_PLAUSIBLE_COLOR, alpha=0.55, linewidth=0, zorder=0, gid="plausible")
    ax.annotate(
        text("plausible_label", lang),
        xy=((lo * hi) ** 0.5 if ax.get_xscale() == "log" else (lo + hi) / 2, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),  # just above the plot area: never over a line
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=14,
        color=NOTE_COLOR,
        gid="plausible_label",
    )
    return text("plausible_note", lang, profile=name or "–")


def plot_reach(
    points: pd.DataFrame,
    *,
    x: str,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    metric: str = "reach",
    lang: str = "en",
    title: str | None = None,
    plausible: tuple[float, float] | None = None,
    profile: str = "",
) -> Figure:
    """Chart 1: mean ``metric`` (default reach) against swept parameter ``x``, one line per
    ``by`` value, with the 95% confidence band of the mean (clipped to 0..population), labelled
    at the line ends.

    Args:
        points: the sweep's points table (one row per parameter point, ``M_mean``/``M_ci_*``).
        x: numeric swept parameter on the x axis (e.g. ``"behaviour.p0"``).
        by: column giving one line per value (e.g. ``"topology"``); ``None`` for one line.
        where: other swept parameters held fixed, ``{path: value}``.
        metric: metric name (``reach``, ``direct_reach``, ``effective_reach``...).
        plausible: ``(low, high)`` of ``x`` consistent with a calibrated behaviour profile
            (``profile``), shaded behind the lines.
    """
    require(points, [x, f"{metric}_mean"] + ([by] if by else []), "plot_reach")
    pts = filter_where(points, where or {})
    with slide_style(lang):
        fig, ax = new_figure()
        ends: list = []
        _metric_lines(ax, pts, x=x, by=by, metric=metric, lang=lang, end_labels=ends if by else None)
        setup_param_axis(ax, pd.to_numeric(pts[x]), capitalise(param_label(x, lang)))
        band_note = _plausible_band(ax, plausible, profile, lang)
        ax.set_ylim(bottom=0)
        count_axis(ax.yaxis, lang, integer=True)
        ax.set_ylabel(label(metric, lang))
        set_title(fig, title or text("title_reach", lang, x=param_label(x, lang)))
        n = n_replicates(pts)
        ci = text("ci_band", lang, n=n) if n and n > 1 else ""
        levels = text("levels_note", lang) if by and ci else ""
        set_footer(fig, join_notes(ci, band_note, levels, where_note(where, lang, table=points)))
        if by:
            label_line_ends(fig, ax, ends)
        return finish(fig)


def plot_fatigue(
    points: pd.DataFrame,
    *,
    x: str,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    lang: str = "en",
    title: str | None = None,
    no_effect: Sequence[str] = (),
    plausible: tuple[float, float] | None = None,
    profile: str = "",
) -> Figure:
    """Chart 2: fatigue (share of reached people over their tolerance) and exits caused by the
    campaign (mutes + unfollows; baseline churn is not counted) against ``x``, side by side, one
    line per ``by`` value, 95% CI bands. A metric listed in ``no_effect`` (decided by
    :meth:`~simulator.plotting.compare.Comparisons.measurable`) is a sentence, not lines."""
    require(points, [x, "fatigue_share_mean", "exits_mean"], "plot_fatigue")
    pts = filter_where(points, where or {})
    with slide_style(lang):
        fig, (ax1, ax2) = new_figure(1, 2)
        lines: list[Line2D] = []
        xlabel = capitalise(param_label(x, lang))
        for ax, metric in ((ax1, "fatigue_share"), (ax2, "exits")):
            ax.set_title(
                text("fatigue_share_axis" if metric == "fatigue_share" else "exits_short", lang),
                loc="left",
                fontsize=20,
            )
            if metric in no_effect:
                _no_effect_panel(ax, pts, metric, lang)
                continue
            drawn = _metric_lines(ax, pts, x=x, by=by, metric=metric, lang=lang)
            lines = lines or drawn
            setup_param_axis(ax, pd.to_numeric(pts[x]), xlabel)
            _plausible_band(ax, plausible, profile, lang)
            ax.set_ylim(bottom=0)
            if not (pts[f"{metric}_mean"].abs() > 0).any():  # all zero: a readable empty scale
                ax.set_ylim(0, 0.01 if metric == "fatigue_share" else 1)
        if "fatigue_share" not in no_effect:
            ax1.yaxis.set_major_formatter(percent_formatter(0, lang))
        if "exits" not in no_effect:
            count_axis(ax2.yaxis, lang, integer=True)
        if by and lines:
            top_legend(ax1, lines, row=[ax1, ax2])
        set_title(fig, title or text("title_fatigue", lang, x=param_label(x, lang)))
        n = n_replicates(pts)
        notes = [text("ci_band", lang, n=n) if n and n > 1 else "", text("exits_definition", lang)]
        if no_effect:
            notes.append(text("no_effect_rule", lang))
        set_footer(fig, join_notes(*notes, where_note(where, lang, table=points)))
        return finish(fig)


def _no_effect_panel(ax: Axes, pts: pd.DataFrame, metric: str, lang: str) -> None:
    """The sentence that replaces the lines of a metric with no measurable effect."""
    means = pts[f"{metric}_mean"].to_numpy(float)
    means = means[np.isfinite(means)]
    level = small_level(float(np.median(means)) if len(means) else float("nan"), metric, lang)
    ax.text(
        0.5,
        0.5,
        text("no_effect_sentence", lang, level=level),
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=18,
        color=NOTE_COLOR,
        wrap=True,
        gid=f"no_effect:{metric}",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
