"""One-line takeaways of a sweep (slide headlines), every comparison decided by one rule.

The rule is :mod:`simulator.plotting.compare`'s: paired differences (or unpaired with a note)
with 95% intervals, Holm-adjusted when a sentence ranks several options; what the intervals do
not separate is "similar (n.s.)". Numbers compared side by side carry the same significant
digits, counts of people are whole numbers, and exits are the campaign's (mutes + unfollows),
never baseline churn. Single-run sentences are in :mod:`simulator.plotting.run_takeaways`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from simulator.plotting.compare import Comparisons, Option, Stat, Verdict
from simulator.plotting.formatters import format_percent, format_value
from simulator.plotting.labels import label, text
from simulator.plotting.lang import norm_lang
from simulator.plotting.names import param_short
from simulator.plotting.run_takeaways import (  # noqa: F401  (re-exported: one place for takeaways)
    takeaway_accounts,
    takeaway_matrix,
    takeaway_path,
    takeaway_run_frequency,
    takeaway_run_timeline,
)
from simulator.plotting.words import fmt_diff, fmt_level, fmt_pair, join_names, small_level

__all__ = [
    "takeaway_accounts",
    "takeaway_differences",
    "takeaway_fatigue",
    "takeaway_frequency",
    "takeaway_matrix",
    "takeaway_path",
    "takeaway_reach",
    "takeaway_run_frequency",
    "takeaway_run_timeline",
    "takeaway_timeline",
    "takeaway_tradeoff",
]


def _cap(s: str) -> str:
    """Capitalise an English sentence (Chinese ones may start with a symbol such as "p0")."""
    if not s or not s[0].isascii() or any("\u4e00" <= ch <= "\u9fff" for ch in s):
        return s
    return s[:1].upper() + s[1:]


def _names(comps: Comparisons, lang: str) -> dict[tuple, str]:
    among = {p: list(pd.unique(comps.data.points[p])) for p in comps.params}
    return {o.key: o.name(lang, among) for o in comps.options}


def head(comps: Comparisons, x: str | None, at: Any, lang: str) -> str:
    """ "At p0 = 0.003, " when the options are compared at one value of a behaviour parameter."""
    if x is None or at is None or not comps.options or x not in comps.options[0].point:
        return ""
    if x in comps.options[0].varying:
        return ""
    v = format_value(at, list(pd.unique(comps.data.points[x])))
    return text("at_head", lang, x=param_short(x, lang), v=v)


def _ranked(comps: Comparisons, metric: str) -> list[Option]:
    return sorted(comps.options, key=lambda o: -comps.level(o, metric)[0])


def _pair_stat(comps: Comparisons, a: Option, b: Option, metric: str) -> Stat:
    """``a - b`` from the Holm family of every pair of options (a ranking among many)."""
    i, j = comps.options.index(a), comps.options.index(b)
    s = comps.pairwise(metric)[(min(i, j), max(i, j))]
    if i > j:
        s = replace(s, diff=-s.diff, lo=-s.hi, hi=-s.lo)
    return s


def compare_top_two(comps: Comparisons, metric: str, lang: str) -> tuple[str, Option, Option, Stat] | None:
    """The two options highest on ``metric``, and a sentence comparing them."""
    if len(comps.options) < 2 or not comps.has(metric):
        return None
    a, b = _ranked(comps, metric)[:2]
    names = _names(comps, lang)
    s = _pair_stat(comps, a, b, metric)
    pair = fmt_pair(comps.level(a, metric)[0], comps.level(b, metric)[0], metric, lang)
    what = "reach" if metric in ("reach", "effective_reach") else "metric"
    fields = {"a": names[a.key], "b": names[b.key], "pair": pair, "metric": label(metric, lang).lower()}
    if s.significant:
        sentence = text(
            f"more_{what}_{metric}" if what == "reach" else "more_metric",
            lang,
            d=fmt_diff(s, metric, lang, magnitude=True),
            **fields,
        )
    else:
        sentence = text("similar_metric", lang, **fields)
    return sentence, a, b, s


def takeaway_reach(comps: Comparisons, *, x: str | None, at: Any, lang: str = "en") -> str:
    """Best vs runner-up in reach at ``x = at`` with the paired difference (Holm over the pairs),
    or, with one option, how reach changes across the swept ``x``."""
    lang = norm_lang(lang)
    if len(comps.options) < 2:
        return ""
    top = compare_top_two(comps, "reach", lang)
    if top is None:
        return ""
    sentence, a, b, s = top
    out = head(comps, x, at, lang) + sentence
    if s.significant and comps.has("exits"):
        out += text("sep", lang) + _exits_clause(comps, a, b, lang)
    return _cap(out)


def _exits_clause(comps: Comparisons, a: Option, b: Option, lang: str) -> str:
    if not comps.measurable("exits"):
        return text("exits_clause_no_effect", lang)
    s = _pair_stat(comps, a, b, "exits")
    if not s.significant:
        return text("exits_clause_similar", lang)
    key = "exits_clause_more" if s.diff > 0 else "exits_clause_fewer"
    return text(key, lang, d=fmt_diff(s, "exits", lang, magnitude=True))


def takeaway_trend(comps: Comparisons, x: str, lang: str = "en", metric: str = "reach") -> str:
    """One option over the swept ``x``: the lowest vs the highest value (paired difference)."""
    lang = norm_lang(lang)
    opts = sorted(comps.options, key=lambda o: float(o.point[x]))
    if len(opts) < 2:
        return ""
    lo, hi = opts[0], opts[-1]
    s = comps.stat(hi, lo, metric)
    among = list(pd.unique(comps.data.points[x]))
    fields = {
        "x": param_short(x, lang),
        "a": format_value(lo.point[x], among),
        "b": format_value(hi.point[x], among),
        "lo": fmt_level(comps.level(lo, metric)[0], metric, lang),
        "hi": fmt_level(comps.level(hi, metric)[0], metric, lang),
        "d": fmt_diff(s, metric, lang) if s.significant else "n.s.",
    }
    return _cap(text("trend", lang, **fields))


def takeaway_fatigue(comps: Comparisons, *, x: str | None, at: Any, lang: str = "en") -> str:
    """Campaign-caused exits (fewest vs most, or "no measurable effect") and the fatigued share."""
    lang = norm_lang(lang)
    if not comps.options:
        return ""
    shares = [comps.level(o, "fatigue_share")[0] for o in comps.options if comps.has("fatigue_share")]
    share = _share_range(shares, lang)
    out = head(comps, x, at, lang)
    if not comps.measurable("exits"):
        level = small_level(
            float(pd.Series([comps.level(o, "exits")[0] for o in comps.options]).median()), "exits", lang
        )
        out += text("exits_no_effect", lang, level=level)
    else:
        ranked = sorted(comps.options, key=lambda o: comps.level(o, "exits")[0])
        a, b = ranked[0], ranked[-1]
        names = _names(comps, lang)
        s = _pair_stat(comps, a, b, "exits")
        pair = fmt_pair(comps.level(a, "exits")[0], comps.level(b, "exits")[0], "exits", lang)
        fields = {"a": names[a.key], "b": names[b.key], "pair": pair}
        if s.significant:
            out += text("exits_fewer", lang, d=fmt_diff(s, "exits", lang, magnitude=True), **fields)
        else:
            out += text("exits_similar", lang, **fields)
    if share:
        out += text("sep", lang) + text("fatigued_share", lang, share=share)
    return _cap(out)


def _share_range(shares: list[float], lang: str) -> str:
    if not shares:
        return ""
    lo, hi = format_percent(min(shares), 0, lang), format_percent(max(shares), 0, lang)
    return lo if lo == hi else f"{lo}–{hi}"


def takeaway_tradeoff(comps: Comparisons, v: Verdict, *, x: str | None, at: Any, lang: str = "en") -> str:
    """Who dominates whom (with the paired differences), the frontier, or that none dominates."""
    lang = norm_lang(lang)
    names = _names(comps, lang)
    out = head(comps, x, at, lang)
    if v.dominated_by:
        loser_key, winner = next(iter(v.dominated_by.items()))
        loser = next(o for o in comps.options if o.key == loser_key)
        s = _pair_stat(comps, winner, loser, "reach")
        exits = _exits_clause(comps, winner, loser, lang)
        out += text(
            "dominated",
            lang,
            a=names[winner.key],
            b=names[loser.key],
            d=fmt_diff(s, "reach", lang, magnitude=True),
            exits=exits,
        )
        others = [names[k] for k in list(v.dominated_by)[1:]]
        if others:
            out += text("sep", lang) + text("also_dominated", lang, names=join_names(others, lang))
        return _cap(out)
    if v.segments:
        a, b = max(v.segments, key=lambda ab: abs(comps.level(ab[1], "reach")[0] - comps.level(ab[0], "reach")[0]))
        hi_opt, lo_opt = (b, a) if comps.level(b, "reach")[0] >= comps.level(a, "reach")[0] else (a, b)
        s = _pair_stat(comps, hi_opt, lo_opt, "reach")
        out += text(
            "tradeoff_pair",
            lang,
            a=names[hi_opt.key],
            b=names[lo_opt.key],
            d=fmt_diff(s, "reach", lang, magnitude=True),
            exits=_exits_clause(comps, hi_opt, lo_opt, lang),
        )
        return _cap(out)
    return _cap(out + text("no_dominance", lang))


def takeaway_differences(comps: Comparisons, metric: str = "reach", lang: str = "en") -> str:
    """Against the baseline: how many options differ significantly (Holm), the largest gain."""
    lang = norm_lang(lang)
    if comps.baseline is None or len(comps.options) < 2:
        return ""
    names = _names(comps, lang)
    rows = comps.vs_baseline(metric)
    floor = comps.min_effect(metric)  # the family and rule the difference chart draws
    sig = [(o, s) for o, s in rows if s.significant and abs(s.diff) >= floor]
    base = names[comps.baseline.key]
    if not sig:
        return _cap(text("vs_base_none", lang, base=base, metric=label(metric, lang).lower()))
    best_o, best_s = max(sig, key=lambda os: os[1].diff)
    key = "vs_base_gain" if best_s.diff > 0 else "vs_base_loss"
    return _cap(
        text(
            key,
            lang,
            base=base,
            a=names[best_o.key],
            d=fmt_diff(best_s, metric, lang, magnitude=True),
            k=len(sig),
            m=len(rows),
            metric=label(metric, lang).lower(),
        )
    )


def takeaway_timeline(comps: Comparisons, *, x: str | None, at: Any, lang: str = "en") -> str:
    """What followers' reposts add to direct reach: the option gaining most vs least (paired
    difference of second-level reach), or "similar (n.s.)"."""
    lang = norm_lang(lang)
    if not comps.options or not comps.has("second_level_reach"):
        return ""

    def share(o: Option) -> float:
        direct = comps.level(o, "direct_reach")[0]
        return comps.level(o, "second_level_reach")[0] / direct if direct > 0 else 0.0

    ranked = sorted(comps.options, key=share)
    lo, hi = ranked[0], ranked[-1]
    names = _names(comps, lang)
    out = head(comps, x, at, lang)
    if len(ranked) < 2:
        return _cap(out + text("reposts_add", lang, share=format_percent(share(hi), 0, lang)))
    if format_percent(share(hi), 0, lang) == format_percent(share(lo), 0, lang):
        return _cap(out + text("reposts_add_all", lang, share=format_percent(share(hi), 0, lang)))
    s = _pair_stat(comps, hi, lo, "second_level_reach")
    fields = {
        "a": names[hi.key],
        "b": names[lo.key],
        "sa": format_percent(share(hi), 0, lang),
        "sb": format_percent(share(lo), 0, lang),
    }
    if s.significant:
        return _cap(
            out + text("reposts_range", lang, d=fmt_diff(s, "second_level_reach", lang, magnitude=True), **fields)
        )
    return _cap(out + text("reposts_similar", lang, **fields))


def takeaway_frequency(comps: Comparisons, *, threshold: int, x: str | None, at: Any, lang: str = "en") -> str:
    """Effective reach (people who saw the campaign ``threshold``+ times): best vs runner-up."""
    lang = norm_lang(lang)
    if not comps.options or not comps.has("effective_reach"):
        return ""
    out = head(comps, x, at, lang)
    if len(comps.options) < 2:
        o = comps.options[0]
        mean, reach = comps.level(o, "effective_reach")[0], comps.level(o, "reach")[0]
        return _cap(
            out + text("effective_one", lang, k=threshold, share=format_percent(mean / reach if reach else 0, 0, lang))
        )
    top = compare_top_two(comps, "effective_reach", lang)
    return _cap(out + top[0]) if top else ""
