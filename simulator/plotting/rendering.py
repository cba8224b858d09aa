"""From a results folder to charts, takeaways, files and a deck (the engine of ``propsim plot``).

Notebook use::

    from simulator.plotting import load_results, make_charts, render

    charts = make_charts("results/sweep1", lang="zh")      # ChartSet
    charts["reach"].figure                                  # a matplotlib Figure
    charts["reach"].takeaway                                # "p0 = 0.003 时，HUB式比…"
    charts.recommendation.headline                          # the deck's recommendation
    report = render("results/sweep1", "out/", formats=("png", "pdf"), deck="out/deck.pptx")

Which charts apply: a **sweep** gives charts 0-5 (differences, reach, fatigue, tradeoff,
timeline, frequency) and a recommendation; a **single run** gives 4-8 (timeline, frequency,
accounts, matrix, path). Charts 6-8 need per-account tables, which sweeps do not keep: run the
point of interest with ``propsim run`` and plot that folder.

A sweep's deck: title slide (the scenario's description or ``title``), the difference chart
(paired differences from the baseline lead the deck), the recommendation, the other charts under
their takeaways, and the summary table.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.plotting import run_charts as R
from simulator.plotting.chartset import Chart, ChartSet
from simulator.plotting.data import RunData, SweepData, load_results
from simulator.plotting.kinds import KINDS, kind_number, parse_kinds
from simulator.plotting.lang import norm_lang
from simulator.plotting.names import parameter_labels
from simulator.plotting.recommend import OBJECTIVES, Recommendation
from simulator.plotting.saving import save_figure
from simulator.plotting.summary import deck_subtitle, deck_title, run_summary, sweep_summary
from simulator.plotting.sweep_charts import sweep_chart, sweep_context, sweep_recommendation

__all__ = ["KINDS", "Chart", "ChartSet", "RenderReport", "make_charts", "parse_kinds", "render", "summary_table"]


def _as_data(results: Any) -> RunData | SweepData:
    if isinstance(results, (RunData, SweepData)):
        return results
    if hasattr(results, "summary") and hasattr(results, "relays"):  # a RunResult in memory
        return RunData.from_result(results)
    return load_results(results)


def make_charts(
    results: Any,
    kinds: Sequence[str] | None = None,
    *,
    lang: str = "en",
    x: str | None = None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    at: float | None = None,
    top: int = 15,
    item: Any = None,
    objective: str = "effective_reach",
    title: str | None = None,
) -> ChartSet:
    """Draw the charts that apply to ``results`` (a folder path, RunData/SweepData or RunResult).

    Args:
        kinds: chart names or numbers (see :data:`KINDS`); default: every chart that applies.
        x, by, where, at: how a sweep is cut (see :func:`simulator.plotting.data.select`); without
            ``at``, options are compared at the swept value inside the plausible range of ``x``
            when the sweep's metadata gives one, else at the middle value.
        top: accounts in the contribution chart; item: item index or label for the path.
        objective: what the recommendation maximises (``effective_reach``, ``reach`` or
            ``reach_per_exit``); title: the deck's title (default: the scenario's description).
    """
    lang = norm_lang(lang)
    if objective not in OBJECTIVES:
        raise ValueError(f"--objective {objective!r}: use one of {', '.join(OBJECTIVES)}")
    data = _as_data(results)
    wanted = parse_kinds(kinds) or list(KINDS)
    out = ChartSet(data, lang, title=title)
    if isinstance(data, SweepData):
        with parameter_labels(data.parameter_labels):
            _sweep_charts(out, data, wanted, x=x, by=by, where=where, at=at, objective=objective)
    else:
        R.run_charts(out, data, wanted, lang=lang, top=top, item=item)
    return out


def _sweep_charts(out: ChartSet, data: SweepData, wanted: list[str], *, x, by, where, at, objective: str) -> None:
    ctx = sweep_context(data, lang=out.lang, x=x, by=by, where=where, at=at)
    out.context, out.selection = ctx, ctx.sel
    for kind in wanted:
        drawn = sweep_chart(ctx, kind)
        if isinstance(drawn, str):
            out.skipped[kind] = drawn
        else:
            out.charts[kind] = Chart(kind, *drawn)
    out.recommendation = sweep_recommendation(ctx, objective)


def summary_table(chartset: ChartSet) -> tuple[str, pd.DataFrame]:
    """A small table of the key numbers (as display strings) and its caption.

    Sweep: one row per compared option, means with 95% intervals. Run: one row per metric.
    """
    data = chartset.data
    if isinstance(data, SweepData):
        ctx = chartset.context or sweep_context(data, lang=chartset.lang, x=None, by=None, where=None, at=None)
        with parameter_labels(data.parameter_labels):
            return sweep_summary(data, ctx.decision, ctx.point, chartset.lang)
    return run_summary(data, chartset.lang)


# ---------------------------------------------------------------------------
# Files and deck
# ---------------------------------------------------------------------------


@dataclass
class RenderReport:
    """What :func:`render` wrote."""

    files: list[Path]
    deck: Path | None
    charts: ChartSet


def render(
    results: Any,
    output: str | os.PathLike | None = None,
    *,
    kinds: Sequence[str] | None = None,
    formats: Sequence[str] = ("png",),
    lang: str = "en",
    deck: str | os.PathLike | None = None,
    x: str | None = None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    at: float | None = None,
    top: int = 15,
    item: Any = None,
    objective: str = "effective_reach",
    title: str | None = None,
) -> RenderReport:
    """Draw the charts of a results folder and save them as ``OUTPUT/NN_kind.{png,svg,pdf}``
    (``NN`` = chart number, 00 = differences), plus a 16:9 PowerPoint deck if ``deck`` is given.

    ``output`` defaults to ``RESULTS/plots``. The deck needs PNGs; they are written even if
    ``formats`` does not include png.
    """
    data = _as_data(results)
    if output is None:
        if data.path is None:
            raise ValueError("output folder required for results that are not a folder")
        output = data.path / "plots"
    out_dir = Path(output)
    chartset = make_charts(
        data, kinds, lang=lang, x=x, by=by, where=where, at=at, top=top, item=item, objective=objective, title=title
    )
    fmts = list(dict.fromkeys(str(f).lower().lstrip(".") for f in formats))
    if deck is not None and "png" not in fmts:
        fmts.append("png")
    files: list[Path] = []
    pngs: dict[str, Path] = {}
    for chart in chartset:
        paths = save_figure(chart.figure, out_dir / f"{kind_number(chart.kind):02d}_{chart.kind}", formats=fmts)
        files.extend(paths)
        for p in paths:
            if p.suffix == ".png":
                pngs[chart.kind] = p
    deck_path = _write_deck(chartset, pngs, deck) if deck is not None else None
    return RenderReport(files, deck_path, chartset)


def _write_deck(cs: ChartSet, pngs: dict[str, Path], deck: str | os.PathLike) -> Path:
    from simulator.plotting.deck import DeckSlide, DeckText, build_deck

    data, lang = cs.data, cs.lang
    caption, table = summary_table(cs)
    slides: list[DeckSlide | DeckText] = []
    for c in cs:
        slides.append(DeckSlide(image=pngs[c.kind], headline=c.takeaway or c.title))
        if c.kind == "differences" and cs.recommendation is not None:
            slides.append(_recommendation_slide(cs.recommendation, lang))
    if cs.recommendation is not None and "differences" not in cs.charts:
        slides.insert(0, _recommendation_slide(cs.recommendation, lang))
    ctx = cs.context
    with parameter_labels(data.parameter_labels if isinstance(data, SweepData) else {}):
        subtitle = deck_subtitle(data, lang, ctx.decision if ctx else None, ctx.point if ctx else {})
    return build_deck(
        slides,
        deck,
        title=deck_title(data, lang, cs.title),
        subtitle=subtitle,
        table=table,
        table_title=caption,
        lang=lang,
    )


def _recommendation_slide(rec: Recommendation, lang: str) -> Any:
    from simulator.plotting.deck import DeckText
    from simulator.plotting.labels import text

    return DeckText(
        headline=rec.headline, bullets=list(rec.bullets), table=rec.table, heading=text("title_recommendation", lang)
    )
