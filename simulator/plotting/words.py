"""Numbers in sentences: levels, pairs, differences and intervals, written alike in both languages.

Counts of people are whole numbers; numbers compared side by side carry the same number of
significant digits ("92.1k vs 89.7k", "9.21万 vs 8.97万"); a difference and its "±" the same
(2 significant digits: "+8.1k (±1.2k)"). Shares are percentages.
"""

from __future__ import annotations

import math

from simulator.plotting.compare import Stat
from simulator.plotting.formatters import format_percent, format_same_unit, format_sig
from simulator.results.metrics import metric as metric_info

__all__ = ["fmt_diff", "fmt_interval", "fmt_level", "fmt_pair", "is_share", "join_names", "small_level"]

LEVEL_DIGITS = 3
DIFF_DIGITS = 2


def is_share(metric: str) -> bool:
    info = metric_info(metric)
    return info is not None and info.unit == "share"


def _integer(metric: str) -> bool:
    info = metric_info(metric)
    return bool(info is not None and info.integer) or metric == "reach_per_exit"


def fmt_level(value: float, metric: str, lang: str, digits: int = LEVEL_DIGITS) -> str:
    """One value of ``metric``: "92.1k", "424", "12%"."""
    if is_share(metric):
        return format_percent(value, 1, lang)
    return format_sig(value, lang, digits=digits, integer=_integer(metric))


def fmt_pair(a: float, b: float, metric: str, lang: str) -> str:
    """Two values compared: "92.1k vs 89.7k" (zh "9.21万 vs 8.97万")."""
    return f"{fmt_level(a, metric, lang)} vs {fmt_level(b, metric, lang)}"


def fmt_interval(mean: float, lo: float, hi: float, metric: str, lang: str) -> str:
    """A mean with its interval in one unit: "79.5k (54.2k–100k)", "1.58万 (0.80万–2.00万)" (never
    "7995–2.00万"); the mean alone without an interval."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or is_share(metric):
        text = fmt_level(mean, metric, lang)
        if math.isfinite(lo) and math.isfinite(hi):
            text += f" ({fmt_level(lo, metric, lang)}–{fmt_level(hi, metric, lang)})"
        return text
    m, a, b = format_same_unit([mean, lo, hi], lang, digits=LEVEL_DIGITS, integer=_integer(metric), ref=0)
    return f"{m} ({a}–{b})"


def fmt_diff(
    s: Stat, metric: str, lang: str, *, signed: bool = True, magnitude: bool = False, bare: bool = False
) -> str:
    """A difference with its 95% half-width, both in one unit: "+8.1k (±1.2k)"; ``magnitude``
    drops the sign ("8.1k (±1.2k)", for "8.1k more people"); ``bare`` writes "+8.1k ± 1.2k"
    (inside a parenthesis). Negative differences carry a true minus sign (−)."""
    d = abs(s.diff) if magnitude else s.diff
    half = s.half
    if is_share(metric):
        main, pm = format_percent(abs(d), 1, lang), format_percent(half, 1, lang) if math.isfinite(half) else ""
    else:
        main, pm = format_same_unit([abs(d), half], lang, digits=DIFF_DIGITS, integer=_integer(metric))
        pm = pm if math.isfinite(half) else ""
    sign = (
        ""
        if magnitude or not signed or not math.isfinite(d) or main.strip("0.%万kMBT亿") == ""
        else ("+" if d > 0 else "\u2212" if d < 0 else "")
    )
    if not pm:
        return sign + main
    return f"{sign}{main} ± {pm}" if bare else f"{sign}{main} (±{pm})"


def join_names(names: list[str], lang: str) -> str:
    """ "A, B and C" (zh "A、B和C")."""
    names = [n for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    if lang == "zh":
        return "、".join(names[:-1]) + "和" + names[-1]
    return ", ".join(names[:-1]) + " and " + names[-1]


def small_level(value: float, metric: str, lang: str) -> str:
    """A typical level in words: "none", "less than 1", "about 12" (zh "0", "不到 1", "约 12")."""
    if not math.isfinite(value):
        return "–"
    if value == 0:
        return "none" if lang == "en" else "0"
    if 0 < value < 0.5 and _integer(metric):
        return "less than 1" if lang == "en" else "不到 1"
    return ("about " if lang == "en" else "约 ") + fmt_level(value, metric, lang)
