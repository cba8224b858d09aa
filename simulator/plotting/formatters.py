"""Numbers as a strategist reads them: compact counts (12k, 1.2万), percentages, swept values.

Counts: 950, 1.2k, 12k, 1.2M (en) or 950, 1.2万, 1.2亿 (zh), never "17,500" printed as "1.8万"
on an axis. Percentages keep enough decimals that small shares do not collapse to "0%". Swept
parameter values print with 3 significant digits, more only when two values would print alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import matplotlib as mpl
from matplotlib.ticker import FuncFormatter

from simulator.plotting.lang import norm_lang

__all__ = [
    "PARAM_DIGITS",
    "count_formatter",
    "format_count",
    "format_percent",
    "format_value",
    "percent_formatter",
    "value_digits",
    "value_formatter",
]

# Ascending (scale, suffix); the first entry is the plain number.
_UNITS = {
    "en": ((1.0, ""), (1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T")),
    "zh": ((1.0, ""), (1e4, "万"), (1e8, "亿"), (1e12, "万亿")),
}


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _format_scaled(value: float, plain: bool) -> str:
    if plain:  # below the first unit: up to two decimals (0.5, 12.25, 950)
        return _trim(f"{value:.2f}")
    # One decimal below 100 units (1.2k, 12.3万), none above (123k, 120万).
    return _trim(f"{value:.1f}") if value < 100 else f"{value:.0f}"


def format_count(x: float, lang: str = "en") -> str:
    """Compact count for axes and annotations.

    en: 950, 1.2k, 12k, 123k, 1.2M, 120M, 1.2B
    zh: 950, 9500, 1.2万, 120万, 1234万, 1.2亿, 1.2万亿

    One decimal below 100 units, trailing ``.0`` dropped; rounding carries into
    the next unit (999,960 -> "1M", 99,996,000 -> "1亿"). Values below the first
    unit keep up to two decimals (0.5, 12.25). Negative values get "-".
    NaN gives "–", infinities "∞" / "-∞".
    """
    units = _UNITS[norm_lang(lang)]
    x = float(x)
    if math.isnan(x):
        return "–"
    sign = "-" if x < 0 else ""
    v = abs(x)
    if math.isinf(v):
        return f"{sign}∞"

    i = max(k for k, (scale, _) in enumerate(units) if k == 0 or v >= scale)
    text = _format_scaled(v / units[i][0], plain=i == 0)
    # Rounding carry: 999_960 -> "1000k" -> "1M".
    if i + 1 < len(units) and float(text) * units[i][0] >= units[i + 1][0]:
        i += 1
        text = _format_scaled(v / units[i][0], plain=False)
    if text == "0":
        return "0"
    return f"{sign}{text}{units[i][1]}"


def format_sig(x: float, lang: str = "en", *, digits: int = 3, integer: bool = False) -> str:
    """A count with ``digits`` significant digits in a compact unit, trailing zeros kept, so that
    numbers compared side by side read alike: 92,100 and 89,700 -> "92.1k" / "89.7k" (zh "9.21万"
    / "8.97万"), 9,000 -> "9.00k". Below the first unit (1,000; zh 10,000) numbers are written
    out: whole numbers for counts of people (``integer=True``: 1.25 -> "1", 424 -> "424"), else
    ``digits`` significant digits (12.34 -> "12.3"). Rounding carries (999,960 -> "1.00M").
    """
    units = _UNITS[norm_lang(lang)]
    x = float(x)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return ("-" if x < 0 else "") + "∞"
    sign = "-" if x < 0 else ""
    v = abs(x)
    i = max(k for k, (scale, _) in enumerate(units) if k == 0 or v >= scale)
    if i == 0:
        text = _plain_sig(v, digits, integer)
        if float(text) < units[1][0]:
            return "0" if float(text) == 0 else sign + text
        i = 1  # 999.7 -> "1000": written in the next unit
    while True:
        r = float(f"{v / units[i][0]:.{digits}g}")  # rounded to the digits shown
        if i + 1 < len(units) and r * units[i][0] >= units[i + 1][0]:
            i += 1
            continue
        decimals = max(0, digits - 1 - math.floor(math.log10(r)))
        return f"{sign}{r:.{decimals}f}{units[i][1]}"


def format_same_unit(
    values: list[float], lang: str = "en", *, digits: int = 2, integer: bool = False, ref: int | None = None
) -> list[str]:
    """Several counts in one unit (set by the largest) with one number of decimals, set by
    ``values[ref]`` (default: the largest) to ``digits`` significant digits, so that numbers
    read together read alike: a difference and its half-width (8,100 and 1,230 -> "8.1k",
    "1.2k"; 1,700 and 582 -> "1.7k", "0.6k"), or a mean and its interval (79,500, 54,200, 100,000
    with ``ref=0`` and 3 digits -> "79.5k", "54.2k", "100.0k"). Below the first unit, counts of
    people (``integer``) are whole numbers. Zero is "0"; signs are kept."""
    units = _UNITS[norm_lang(lang)]
    finite = [abs(float(v)) for v in values if math.isfinite(float(v))]
    top = max(finite, default=0.0)
    if top == 0:
        return ["0" if math.isfinite(float(v)) else "–" for v in values]
    i = max(k for k, (scale, _) in enumerate(units) if k == 0 or top >= scale)
    if i + 1 < len(units) and float(f"{top / units[i][0]:.{digits}g}") * units[i][0] >= units[i + 1][0]:
        i += 1  # rounding carries into the next unit
    basis = abs(float(values[ref])) if ref is not None and math.isfinite(float(values[ref])) else top
    basis = basis if basis > 0 else top
    if i == 1 and basis < units[1][0] and top < 10 * units[1][0]:
        i = 0  # a mean of 700 with an interval up to 1,740 reads "700 (0-1740)", not "0.700k (0-1.740k)"
    scaled = float(f"{basis / units[i][0]:.{digits}g}")
    decimals = max(0, digits - 1 - math.floor(math.log10(scaled))) if scaled > 0 else 0
    if i == 0 and integer:
        decimals = 0
    out = []
    for v in values:
        v = float(v)
        if not math.isfinite(v):
            out.append("–")
            continue
        text = f"{abs(v) / units[i][0]:.{decimals}f}"
        if float(text) == 0:
            out.append("0")
            continue
        out.append(("-" if v < 0 else "") + text + units[i][1])
    return out


def _plain_sig(v: float, digits: int, integer: bool) -> str:
    if integer or v >= 10 ** (digits - 1):
        return str(int(round(v)))
    if v == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(v)))
    return _trim(f"{v:.{decimals}f}")


def count_formatter(lang: str = "en") -> FuncFormatter:
    """``FuncFormatter`` using :func:`format_count` (minus sign per ``axes.unicode_minus``)."""
    lang = norm_lang(lang)

    def _fmt(x: float, pos: int | None = None) -> str:
        text = format_count(x, lang)
        if text.startswith("-") and mpl.rcParams["axes.unicode_minus"]:
            text = "\u2212" + text[1:]
        return text

    return FuncFormatter(_fmt)


def format_percent(x: float, decimals: int = 1, lang: str = "en") -> str:
    """Format a fraction as a percentage: 0.123 -> "12.3%", 0.1 -> "10%", 0.0025 -> "0.25%".

    ``decimals`` is the number of decimals shown (trailing zeros dropped). Small
    non-zero values get extra decimals so they do not collapse to "0%" (two
    significant digits). ``lang`` is accepted for symmetry; both use "%".
    """
    norm_lang(lang)
    x = float(x)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return ("-" if x < 0 else "") + "∞%"
    pct = x * 100
    d = decimals
    if 0 < abs(pct) < 1:
        d = max(decimals, -math.floor(math.log10(abs(pct))) + 1)
    text = _trim(f"{pct:.{d}f}")
    if text in ("-0", ""):
        text = "0"
    return f"{text}%"


class _TickPercentFormatter(FuncFormatter):
    """Percent ticks with enough decimals that no two ticks print alike (0.5% steps: 1.5%, not 2%)."""

    def __init__(self, decimals: int, lang: str) -> None:
        self.decimals = decimals
        self.lang = lang
        self._ticks: list[float] = []
        super().__init__(self._format)

    def set_locs(self, locs) -> None:  # the axis passes its tick positions before labelling them
        self._ticks = sorted({float(v) for v in locs if math.isfinite(v)})

    def _tick_decimals(self) -> int:
        """Fewest decimals (at least ``decimals``) that print every tick exactly: a gridline at
        1.25% reads "1.25%", never a rounded "1.2%" beside a line that is not at 1.2%."""
        locs = self._ticks
        d = self.decimals
        while d < 6 and not all(abs(round(v * 100, d) - v * 100) < 1e-9 for v in locs):
            d += 1
        return d

    def _format(self, x: float, pos: int | None = None) -> str:
        text = format_percent(x, self._tick_decimals(), self.lang)
        if text.startswith("-") and mpl.rcParams["axes.unicode_minus"]:
            text = "\u2212" + text[1:]
        return text


def percent_formatter(decimals: int = 1, lang: str = "en") -> FuncFormatter:
    """``FuncFormatter`` for axes whose data are fractions (0..1).

    ``decimals`` is a minimum: on an axis, ticks get more decimals when needed to stay distinct.
    """
    return _TickPercentFormatter(decimals, norm_lang(lang))


# ---------------------------------------------------------------------------
# Parameter values (swept settings such as p0 = 0.00316)
# ---------------------------------------------------------------------------

#: Significant digits of a parameter value in text (ticks, labels, takeaways).
PARAM_DIGITS = 3


def _finite_floats(values: Iterable[object]) -> list[float]:
    out = []
    for v in values:
        if isinstance(v, (bool, str)):
            continue
        try:
            f = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def _value_text(x: float, digits: int) -> str:
    if x == 0:
        return "0"
    if x == int(x) and abs(x) < 1e15:  # whole numbers (sizes, counts) are exact as they are
        return str(int(x))
    if abs(x) >= 1:  # 12.3, 1235: no exponent for values a reader compares by eye
        decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
        return _trim(f"{x:.{decimals}f}")
    text = f"{x:.{digits}g}"
    if "e" in text:  # 1e-05 -> 1e-5
        mant, exp = text.split("e")
        text = f"{mant}e{int(exp)}"
    return text


def value_digits(values: Iterable[object], digits: int = PARAM_DIGITS) -> int:
    """Fewest significant digits (at least ``digits``) that print distinct ``values`` distinctly."""
    xs = sorted(set(_finite_floats(values)))
    d = digits
    while d < 17 and len({_value_text(x, d) for x in xs}) < len(xs):
        d += 1
    return d


def format_value(value: object, among: Iterable[object] | None = None, digits: int = PARAM_DIGITS) -> str:
    """A parameter value for text: 3 significant digits (0.00316228 -> "0.00316", 0.01 -> "0.01").

    ``among`` are the other values it is shown with (e.g. all swept values): digits are added
    until no two of them print alike (0.001 and 0.0010004 -> "0.001", "0.0010004"). Whole numbers
    print in full (20000), strings as they are. The value itself is never changed.
    """
    if isinstance(value, (str, bool)):
        return str(value)
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return ("-" if x < 0 else "") + "∞"
    pool = [x] + (_finite_floats(among) if among is not None else [])
    return _value_text(x, value_digits(pool, digits))


def value_formatter(values: Iterable[object], digits: int = PARAM_DIGITS) -> FuncFormatter:
    """Tick formatter for a swept parameter's axis: :func:`format_value` among ``values``."""
    pool = _finite_floats(values)
    d = value_digits(pool, digits)

    def _fmt(x: float, pos: int | None = None) -> str:
        return _value_text(float(x), value_digits(pool + [float(x)], d))

    return FuncFormatter(_fmt)
