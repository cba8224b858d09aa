"""Slide style for propsim charts: CJK fonts, 16:9 layout, formatters, palettes, labels.

Charts end up in 16:9 strategy slides and carry Chinese account names
(``@万达电影生活``), so every chart needs a font with CJK glyphs. The font is
resolved at run time (:func:`find_cjk_font`) and only families that are really
installed are put into ``font.family``.

Typical use::

    from simulator.plotting import (
        color_for_kind, count_formatter, label, save_figure, slide_style,
    )

    with slide_style("zh"):
        fig, ax = plt.subplots()
        ax.bar(names, reach, color=color_for_kind("official"))
        ax.yaxis.set_major_formatter(count_formatter("zh"))
        ax.set_ylabel(label("reach", "zh"))
        save_figure(fig, "out/reach", formats=("png", "pdf"))
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib.resources
import math
import os
import re
import uuid
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import matplotlib.style
from matplotlib import font_manager, ft2font
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from .fonts_bundled import bundled_cjk_fonts, is_bundled

__all__ = [
    "CJK_FONT_ENV",
    "KIND_COLORS",
    "LABELS",
    "NEUTRAL_COLOR",
    "STYLE_PATH",
    "TOPOLOGY_COLORS",
    "cjk_font_family",
    "color_for_kind",
    "color_for_topology",
    "count_formatter",
    "find_cjk_font",
    "format_count",
    "format_percent",
    "label",
    "percent_formatter",
    "save_figure",
    "slide_style",
    "use_style",
]

#: Environment variable that points at a CJK font file (.otf/.ttf/.ttc/.otc).
CJK_FONT_ENV = "PROPSIM_CJK_FONT"

#: Installation hint used in warnings and test failures.
CJK_FONT_FIX = (
    f"install fonts-noto-cjk (Debian/Ubuntu: apt-get install -y fonts-noto-cjk) or set {CJK_FONT_ENV}=/path/to/font"
)

#: Latin fallback, bundled with matplotlib (covers glyphs a CJK font may lack).
LATIN_FALLBACK = "DejaVu Sans"

#: Characters a usable font must contain (Han, the count units, '@', '%').
_CJK_PROBE = "触达人数万亿@%"

STYLE_PATH = importlib.resources.files(__package__) / "propsim.mplstyle"

# ---------------------------------------------------------------------------
# Language
# ---------------------------------------------------------------------------


def _norm_lang(lang: str) -> str:
    """Map 'en', 'EN', 'zh', 'zh-CN', 'zh_Hans', 'cn' to 'en' / 'zh'."""
    key = str(lang).strip().lower().replace("_", "-")
    if key == "en" or key.startswith("en-"):
        return "en"
    if key in ("zh", "cn") or key.startswith("zh-"):
        return "zh"
    raise ValueError(f"unsupported lang {lang!r}; use 'en' or 'zh'")


# ---------------------------------------------------------------------------
# Fonts
# ---------------------------------------------------------------------------

# Ranked basename patterns (lower case). Lower tier = preferred. Only regular
# weights are picked as the primary file; the bold sibling is registered too.
_FONT_TIERS: tuple[tuple[str, ...], ...] = (
    # Noto Sans CJK / Source Han Sans: Simplified-Chinese files, then the pan-CJK collection.
    (
        r"notosanscjksc-regular\.otf",
        r"notosanssc-regular\.(otf|ttf)",
        r"sourcehansanssc-regular\.(otf|ttf)",
        r"sourcehansanscn-regular\.(otf|ttf)",
        r"notosanscjk-regular\.tt[cf]",
        r"notosanscjk-regular\.otc",
        r"sourcehansans-regular\.(ttc|otc)",
    ),
    # Other Noto Sans CJK / Source Han Sans regular files (TC/HK/JP/KR subsets cover Han too).
    (r"(notosanscjk|sourcehansans)[a-z]*-regular\.(otf|ttf|ttc|otc)",),
    # Platform fonts (macOS, Windows).
    (
        r"pingfang\.ttc",
        r"hiragino sans gb\.ttc",
        r"msyh\.tt[cf]",
        r"simhei\.ttf",
        r"stheiti.*\.ttc",
    ),
    # Last resorts (no bold, or serif).
    (
        r"wqy-microhei\.tt[cf]",
        r"wqy-zenhei\.tt[cf]",
        r"droidsansfallback(full)?\.ttf",
        r"notoserifcjk(sc)?-regular\.(otf|ttc)",
        r"uming\.tt[cf]",
    ),
)
# Variable fonts render in their default (often Thin) instance in matplotlib.
_VARIABLE_FONT = re.compile(r"(-vf\b|variable|\[wght)", re.IGNORECASE)


@dataclass(frozen=True)
class _FontChoice:
    path: Path | None
    family: str | None
    problem: str | None = None  # why the env var was not used, if it was set


def _font_rank(path: str) -> tuple[int, int] | None:
    base = os.path.basename(path).lower()
    if _VARIABLE_FONT.search(base):
        return None
    for tier, patterns in enumerate(_FONT_TIERS):
        for order, pattern in enumerate(patterns):
            if re.fullmatch(pattern, base):
                return tier, order
    return None


def _candidate_font_files() -> list[str]:
    """Font files known to matplotlib's cache plus those found on the system now."""
    seen: dict[str, None] = {}
    for entry in font_manager.fontManager.ttflist:
        seen.setdefault(entry.fname, None)
    # The cached list misses fonts installed after the cache was built.
    for fname in font_manager.findSystemFonts():
        seen.setdefault(fname, None)
    return [fname for fname in seen if not is_bundled(fname)]  # bundled fonts come last


def _has_cjk_glyphs(path: Path) -> bool:
    try:
        font = ft2font.FT2Font(os.fspath(path))
    except (OSError, RuntimeError, ValueError):  # unreadable or not a font
        return False
    return all(font.get_char_index(ord(ch)) for ch in _CJK_PROBE)


def _same_file(a: str, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _register(path: Path) -> None:
    fm = font_manager.fontManager
    if not any(_same_file(e.fname, path) for e in fm.ttflist):
        fm.addfont(os.fspath(path))


def _bold_sibling(path: Path) -> Path | None:
    name = path.name
    for regular, bold in (("-Regular", "-Bold"), ("-regular", "-bold"), ("Regular", "Bold")):
        if regular in name:
            candidate = path.with_name(name.replace(regular, bold, 1))
            if candidate.is_file():
                return candidate
    return None


@functools.lru_cache(maxsize=64)
def _is_cff_font(path: str, face_index: int = 0) -> bool:
    """True if the font (face) has PostScript/CFF outlines ('OTTO'), not TrueType ones.

    Noto Sans CJK and Source Han Sans are CFF, also inside their .ttc collections.
    """
    try:
        with open(path, "rb") as fh:
            tag = fh.read(4)
            if tag == b"ttcf":  # collection: header, version, numFonts, offsets
                fh.seek(12 + 4 * face_index)
                fh.seek(int.from_bytes(fh.read(4), "big"))
                tag = fh.read(4)
    except OSError:
        return False
    return tag == b"OTTO"


def _pdf_fonttype(font_files: Iterable[tuple[str, int]]) -> int:
    """42 (embedded TrueType) unless a font has CFF outlines, then 3.

    matplotlib embeds every font as TrueType ('FontFile2' / CIDFontType2) under
    Type 42; CFF data under that label is a spec violation that poppler warns
    about and Acrobat can render as wrong glyphs. Type 3 embeds the glyph
    outlines themselves and displays the same everywhere (text is not selectable).
    """
    return 3 if any(_is_cff_font(path, index) for path, index in font_files) else 42


def _fonttype_params(fonttype: int) -> dict[str, int]:
    # Same value for both: matplotlib 3.11's PDF backend sizes its glyph
    # subsets from ps.fonttype and fails on CJK text with pdf 3 / ps 42.
    return {"pdf.fonttype": fonttype, "ps.fonttype": fonttype}


def _family_for(path: Path) -> str | None:
    """Family name matplotlib registered for ``path``; prefer Simplified Chinese faces."""
    names: list[str] = []
    for entry in font_manager.fontManager.ttflist:
        if entry.name not in names and _same_file(entry.fname, path):
            names.append(entry.name)
    if not names:
        return None

    def preference(name: str) -> tuple[bool, bool, int]:
        simplified = bool(re.search(r"\b(SC|CN|GB|Hans)\b", name)) or "YaHei" in name
        return ("Mono" in name, not simplified, names.index(name))

    return min(names, key=preference)


def _use_font(path: Path) -> _FontChoice:
    _register(path)
    bold = _bold_sibling(path)
    if bold is not None:
        _register(bold)
    return _FontChoice(path=path, family=_family_for(path))


@functools.cache
def _resolve_cjk_font(env_value: str | None) -> _FontChoice:
    problem = None
    if env_value:
        path = Path(env_value).expanduser()
        if not path.is_file():
            problem = f"{CJK_FONT_ENV}={env_value!r} is not a font file"
        elif not _has_cjk_glyphs(path):
            problem = f"{CJK_FONT_ENV}={env_value!r} has no Chinese glyphs"
        else:
            choice = _use_font(path.resolve())
            if choice.family is not None:
                return choice
            problem = f"matplotlib could not load {CJK_FONT_ENV}={env_value!r}"

    ranked = sorted((rank, fname) for fname in _candidate_font_files() if (rank := _font_rank(fname)) is not None)
    for fname in [fname for _, fname in ranked] + bundled_cjk_fonts():
        path = Path(fname)
        if path.is_file() and _has_cjk_glyphs(path):
            choice = _use_font(path)
            if choice.family is not None:
                return _FontChoice(choice.path, choice.family, problem)
    return _FontChoice(path=None, family=None, problem=problem)


def _current_choice() -> _FontChoice:
    return _resolve_cjk_font(os.environ.get(CJK_FONT_ENV) or None)


def find_cjk_font() -> Path | None:
    """Locate a CJK font file, register it with matplotlib and return its path.

    Order: ``$PROPSIM_CJK_FONT`` (if it is a readable font with Chinese glyphs),
    then Noto Sans CJK / Source Han Sans, then platform fonts (PingFang,
    Microsoft YaHei, SimHei), then WenQuanYi / Droid fallbacks, then the Noto Sans CJK SC that
    propsim's dependencies bring (:mod:`simulator.plotting.fonts_bundled`). A ``-Bold``
    sibling file is registered too so bold titles use a real bold.

    Font collections (.ttc) work: matplotlib 3.11 registers every face, so
    Debian's ``NotoSansCJK-Regular.ttc`` gives "Noto Sans CJK SC". matplotlib
    3.8-3.10 register only the first face, "Noto Sans CJK JP": every Han glyph
    is there, but some characters take their Japanese forms.

    The result is cached per value of ``$PROPSIM_CJK_FONT``; call
    ``find_cjk_font.cache_clear()`` after installing fonts in a running process.
    Returns ``None`` when no usable font exists.
    """
    return _current_choice().path


find_cjk_font.cache_clear = _resolve_cjk_font.cache_clear  # type: ignore[attr-defined]


def cjk_font_family() -> str | None:
    """Family name of the resolved CJK font (e.g. ``"Noto Sans CJK SC"``), or ``None``.

    Useful outside matplotlib too, e.g. as the East-Asian typeface in a pptx run.
    """
    return _current_choice().family


def _font_family_installed(name: str) -> bool:
    return any(entry.name == name for entry in font_manager.fontManager.ttflist)


def use_style(lang: str = "en") -> None:
    """Apply the propsim slide style to the global rcParams.

    Loads ``propsim.mplstyle`` (16:9 at 13.333 x 7.5 in, large text, no top/right
    spines, 200 dpi PNG, fonts embedded in PDF, outlined SVG text) and sets
    ``font.family`` to the resolved CJK font followed by a Latin fallback, listing
    only families that are installed. The same font stack is used for ``"en"``
    and ``"zh"`` because account names are Chinese in both; ``lang`` is validated.

    If no CJK font is found, emits one ``UserWarning`` explaining the fix.
    Prefer :func:`slide_style` to keep the change local.
    """
    _apply_style(lang, stacklevel=3)  # warnings point at the caller


def _apply_style(lang: str, stacklevel: int) -> None:
    _norm_lang(lang)
    with importlib.resources.as_file(STYLE_PATH) as style_file:
        matplotlib.style.use(os.fspath(style_file))

    choice = _current_choice()
    families: list[str] = []
    if choice.family is not None:
        families.append(choice.family)
    if _font_family_installed(LATIN_FALLBACK):
        families.append(LATIN_FALLBACK)
    if families:
        mpl.rcParams["font.family"] = families
    # else: leave matplotlib's default family alone (it always resolves).
    if choice.path is not None:
        mpl.rcParams.update(_fonttype_params(_pdf_fonttype([(os.fspath(choice.path), 0)])))

    if choice.family is None:
        reason = f" ({choice.problem})" if choice.problem else ""
        warnings.warn(
            f"propsim: no CJK font found{reason}; Chinese text would render as empty boxes. Fix: {CJK_FONT_FIX}.",
            UserWarning,
            stacklevel=stacklevel,
        )
    elif choice.problem:
        warnings.warn(
            f"propsim: {choice.problem}; using {choice.path} instead.",
            UserWarning,
            stacklevel=stacklevel,
        )


@contextlib.contextmanager
def slide_style(lang: str = "en") -> Iterator[None]:
    """Context manager: apply :func:`use_style` and restore rcParams on exit."""
    with mpl.rc_context():
        # stack: _apply_style, this generator, contextlib __enter__, caller
        _apply_style(lang, stacklevel=4)
        yield


# ---------------------------------------------------------------------------
# Number formatters
# ---------------------------------------------------------------------------

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
    units = _UNITS[_norm_lang(lang)]
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


def count_formatter(lang: str = "en") -> FuncFormatter:
    """``FuncFormatter`` using :func:`format_count` (minus sign per ``axes.unicode_minus``)."""
    lang = _norm_lang(lang)

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
    _norm_lang(lang)
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
        locs = self._ticks
        d = self.decimals
        while d < 6 and len({format_percent(v, d, self.lang) for v in locs}) < len(locs):
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
    return _TickPercentFormatter(decimals, _norm_lang(lang))


# ---------------------------------------------------------------------------
# Parameter values (swept settings such as p0 = 0.00316)
# ---------------------------------------------------------------------------

#: Significant digits of a parameter value in text (ticks, labels, takeaways).
PARAM_DIGITS = 3


def _finite_floats(values: Iterable[object]) -> list[float]:
    out = []
    for v in values:
        if isinstance(v, bool) or isinstance(v, str):
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
    if isinstance(value, str) or isinstance(value, bool):
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


# ---------------------------------------------------------------------------
# Palettes (Okabe-Ito, colour-blind safe)
# ---------------------------------------------------------------------------

OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "bluish_green": "#009E73",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "sky_blue": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: Colour for unknown names and for the "other" account kind.
NEUTRAL_COLOR = "#8C8C8C"

TOPOLOGY_COLORS: dict[str, str] = {
    "centralized": OKABE_ITO["blue"],
    "organic": OKABE_ITO["bluish_green"],
    "hub": OKABE_ITO["vermillion"],
    "dandelion": OKABE_ITO["orange"],
    "honeycomb": OKABE_ITO["reddish_purple"],
    "twin_star": OKABE_ITO["sky_blue"],
}

KIND_COLORS: dict[str, str] = {
    "official": OKABE_ITO["blue"],
    "sub_brand": OKABE_ITO["sky_blue"],
    "regional": OKABE_ITO["bluish_green"],
    "executive": OKABE_ITO["vermillion"],
    "employee": OKABE_ITO["orange"],
    "vertical": OKABE_ITO["reddish_purple"],
    "other": NEUTRAL_COLOR,
}


def _norm_key(name: str) -> str:
    """'Twin-Star', 'twin star', 'TWIN_STAR' -> 'twin_star'; Chinese labels map back to keys."""
    text = str(name).strip()
    if text in _ZH_TO_KEY:
        return _ZH_TO_KEY[text]
    return re.sub(r"[\s\-]+", "_", text.lower())


def color_for_topology(name: str) -> str:
    """Colour of a topology preset ("twin_star", "Twin star", "双子星式"); grey if unknown."""
    return TOPOLOGY_COLORS.get(_norm_key(name), NEUTRAL_COLOR)


def color_for_kind(kind: str) -> str:
    """Colour of an account kind ("sub_brand", "sub-brand", "子品牌号"); grey if unknown."""
    return KIND_COLORS.get(_norm_key(kind), NEUTRAL_COLOR)


# ---------------------------------------------------------------------------
# Bilingual labels
# ---------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    # metrics
    "reach": {"en": "Reach", "zh": "触达人数"},
    "direct_reach": {"en": "Direct reach", "zh": "直接触达人数"},
    "second_level_reach": {"en": "Second-level reach", "zh": "二级触达人数"},
    "impressions": {"en": "Impressions", "zh": "曝光量"},
    "repost_probability": {"en": "Repost probability", "zh": "转发概率"},
    "fatigue_share": {"en": "Fatigue share", "zh": "疲劳占比"},
    "mutes": {"en": "Mutes", "zh": "屏蔽数"},
    "unfollows": {"en": "Unfollows", "zh": "取关数"},
    "exits": {"en": "Exits", "zh": "流失人数"},
    "time_hours": {"en": "Time (hours)", "zh": "时间（小时）"},
    "followers": {"en": "Followers", "zh": "粉丝数"},
    "exposures_per_person": {"en": "Exposures per person", "zh": "人均曝光次数"},
    "effective_reach": {"en": "Effective reach", "zh": "有效触达人数"},
    "relays": {"en": "Relays", "zh": "接力转发数"},
    "first_exposures": {"en": "First exposures", "zh": "首次曝光人数"},
    "net_audience_change": {"en": "Net audience change", "zh": "受众净变化"},
    "topology": {"en": "Topology", "zh": "矩阵结构"},
    "fatigued": {"en": "Fatigued", "zh": "疲劳人数"},
    "account_relays": {"en": "Account relays", "zh": "账号接力转发数"},
    "follower_reposts": {"en": "Follower reposts", "zh": "粉丝转发数"},
    # topology presets
    "centralized": {"en": "Centralized", "zh": "集权式"},
    "organic": {"en": "Organic", "zh": "分布式"},
    "hub": {"en": "Hub", "zh": "HUB式"},
    "dandelion": {"en": "Dandelion", "zh": "蒲公英式"},
    "honeycomb": {"en": "Honeycomb", "zh": "蜂巢式"},
    "twin_star": {"en": "Twin star", "zh": "双子星式"},
    # account kinds
    "official": {"en": "Official", "zh": "官方号"},
    "sub_brand": {"en": "Sub-brand", "zh": "子品牌号"},
    "regional": {"en": "Regional", "zh": "地区号"},
    "executive": {"en": "Executive", "zh": "高管号"},
    "employee": {"en": "Employee", "zh": "员工号"},
    "vertical": {"en": "Vertical", "zh": "垂类号"},
    "other": {"en": "Other", "zh": "其他"},
}

_ZH_TO_KEY = {texts["zh"]: key for key, texts in LABELS.items()}

#: Extra spellings accepted by :func:`label`.
_LABEL_ALIASES = {
    "time": "time_hours",
    "hours": "time_hours",
    "second_reach": "second_level_reach",
    "indirect_reach": "second_level_reach",
    "net_change": "net_audience_change",
    "twinstar": "twin_star",
    "subbrand": "sub_brand",
}


def label(key: str, lang: str = "en") -> str:
    """Display label for ``key`` in ``lang`` (``label("reach", "zh") == "触达人数"``).

    Keys are case/space/hyphen-insensitive (``"Twin-star"``, ``"direct reach"``).
    Unknown keys raise ``KeyError`` with close matches, so typos do not reach a slide.
    """
    lang = _norm_lang(lang)
    norm = _norm_key(key)
    norm = _LABEL_ALIASES.get(norm, norm)
    try:
        return LABELS[norm][lang]
    except KeyError:
        close = difflib.get_close_matches(norm, LABELS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"no label for {key!r}{hint}") from None


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------

_SAVE_FORMATS = ("png", "svg", "pdf")
MIN_PNG_DPI = 200

# Font embedding is part of save_figure's contract, whatever the caller's rcParams.
# A fixed hash salt (SVG element ids) and no timestamps make re-running a
# scenario give byte-identical files.
_SAVE_PARAMS = {"svg.fonttype": "path", "svg.hashsalt": "propsim"}
_METADATA = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}


def save_figure(
    fig: Figure,
    path: str | os.PathLike[str],
    formats: Iterable[str] = ("png",),
    *,
    dpi: float | None = None,
) -> list[Path]:
    """Save ``fig`` once per format, atomically; return the written paths.

    ``path`` is the output name with or without an extension: ``out/reach`` and
    ``out/reach.png`` both give ``out/reach.png`` / ``out/reach.pdf`` for
    ``formats=("png", "pdf")``. Parent directories are created.

    Each file is written to a temporary file in the same directory and moved in
    place with ``os.replace``, so readers never see a half-written chart. PNG is
    written at ``max(dpi or savefig.dpi, 200)`` dpi. Vector files never need the
    font installed: SVG draws text as outlines; PDF embeds font subsets as Type 42
    (TrueType, selectable text), or as Type 3 glyph procedures when a font used by
    the figure has CFF outlines (Noto Sans CJK, Source Han Sans), which matplotlib
    cannot embed correctly as Type 42.
    """
    fmts: list[str] = []
    for fmt in formats:
        f = str(fmt).lower().lstrip(".")
        if f not in _SAVE_FORMATS:
            raise ValueError(f"unsupported format {fmt!r}; use one of {_SAVE_FORMATS}")
        if f not in fmts:
            fmts.append(f)
    if not fmts:
        raise ValueError("formats is empty")

    target = Path(path)
    base = target.with_suffix("") if target.suffix.lower().lstrip(".") in _SAVE_FORMATS else target
    base.parent.mkdir(parents=True, exist_ok=True)

    if dpi is None:
        rc_dpi = mpl.rcParams["savefig.dpi"]
        dpi = fig.dpi if rc_dpi == "figure" else float(rc_dpi)
    dpi = max(float(dpi), MIN_PNG_DPI)

    pdf_fonts = _fonttype_params(_pdf_fonttype(_figure_font_files(fig))) if "pdf" in fmts else {}

    written: list[Path] = []
    for fmt in fmts:
        final = base.with_name(f"{base.name}.{fmt}")
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.tmp")
        try:
            # 'xb' honours the umask (mkstemp would leave the file 0600).
            with mpl.rc_context({**_SAVE_PARAMS, **pdf_fonts}), open(tmp, "xb") as fh:
                fig.savefig(fh, format=fmt, dpi=dpi, metadata=_METADATA.get(fmt))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        written.append(final)
    return written


def _figure_font_files(fig: Figure) -> set[tuple[str, int]]:
    """(path, face index) of every font the figure's text may use, fallbacks included."""
    fig.draw_without_rendering()  # creates tick labels with their final fonts
    files: set[tuple[str, int]] = set()
    seen: set[font_manager.FontProperties] = set()
    for text in fig.findobj(Text):
        if not text.get_text() or not text.get_visible():
            continue
        prop = text.get_fontproperties()
        if prop in seen:
            continue
        seen.add(prop)
        for family in prop.get_family():
            one = prop.copy()
            one.set_family(family)
            found = font_manager.findfont(one)
            files.add((str(found), getattr(found, "face_index", 0)))
    return files
