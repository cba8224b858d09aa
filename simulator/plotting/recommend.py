"""The recommendation slide: the best option on the user's objective, computed from the sweep.

Objectives (``propsim plot --objective``):

- ``effective_reach`` (default): people who saw the campaign at least the effective-reach
  threshold of times; exits caused by the campaign are reported as the cost;
- ``reach``: people reached at least once;
- ``reach_per_exit``: reach per campaign-caused exit (a run's exits counted as at least 1).

The best option has the highest mean; options whose paired difference from it is not
significant after Holm's correction (over the comparisons with the best) are *tied* with it.
The trade-off sentence compares the best with the runner-up on the objective and on exits, each
with its 95% interval, and the caveats say at what scale, with which behaviour profile and at
which value of the behaviour parameters the sweep was simulated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from simulator.plotting.compare import Comparisons, Option, Stat, adjust, holm
from simulator.plotting.formatters import format_sig, format_value
from simulator.plotting.labels import label, text
from simulator.plotting.lang import norm_lang
from simulator.plotting.names import param_short
from simulator.plotting.words import fmt_diff, fmt_interval, join_names

__all__ = ["OBJECTIVES", "Recommendation", "recommend"]

OBJECTIVES = ("effective_reach", "reach", "reach_per_exit")
COST = "exits"


@dataclass
class Recommendation:
    """The computed recommendation and the sentences of its slide."""

    objective: str
    best: Option
    tied: list[Option]  # options statistically tied with the best (Holm over the comparisons)
    runner: Option | None
    vs_runner: Stat | None  # best - runner-up on the objective (Holm-adjusted)
    cost_vs_runner: Stat | None  # best - runner-up on exits
    names: dict[tuple, str]
    headline: str = ""
    bullets: list[str] = field(default_factory=list)
    table: pd.DataFrame | None = None


def _objective_label(objective: str, lang: str) -> str:
    return text("objective_reach_per_exit", lang) if objective == "reach_per_exit" else label(objective, lang)


def recommend(
    comps: Comparisons,
    objective: str = "effective_reach",
    *,
    lang: str = "en",
    x: str | None = None,
    at: Any = None,
) -> Recommendation | None:
    """The recommendation among ``comps``' options (None with fewer than two options)."""
    lang = norm_lang(lang)
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; use one of {', '.join(OBJECTIVES)}")
    if len(comps.options) < 2 or not comps.has(objective if objective != "reach_per_exit" else "exits"):
        return None
    among = {p: list(pd.unique(comps.data.points[p])) for p in comps.params}
    names = {o.key: o.name(lang, among) for o in comps.options}
    ranked = sorted(comps.options, key=lambda o: -comps.level(o, objective)[0])
    best = ranked[0]
    stats = [comps.stat(best, o, objective) for o in ranked[1:]]
    adjusted = [adjust(s, float(a)) for s, a in zip(stats, holm([s.p for s in stats]))]
    tied = [o for o, s in zip(ranked[1:], adjusted) if not s.significant]
    runner = ranked[1]
    cost = comps.stat(best, runner, COST) if comps.has(COST) else None
    rec = Recommendation(objective, best, tied, runner, adjusted[0], cost, names)
    rec.headline = _headline(rec, comps, lang)
    rec.bullets = _bullets(rec, comps, lang, x, at)
    rec.table = _table(rec, comps, ranked, adjusted, lang)
    return rec


def _headline(rec: Recommendation, comps: Comparisons, lang: str) -> str:
    obj = _objective_label(rec.objective, lang)
    best = rec.names[rec.best.key]
    if rec.tied:
        names = join_names([best, *(rec.names[o.key] for o in rec.tied)], lang)
        return text("rec_tied", lang, names=names, objective=obj.lower())
    mean, lo, hi = comps.level(rec.best, rec.objective)
    return text(
        "rec_best", lang, best=best, objective=obj.lower(), value=fmt_interval(mean, lo, hi, rec.objective, lang)
    )


def _bullets(rec: Recommendation, comps: Comparisons, lang: str, x: str | None, at: Any) -> list[str]:
    out = []
    if rec.tied:
        out.append(
            text(
                "rec_tied_detail",
                lang,
                best=rec.names[rec.best.key],
                names=join_names([rec.names[o.key] for o in rec.tied], lang),
            )
        )
    out.append(_tradeoff_sentence(rec, comps, lang))
    out.append(text("rec_method", lang, method=comps.method(lang, m=len(comps.options) - 1)))
    out.extend(caveats(comps, lang, x, at))
    return [b for b in out if b]


def _tradeoff_sentence(rec: Recommendation, comps: Comparisons, lang: str) -> str:
    """ "Hub reaches 8.1k more people (±1.2k) than Dandelion at 40 more exits (±15)"."""
    if rec.runner is None or rec.vs_runner is None:
        return ""
    a, b = rec.names[rec.best.key], rec.names[rec.runner.key]
    obj = _objective_label(rec.objective, lang).lower()
    s = rec.vs_runner
    if s.significant:
        first = text("rec_more", lang, a=a, b=b, objective=obj, d=fmt_diff(s, rec.objective, lang, magnitude=True))
    else:
        first = text("rec_similar", lang, a=a, b=b, objective=obj, d=fmt_diff(s, rec.objective, lang, bare=True))
    c = rec.cost_vs_runner
    if c is None:
        return first
    if not comps.measurable(COST):
        return first + text("rec_cost_no_effect", lang)
    if not c.significant:
        return first + text("rec_cost_similar", lang, d=fmt_diff(c, COST, lang, bare=True))
    key = "rec_cost_more" if c.diff > 0 else "rec_cost_fewer"
    return first + text(key, lang, d=fmt_diff(c, COST, lang, magnitude=True))


def caveats(comps: Comparisons, lang: str, x: str | None, at: Any) -> list[str]:
    """Scale, population, behaviour profile and where the compared behaviour value sits."""
    data = comps.data
    out = []
    pop = format_sig(comps.population, lang, integer=True) if comps.population == comps.population else "–"
    scale = data.scale
    out.append(text("caveat_scale", lang, pop=pop, scale=f"{scale:g}") if scale else text("caveat_pop", lang, pop=pop))
    profile, ranges = data.plausible
    if x is not None and at is not None and x in ranges:
        lo, hi = ranges[x]
        where = "caveat_inside" if lo <= float(at) <= hi else "caveat_outside"
        out.append(
            text(
                where,
                lang,
                x=param_short(x, lang),
                v=format_value(at),
                lo=format_value(lo),
                hi=format_value(hi),
                profile=profile or "–",
            )
        )
    elif profile:
        out.append(text("caveat_profile", lang, profile=profile))
    else:
        out.append(text("caveat_no_profile", lang))
    return out


def _table(rec: Recommendation, comps: Comparisons, ranked: list[Option], stats: list[Stat], lang: str) -> pd.DataFrame:
    """One row per option, best first: the objective and exits (mean and interval), and the
    difference from the best (or "tied (n.s.)")."""
    obj = rec.objective
    head_opt, head_obj = text("rec_col_option", lang), _objective_label(obj, lang)
    head_cost, head_diff = label(COST, lang), text("rec_col_vs_best", lang)
    rows = []
    for o, s in zip(ranked, [None, *stats]):
        mean, lo, hi = comps.level(o, obj)
        row = {head_opt: rec.names[o.key], head_obj: fmt_interval(mean, lo, hi, obj, lang)}
        if comps.has(COST):
            cm, clo, chi = comps.level(o, COST)
            row[head_cost] = fmt_interval(cm, clo, chi, COST, lang)
        if s is None:
            row[head_diff] = text("rec_best_cell", lang)
        else:
            other_minus_best = replace(s, diff=-s.diff, lo=-s.hi, hi=-s.lo)
            row[head_diff] = fmt_diff(other_minus_best, obj, lang) if s.significant else text("rec_tied_cell", lang)
        rows.append(row)
    return pd.DataFrame(rows)
