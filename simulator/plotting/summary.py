"""The summary table and the title slide's words (deck and notebooks).

Sweep: one row per option (the decision set of :mod:`simulator.plotting.sweep_charts`), columns
named after the swept fields' display names (never raw paths), means with 95% intervals clipped
to what is possible, exits caused by the campaign beside baseline churn. Run: one row per metric.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from simulator.plotting.compare import Comparisons
from simulator.plotting.data import RunData, SweepData
from simulator.plotting.formatters import format_count, format_percent, format_sig
from simulator.plotting.labels import label, text
from simulator.plotting.names import param_label, param_value, value_label
from simulator.plotting.words import fmt_interval, fmt_level

__all__ = ["deck_subtitle", "deck_title", "run_summary", "sweep_summary"]

#: Sweep table columns: metric, with its interval?
_SWEEP_COLUMNS = (
    ("reach", True),
    ("effective_reach", True),
    ("exits", True),
    ("churned", False),
    ("fatigue_share", False),
)


def sweep_summary(data: SweepData, comps: Comparisons, point: dict[str, Any], lang: str) -> tuple[str, pd.DataFrame]:
    """Caption and table of the compared options."""
    among = {p: list(pd.unique(data.points[p])) for p in data.params}
    varying = comps.options[0].varying if comps.options else ()
    rows = []
    for o in comps.options:
        row: dict[str, str] = {}
        for p in varying:
            row[_capital(param_label(p, lang))] = value_label(o.point[p], lang, among.get(p))
        if not varying:
            row[text("rec_col_option", lang)] = data.name
        for metric, with_ci in _SWEEP_COLUMNS:
            if not comps.has(metric):
                continue
            mean, lo, hi = comps.level(o, metric)
            row[label(metric, lang)] = (
                fmt_interval(mean, lo, hi, metric, lang) if with_ci else fmt_level(mean, metric, lang)
            )
        rows.append(row)
    n = int(comps.values("reach").notna().sum(axis=1).min()) if comps.options else 0
    fixed = {k: v for k, v in point.items() if k not in varying}
    at_txt = ", ".join(param_value(k, v, among.get(k), lang) for k, v in fixed.items())
    cap = text("summary_caption", lang, n=n, at=at_txt or "–")
    return cap, pd.DataFrame(rows)


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:] if s and s[0].isascii() else s


def run_summary(data: RunData, lang: str) -> tuple[str, pd.DataFrame]:
    """Caption and table of one run's key numbers (campaign exits beside baseline churn)."""
    s = data.summary
    items = [
        ("reach", format_sig(s["reach"], lang, integer=True) + f" ({format_percent(s['reach_share'], 1, lang)})"),
        ("direct_reach", format_sig(s["direct_reach"], lang, integer=True)),
        ("second_level_reach", format_sig(s["second_level_reach"], lang, integer=True)),
        ("impressions", format_sig(s["impressions"], lang, integer=True)),
        ("effective_reach", format_sig(s["effective_reach"], lang, integer=True)),
        ("fatigue_share", format_percent(s["fatigue_share"], 0, lang)),
        ("exits", format_sig(s.get("exits", s["mutes"] + s["unfollows"]), lang, integer=True)),
        ("churned", format_sig(s["churned"], lang, integer=True) if "churned" in s else "–"),
        ("account_relays", format_sig(s["account_relays"], lang, integer=True)),
    ]
    metric, value = text("col_metric", lang), text("col_value", lang)
    df = pd.DataFrame({metric: [label(k, lang) for k, _ in items], value: [v for _, v in items]})
    topo = s.get("topology")
    topo_txt = label(topo, lang) if topo else ""
    cap = text(
        "run_caption",
        lang,
        name=_run_name(data),
        topology=topo_txt,
        pop=format_count(s["population"], lang),
        h=f"{s['horizon_h']:g}",
        seed=s["seed"],
    )
    return cap, df


def _run_name(data: RunData) -> str:
    desc = (data.scenario or {}).get("description") if isinstance(data.scenario, dict) else None
    return desc.strip() if isinstance(desc, str) and desc.strip() else data.name


def deck_title(data: RunData | SweepData, lang: str, title: str | None = None) -> str:
    """``title`` if given, else the scenario's description, else a sentence with its name."""
    if title:
        return title
    if isinstance(data, SweepData):
        desc = data.description
    else:
        raw = (data.scenario or {}).get("description") if isinstance(data.scenario, dict) else None
        desc = raw.strip() if isinstance(raw, str) else ""
    return desc or text("deck_title", lang, name=data.name)


def deck_subtitle(data: RunData | SweepData, lang: str, comps: Comparisons | None, point: dict[str, Any]) -> str:
    """What was simulated and how the comparisons were made."""
    if isinstance(data, SweepData):
        swept = [p for p in data.params if data.points[p].nunique() > 1]
        desc = " × ".join(param_label(p, lang) for p in swept) or "–"
        reps = int(data.points["n"].min()) if "n" in data.points else 1
        among = {p: list(pd.unique(data.points[p])) for p in data.params}
        at = ", ".join(param_value(k, v, among.get(k), lang) for k, v in point.items())
        out = text("sweep_subtitle", lang, n=len(data.runs), desc=desc, reps=reps)
        if at:
            out += text("sweep_subtitle_at", lang, at=at)
        if comps is not None and comps.options:
            out += "\n" + comps.method(lang)
        return out
    s = data.summary
    topo = s.get("topology")
    return text(
        "run_subtitle",
        lang,
        topology=f"{label(topo, lang)}" if topo else "–",
        accounts=s["accounts"],
        pop=format_count(s["population"], lang),
        h=f"{s['horizon_h']:g}",
        seed=s["seed"],
    )
