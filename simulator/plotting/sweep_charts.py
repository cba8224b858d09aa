"""The charts, takeaways and recommendation of a sweep folder, all from one set of comparisons.

Two :class:`~simulator.plotting.compare.Comparisons` are built once: the *decision* set (the
options a strategist chooses between, at one value of the behaviour parameters) for rankings,
the difference chart, the frontier and the recommendation, and the *points* set (every point a
line chart draws) for "no measurable effect". Every chart and sentence reads them, so one rule
decides every claim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulator.plotting import takeaways as T
from simulator.plotting._tables import where_note
from simulator.plotting.compare import Comparisons, Verdict, controllable, verdict
from simulator.plotting.data import Selection, SweepData, select
from simulator.plotting.differences import difference_table, plot_differences
from simulator.plotting.frequency import plot_effective_reach, plot_frequency
from simulator.plotting.lines import plot_fatigue, plot_reach
from simulator.plotting.recommend import Recommendation, recommend
from simulator.plotting.timeline import plot_cumulative_reach
from simulator.plotting.tradeoff import plot_tradeoff

__all__ = ["SweepContext", "choose_at", "sweep_chart", "sweep_context", "sweep_recommendation"]

_NO_RUN = "sweeps keep no per-account tables; run the point of interest with `propsim run` and plot that folder"


@dataclass
class SweepContext:
    """Everything the sweep's charts share: the cut, the comparisons, the verdict."""

    data: SweepData
    sel: Selection
    decision: Comparisons
    points: Comparisons
    verdict: Verdict
    lang: str
    threshold: int

    @property
    def fixed(self) -> dict[str, Any]:
        return dict(self.sel.where)

    @property
    def point(self) -> dict[str, Any]:
        """The fixed parameters plus ``x = at`` (single-point charts)."""
        return {**self.sel.where, **({self.sel.x: self.sel.at} if self.sel.x else {})}

    @property
    def plausible(self) -> tuple[str, tuple[float, float] | None]:
        profile, ranges = self.data.plausible
        return profile, ranges.get(self.sel.x) if self.sel.x else None

    def baseline_name(self) -> str:
        among = {p: list(pd.unique(self.data.points[p])) for p in self.data.params}
        base = self.decision.baseline
        return base.name(self.lang, among) if base is not None else "–"


def choose_at(data: SweepData, x: str | None, at: float | None) -> float | None:
    """``at`` as given; else, when the sweep's metadata gives a plausible range for ``x``, the
    swept value inside it closest to its (geometric) middle; else None (the middle value)."""
    if at is not None or x is None:
        return at
    _, ranges = data.plausible
    if x not in ranges:
        return None
    lo, hi = ranges[x]
    xs = np.sort(pd.to_numeric(data.points[x], errors="coerce").dropna().unique())
    inside = xs[(xs >= lo) & (xs <= hi)]
    if len(inside) == 0:
        return None
    mid = (lo * hi) ** 0.5 if lo > 0 else (lo + hi) / 2
    return float(inside[np.argmin(np.abs(inside - mid))])


def sweep_context(data: SweepData, *, lang: str, x: Any, by: Any, where: Any, at: Any) -> SweepContext:
    """Cut the sweep (:func:`~simulator.plotting.data.select`) and build its comparisons."""
    sel = select(data, x=x, by=by, where=where, at=at)
    plausible_at = choose_at(data, sel.x, at)
    if plausible_at is not None and plausible_at != sel.at:
        sel = select(data, x=x, by=by, where=where, at=plausible_at)
    decision = Comparisons.for_decision(data, sel)
    points = Comparisons.for_points(data, sel)
    return SweepContext(data, sel, decision, points, verdict(decision), lang, _threshold(data.runs))


def _threshold(runs: pd.DataFrame) -> int:
    if "effective_reach_threshold" in runs.columns and runs["effective_reach_threshold"].notna().any():
        return int(runs["effective_reach_threshold"].dropna().iloc[0])
    return 3


def sweep_chart(ctx: SweepContext, kind: str) -> tuple[Figure, str] | str:
    """The figure and takeaway of one chart kind, or why it does not apply (a string)."""
    if kind in ("accounts", "matrix", "path"):
        return _NO_RUN
    if kind in ("reach", "fatigue") and ctx.sel.x is None:
        return "no numeric parameter varies in this sweep (nothing for the x axis)"
    draw: dict[str, Callable[[SweepContext], tuple[Figure, str] | str]] = {
        "differences": _differences,
        "reach": _reach,
        "fatigue": _fatigue,
        "tradeoff": _tradeoff,
        "timeline": _timeline,
        "frequency": _frequency,
    }
    return draw[kind](ctx)


def _x_at(ctx: SweepContext) -> dict[str, Any]:
    return {"x": ctx.sel.x, "at": ctx.sel.at, "lang": ctx.lang}


def _differences(ctx: SweepContext) -> tuple[Figure, str] | str:
    comps = ctx.decision
    if len(comps.options) < 2:
        return "only one option at this cut: nothing to compare with a baseline"
    table = difference_table(comps, lang=ctx.lang)
    # the footer names what is held fixed, never the parameter whose values are the options
    note = where_note(ctx.point, ctx.lang, skip=comps.options[0].varying, table=ctx.data.points)
    fig = plot_differences(
        table,
        baseline=ctx.baseline_name(),
        lang=ctx.lang,
        method=comps.method(ctx.lang, m=len(comps.options) - 1),
        note=note,
    )
    return fig, T.takeaway_differences(comps, "reach", ctx.lang)


def _reach(ctx: SweepContext) -> tuple[Figure, str]:
    profile, band = ctx.plausible
    assert ctx.sel.x is not None
    fig = plot_reach(
        ctx.data.points, x=ctx.sel.x, by=ctx.sel.by, where=ctx.fixed, lang=ctx.lang, plausible=band, profile=profile
    )
    if len(ctx.decision.options) >= 2:
        return fig, T.takeaway_reach(ctx.decision, **_x_at(ctx))
    return fig, T.takeaway_trend(ctx.points, ctx.sel.x, ctx.lang)


def _fatigue(ctx: SweepContext) -> tuple[Figure, str]:
    profile, band = ctx.plausible
    assert ctx.sel.x is not None
    no_effect = [m for m in ("fatigue_share", "exits") if ctx.points.has(m) and not ctx.points.measurable(m)]
    fig = plot_fatigue(
        ctx.data.points,
        x=ctx.sel.x,
        by=ctx.sel.by,
        where=ctx.fixed,
        lang=ctx.lang,
        no_effect=no_effect,
        plausible=band,
        profile=profile,
    )
    return fig, T.takeaway_fatigue(ctx.decision, **_x_at(ctx))


def _tradeoff(ctx: SweepContext) -> tuple[Figure, str]:
    comps, x = ctx.decision, ctx.sel.x
    # Options are compared at one value of a behaviour parameter: draw those, not every point.
    where = ctx.point if x is not None and not controllable(x) else ctx.fixed
    n = len(comps.options)
    method = comps.method(ctx.lang, m=n * (n - 1) // 2)
    fig = plot_tradeoff(
        ctx.data.points,
        x=x if x is not None and controllable(x) else None,
        by=ctx.sel.by,
        where=where,
        lang=ctx.lang,
        verdict=ctx.verdict,
        method=method,
    )
    return fig, T.takeaway_tradeoff(comps, ctx.verdict, **_x_at(ctx))


def _timeline(ctx: SweepContext) -> tuple[Figure, str] | str:
    ts = ctx.data.timeseries
    if ts is None or ts.empty:
        return "the sweep folder has no timeseries table"
    fig = plot_cumulative_reach(ts, ctx.data.runs, by=ctx.sel.by, where=ctx.point, lang=ctx.lang)
    return fig, T.takeaway_timeline(ctx.decision, **_x_at(ctx))


def _frequency(ctx: SweepContext) -> tuple[Figure, str]:
    data = ctx.data
    if data.frequency is not None and not data.frequency.empty:
        fig = plot_frequency(
            data.frequency, threshold=ctx.threshold, runs=data.runs, by=ctx.sel.by, where=ctx.point, lang=ctx.lang
        )
    else:
        fig = plot_effective_reach(data.points, threshold=ctx.threshold, by=ctx.sel.by, where=ctx.point, lang=ctx.lang)
    return fig, T.takeaway_frequency(ctx.decision, threshold=ctx.threshold, **_x_at(ctx))


def sweep_recommendation(ctx: SweepContext, objective: str) -> Recommendation | None:
    """The recommendation slide's content (None when there is nothing to choose between)."""
    return recommend(ctx.decision, objective, lang=ctx.lang, x=ctx.sel.x, at=ctx.sel.at)
