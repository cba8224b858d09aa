"""Finding a CJK font at run time and registering it with matplotlib.

Charts carry Chinese account names (``@万达电影生活``) in both languages, so every chart needs a
font with CJK glyphs. :func:`find_cjk_font` resolves one (``$PROPSIM_CJK_FONT``, then Noto Sans
CJK / Source Han Sans, then platform fonts, then last resorts) and only families that are really
installed are put into ``font.family`` (a missing family logs a line on every text draw). The PDF
font type depends on the outlines of the fonts used (CFF fonts embed as Type 3).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager, ft2font

from simulator.plotting.fonts_bundled import bundled_cjk_fonts, is_bundled

__all__ = ["CJK_FONT_ENV", "CJK_FONT_FIX", "LATIN_FALLBACK", "cjk_font_family", "find_cjk_font"]

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
