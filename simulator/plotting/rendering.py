"""From a results folder to charts, takeaways, files and a deck (the engine of ``propsim plot``).

Notebook use::

    from simulator.plotting import load_results, make_charts, render

    charts = make_charts("results/sweep1", lang="zh")      # ChartSet
    charts["reach"].figure                                  # a matplotlib Figure
    charts["reach"].takeaway                                # "p0 = 0.003 时，HUB式比…"
    report = render("results/sweep1", "out/", formats=("png", "pdf"), deck="out/deck.pptx")

Which charts apply: a **sweep** gives charts 1-5 (reach, fatigue, tradeoff, timeline,
frequency); a **single run** gives 4-8 (timeline, frequency, accounts, matrix, path). Charts
6-8 need per-account tables, which sweeps do not keep: run the point of interest with
``propsim run`` and plot that folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulator.plotting import charts as C
from simulator.plotting import diagrams as D
from simulator.plotting import takeaways as T
from simulator.plotting.data import (
    RunData,
    Selection,
    SweepData,
    filter_where,
    group_values,
    load_results,
    select,
)
from simulator.plotting.formatters import format_count, format_percent
from simulator.plotting.labels import label
from simulator.plotting.lang import norm_lang
from simulator.plotting.names import group_label, param_label, param_value
from simulator.plotting.palette import NEUTRAL_COLOR, color_for_topology
from simulator.plotting.saving import save_figure

__all__ = ["KINDS", "Chart", "ChartSet", "RenderReport", "make_charts", "parse_kinds", "render", "summary_table"]

from simulator.plotting.kinds import _ALIASES, KINDS, RUN_KINDS, SWEEP_KINDS, parse_kinds  # noqa: E402,F401


@dataclass
class Chart:
    """One drawn chart and its one-line takeaway."""

    kind: str
    figure: Figure
    takeaway: str

    @property
    def title(self) -> str:
        return self.figure.get_suptitle() or self.kind  # set by every chart function


@dataclass
class ChartSet:
    """Charts drawn from one results folder, in slide order; ``skipped`` says why others are not."""

    data: RunData | SweepData
    lang: str
    charts: dict[str, Chart] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    selection: Selection | None = None

    def __getitem__(self, kind: str) -> Chart:
        return self.charts[kind]

    def __iter__(self):
        return iter(self.charts.values())

    def __len__(self) -> int:
        return len(self.charts)


def _as_data(results: Any) -> RunData | SweepData:
    if isinstance(results, (RunData, SweepData)):
        return results
    if hasattr(results, "summary") and hasattr(results, "relays"):  # a RunResult in memory
        return RunData.from_result(results)
    return load_results(results)


def _topology_color(summary: Mapping[str, Any]) -> str | None:
    topo = summary.get("topology")
    if not topo:
        return None
    c = color_for_topology(str(topo))
    return None if c == NEUTRAL_COLOR else c


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
) -> ChartSet:
    """Draw the charts that apply to ``results`` (a folder path, RunData/SweepData or RunResult).

    Args:
        kinds: chart names or numbers (see :data:`KINDS`); default: every chart that applies.
        x, by, where, at: how a sweep is cut (see :func:`simulator.plotting.data.select`).
        top: accounts in the contribution chart; item: item index or label for the path.
    """
    lang = norm_lang(lang)
    data = _as_data(results)
    wanted = parse_kinds(kinds) or list(KINDS)
    out = ChartSet(data, lang)
    if isinstance(data, SweepData):
        _sweep_charts(out, data, wanted, lang=lang, x=x, by=by, where=where, at=at)
    else:
        _run_charts(out, data, wanted, lang=lang, top=top, item=item)
    return out


def _sweep_charts(out: ChartSet, data: SweepData, wanted: list[str], *, lang: str, x, by, where, at) -> None:
    sel = select(data, x=x, by=by, where=where, at=at)
    out.selection = sel
    pts, fixed = data.points, dict(sel.where)
    point = {**fixed, **({sel.x: sel.at} if sel.x else {})}
    threshold = _threshold(data.runs)
    no_run = "run the point of interest with `propsim run` and plot that folder"
    for kind in wanted:
        if kind in ("accounts", "matrix", "path"):
            out.skipped[kind] = f"sweeps keep no per-account tables; {no_run}"
            continue
        if kind in ("reach", "fatigue", "tradeoff") and sel.x is None:
            out.skipped[kind] = "no numeric parameter varies in this sweep (nothing for the x axis)"
            continue
        if kind == "reach" and sel.x is not None:
            fig = C.plot_reach(pts, x=sel.x, by=sel.by, where=fixed, lang=lang)
            tk = T.takeaway_reach(pts, x=sel.x, by=sel.by, where=fixed, at=sel.at, lang=lang)
        elif kind == "fatigue" and sel.x is not None:
            fig = C.plot_fatigue(pts, x=sel.x, by=sel.by, where=fixed, lang=lang)
            tk = T.takeaway_fatigue(pts, x=sel.x, by=sel.by, where=fixed, at=sel.at, lang=lang)
        elif kind == "tradeoff":
            fig = C.plot_tradeoff(pts, x=sel.x, by=sel.by, where=fixed, lang=lang)
            tk = T.takeaway_tradeoff(pts, x=sel.x, by=sel.by, where=fixed, lang=lang)
        elif kind == "timeline":
            if data.timeseries is None or data.timeseries.empty:
                out.skipped[kind] = "the sweep folder has no timeseries table"
                continue
            fig = C.plot_cumulative_reach(data.timeseries, data.runs, by=sel.by, where=point, lang=lang)
            tk = T.takeaway_timeline(points=pts, x=sel.x, by=sel.by, where=fixed, at=sel.at, lang=lang)
        else:  # frequency
            if data.frequency is not None and not data.frequency.empty:
                fig = C.plot_frequency(
                    data.frequency, threshold=threshold, runs=data.runs, by=sel.by, where=point, lang=lang
                )
            else:
                fig = C.plot_effective_reach(pts, threshold=threshold, by=sel.by, where=point, lang=lang)
            tk = T.takeaway_frequency(
                threshold=threshold, points=pts, x=sel.x, by=sel.by, where=fixed, at=sel.at, lang=lang
            )
        out.charts[kind] = Chart(kind, fig, tk)


def _threshold(runs: pd.DataFrame) -> int:
    if "effective_reach_threshold" in runs.columns and runs["effective_reach_threshold"].notna().any():
        return int(runs["effective_reach_threshold"].dropna().iloc[0])
    return 3


def _run_charts(out: ChartSet, data: RunData, wanted: list[str], *, lang: str, top: int, item: Any) -> None:
    s = data.summary
    color = _topology_color(s)
    for kind in wanted:
        if kind in ("reach", "fatigue", "tradeoff"):
            out.skipped[kind] = "compares parameter points: needs a sweep folder (`propsim sweep`)"
            continue
        if kind == "timeline":
            fig = C.plot_cumulative_reach(data.timeseries, lang=lang, color=color)
            tk = T.takeaway_timeline(summary=s, lang=lang)
        elif kind == "frequency":
            threshold = int(s.get("effective_reach_threshold") or 3)
            fig = C.plot_frequency(data.frequency, threshold=threshold, lang=lang, color=color)
            tk = T.takeaway_frequency(frequency=data.frequency, threshold=threshold, lang=lang)
        elif kind == "accounts":
            fig = C.plot_account_contribution(data.accounts, top=top, lang=lang)
            tk = T.takeaway_accounts(data.accounts, lang=lang)
        elif kind == "matrix":
            if not data.scenario:
                out.skipped[kind] = "the run folder has no scenario.json"
                continue
            fig = D.plot_account_matrix(data.scenario, data.accounts, lang=lang)
            tk = T.takeaway_matrix(data.scenario, data.accounts, lang=lang)
        else:  # path
            if data.relays.empty:
                out.skipped[kind] = "no account relayed anything in this run (no propagation path to draw)"
                continue
            fig = D.plot_propagation_path(data.relays, data.accounts, item=item, lang=lang)
            tk = T.takeaway_path(data.relays, data.accounts, item=item, lang=lang)
        out.charts[kind] = Chart(kind, fig, tk)


# ---------------------------------------------------------------------------
# Summary table (deck and notebooks)
# ---------------------------------------------------------------------------

_TABLE_METRICS = (
    "reach",
    "direct_reach",
    "second_level_reach",
    "effective_reach",
    "fatigue_share",
    "exits",
    "unfollows",
)


def summary_table(chartset: ChartSet) -> tuple[str, pd.DataFrame]:
    """A small table of the key numbers (as display strings) and its caption.

    Sweep: one row per group at the selected point, mean with the 95% CI for reach. Run: one row
    per metric.
    """
    if isinstance(chartset.data, SweepData):
        return _sweep_summary(chartset.data, chartset.selection or select(chartset.data), chartset.lang)
    return _run_summary(chartset.data, chartset.lang)


def _sweep_summary(data: SweepData, sel: Selection, lang: str) -> tuple[str, pd.DataFrame]:
    point = {**sel.where, **({sel.x: sel.at} if sel.x else {})}
    pts = filter_where(data.points, point)
    head = label(sel.by, lang) if sel.by == "topology" else (sel.by or "")
    rows = []
    for v in group_values(pts, sel.by):
        sub = pts if sel.by is None else pts[pts[sel.by] == v]
        if sub.empty:
            continue
        r = sub.iloc[0]
        row = {head: group_label(sel.by, v, lang, _values(data.points, sel.by)) or data.name}
        for m in _TABLE_METRICS:
            row[_metric_header(m, lang)] = _summary_cell(r, m, lang)
        rows.append(row)
    n = int(pts["n"].min()) if "n" in pts and len(pts) else 0
    at_txt = ", ".join(param_value(k, v, _values(data.points, k)) for k, v in point.items())
    cap = (
        f"Summary at {at_txt}: means of {n} replicates; reach with its 95% CI"
        if lang == "en"
        else f"汇总（{at_txt}）：{n} 次重复的均值；触达人数附 95% 置信区间"
    )
    return cap, pd.DataFrame(rows)


def _summary_cell(r: pd.Series, m: str, lang: str) -> str:
    mean = r.get(f"{m}_mean", np.nan)
    if m == "fatigue_share":
        return format_percent(mean, 0, lang)
    cell = format_count(_rounded(mean), lang)  # means of counts: no false precision
    if m == "reach" and np.isfinite(r.get("reach_ci_low", np.nan)):
        lo, hi = (_rounded(r["reach_ci_low"]), _rounded(r["reach_ci_high"]))
        cell += f" ({format_count(lo, lang)}–{format_count(hi, lang)})"
    return cell


def _run_summary(data: RunData, lang: str) -> tuple[str, pd.DataFrame]:
    s = data.summary
    items = [
        ("reach", format_count(s["reach"], lang) + f" ({format_percent(s['reach_share'], 1, lang)})"),
        ("direct_reach", format_count(s["direct_reach"], lang)),
        ("second_level_reach", format_count(s["second_level_reach"], lang)),
        ("impressions", format_count(s["impressions"], lang)),
        ("effective_reach", format_count(s["effective_reach"], lang)),
        ("fatigue_share", format_percent(s["fatigue_share"], 0, lang)),
        ("mutes", format_count(s["mutes"], lang)),
        ("unfollows", format_count(s["unfollows"], lang)),
        ("relays", format_count(s["account_relays"], lang)),
    ]
    metric, value = ("Metric", "Value") if lang == "en" else ("指标", "数值")
    df = pd.DataFrame({metric: [_metric_header(k, lang) for k, _ in items], value: [v for _, v in items]})
    topo = s.get("topology")
    cap = (
        f"Summary of {data.name}"
        + (f" ({label(topo, lang)})" if topo else "")
        + f": {format_count(s['population'], lang)} followers, {s['horizon_h']:g} h, seed {s['seed']}"
        if lang == "en"
        else f"{data.name} 汇总"
        + (f"（{label(topo, lang)}）" if topo else "")
        + f"：{format_count(s['population'], lang)} 人，{s['horizon_h']:g} 小时，随机种子 {s['seed']}"
    )
    return cap, df


def _values(table: pd.DataFrame, column: str | None) -> list[Any] | None:
    """Distinct values of a swept column (``None`` without one), so printed values stay distinct."""
    return list(pd.unique(table[column])) if column is not None and column in table.columns else None


def _rounded(x: float) -> float:
    """A mean of counts without false precision: one decimal below 10, whole numbers above."""
    x = float(x)
    if not np.isfinite(x):
        return x
    return round(x, 1) if abs(x) < 10 else round(x)


def _metric_header(metric: str, lang: str) -> str:
    if metric == "fatigue_share":
        return "Fatigued" if lang == "en" else "疲劳占比"
    if metric == "exits":
        return "Exits" if lang == "en" else "流失人数"
    return label(metric, lang)


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
) -> RenderReport:
    """Draw the charts of a results folder and save them as ``OUTPUT/NN_kind.{png,svg,pdf}``
    (``NN`` = chart number), plus a 16:9 PowerPoint deck if ``deck`` is given.

    ``output`` defaults to ``RESULTS/plots``. The deck needs PNGs; they are written even if
    ``formats`` does not include png.
    """
    data = _as_data(results)
    if output is None:
        if data.path is None:
            raise ValueError("output folder required for results that are not a folder")
        output = data.path / "plots"
    out_dir = Path(output)
    chartset = make_charts(data, kinds, lang=lang, x=x, by=by, where=where, at=at, top=top, item=item)
    fmts = list(dict.fromkeys(str(f).lower().lstrip(".") for f in formats))
    if deck is not None and "png" not in fmts:
        fmts.append("png")
    files: list[Path] = []
    pngs: dict[str, Path] = {}
    for chart in chartset:
        number = KINDS.index(chart.kind) + 1
        paths = save_figure(chart.figure, out_dir / f"{number:02d}_{chart.kind}", formats=fmts)
        files.extend(paths)
        for p in paths:
            if p.suffix == ".png":
                pngs[chart.kind] = p
    deck_path = None
    if deck is not None:
        from simulator.plotting.deck import DeckSlide, build_deck

        caption, table = summary_table(chartset)
        slides = [DeckSlide(image=pngs[c.kind], headline=c.takeaway or c.title) for c in chartset]
        deck_path = build_deck(
            slides,
            deck,
            title=_deck_title(chartset),
            subtitle=_deck_subtitle(chartset),
            table=table,
            table_title=caption,
            lang=chartset.lang,
        )
    return RenderReport(files, deck_path, chartset)


def _deck_title(cs: ChartSet) -> str:
    name = cs.data.name
    if cs.lang == "en":
        return f"{name}: how the campaign spreads through the account matrix"
    return f"{name}：内容在账号矩阵中的传播"


def _deck_subtitle(cs: ChartSet) -> str:
    data, lang = cs.data, cs.lang
    if isinstance(data, SweepData):
        sel = cs.selection
        swept = [p for p in data.params if data.points[p].nunique() > 1]
        desc = " × ".join(param_label(p, lang) for p in swept) or "–"
        n = len(data.runs)
        reps = int(data.points["n"].min()) if "n" in data.points else 1
        if lang == "en":
            s = f"Sweep of {n} runs over {desc} ({reps} replicates per point)"
            if sel and sel.x and sel.at is not None:
                s += f"; single-point charts at {param_value(sel.x, sel.at, _values(data.points, sel.x))}"
            return s + ". Simulated with propsim."
        s = f"参数扫描：{desc}，共 {n} 次运行（每个参数点重复 {reps} 次）"
        if sel and sel.x and sel.at is not None:
            s += f"；单点图表取 {param_value(sel.x, sel.at, _values(data.points, sel.x))}"
        return s + "。由 propsim 模拟。"
    summ = data.summary
    topo = summ.get("topology")
    if lang == "en":
        return (
            "Single run"
            + (f", {label(topo, lang)} matrix" if topo else "")
            + f": {summ['accounts']} accounts, {format_count(summ['population'], lang)} followers, "
            f"{summ['horizon_h']:g} h, seed {summ['seed']}. Simulated with propsim."
        )
    return (
        "单次运行"
        + (f"，{label(topo, lang)}矩阵" if topo else "")
        + f"：{summ['accounts']} 个账号，{format_count(summ['population'], lang)} 名粉丝，{summ['horizon_h']:g} 小时，"
        f"随机种子 {summ['seed']}。由 propsim 模拟。"
    )
