"""A 16:9 PowerPoint deck from rendered charts (python-pptx, the optional ``deck`` extra).

Slides: a title slide, one chart per slide under a one-line takeaway headline, and a summary
table slide. Every slide uses the blank layout with our own text boxes: the default template is
4:3 and its placeholders would sit over the pictures. Every text run gets both a Latin and an
East-Asian typeface (``a:latin`` and ``a:ea``): PowerPoint picks the typeface per script, and
``font.name`` alone leaves Chinese text in the theme's East-Asian font.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["DEFAULT_EA_FONT", "DEFAULT_LATIN_FONT", "DeckSlide", "DeckText", "build_deck", "require_pptx"]

SLIDE_W_IN, SLIDE_H_IN = 13.333, 7.5
#: Typefaces written into the deck (they are rendered by the viewer's PowerPoint, not embedded).
DEFAULT_LATIN_FONT = "Arial"
#: Installed with Office in Simplified-Chinese setups and on Windows; viewers substitute otherwise.
DEFAULT_EA_FONT = "Microsoft YaHei"

_DARK = (0x22, 0x22, 0x22)
_GREY = (0x55, 0x55, 0x55)
_ACCENT = (0x00, 0x72, 0xB2)  # Okabe-Ito blue, the official-account colour of the charts


def require_pptx() -> None:
    """Raise a clear error when python-pptx (the ``deck`` extra) is missing."""
    try:
        import pptx  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "--deck needs python-pptx: install propsim with the 'deck' extra "
            "(uv sync --extra deck, or pip install 'propsim[deck]')"
        ) from None


@dataclass(frozen=True)
class DeckSlide:
    """One chart slide: the picture (a PNG) under a one-line headline (the takeaway)."""

    image: Path
    headline: str


@dataclass(frozen=True)
class DeckText:
    """A text slide (the recommendation): a small heading, a headline, bullets and a table."""

    headline: str
    bullets: list[str]
    table: pd.DataFrame | None = None
    heading: str = ""


def _set_run_font(
    run,
    *,
    size: float,
    bold: bool = False,
    color: tuple[int, int, int] = _DARK,
    latin: str = DEFAULT_LATIN_FONT,
    ea: str = DEFAULT_EA_FONT,
    lang: str = "en",
) -> None:
    from pptx.dml.color import RGBColor
    from pptx.oxml.ns import qn
    from pptx.util import Pt

    font = run.font
    font.size = Pt(size)
    font.bold = bold
    font.color.rgb = RGBColor(*color)
    font.name = latin  # writes a:latin
    rpr = run._r.get_or_add_rPr()
    rpr.set("lang", "zh-CN" if lang == "zh" else "en-US")
    rpr.set("altLang", "en-US" if lang == "zh" else "zh-CN")
    for tag in ("a:ea", "a:cs"):
        old = rpr.find(qn(tag))
        if old is not None:
            rpr.remove(old)
    # Schema order inside a:rPr: ... a:latin, a:ea, a:cs, a:sym ...
    latin_el = rpr.find(qn("a:latin"))
    ea_el = rpr.makeelement(qn("a:ea"), {"typeface": ea})
    cs_el = rpr.makeelement(qn("a:cs"), {"typeface": latin})
    latin_el.addnext(ea_el)
    ea_el.addnext(cs_el)


def _text_box(
    slide,
    left: float,
    top: float,
    width: float,
    height: float,
    text: str,
    *,
    size: float,
    bold: bool = False,
    color: tuple[int, int, int] = _DARK,
    align: str = "left",
    anchor: str = "top",
    lang: str = "en",
    fonts: tuple[str, str],
) -> None:
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches

    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(width), Inches(height))
    tf = box.text_frame
    tf.word_wrap = True
    tf.vertical_anchor = {"top": MSO_ANCHOR.TOP, "middle": MSO_ANCHOR.MIDDLE, "bottom": MSO_ANCHOR.BOTTOM}[anchor]
    for k, line in enumerate(text.split("\n")):
        para = tf.paragraphs[0] if k == 0 else tf.add_paragraph()
        para.alignment = {"left": PP_ALIGN.LEFT, "center": PP_ALIGN.CENTER}[align]
        run = para.add_run()
        run.text = line
        _set_run_font(run, size=size, bold=bold, color=color, latin=fonts[0], ea=fonts[1], lang=lang)


def _text_weight(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _headline_size(text: str) -> float:
    """Point size that keeps a takeaway within two lines of the 12.4 in headline box."""
    weight = _text_weight(text)  # CJK characters are about twice as wide as Latin ones
    return 24 if weight <= 80 else 22 if weight <= 150 else 20 if weight <= 180 else 18


def build_deck(
    slides: Sequence[DeckSlide | DeckText],
    path: str | os.PathLike,
    *,
    title: str,
    subtitle: str = "",
    table: pd.DataFrame | None = None,
    table_title: str = "",
    lang: str = "en",
    latin_font: str = DEFAULT_LATIN_FONT,
    ea_font: str = DEFAULT_EA_FONT,
) -> Path:
    """Write a 16:9 (13.333 x 7.5 in) deck: title slide, one slide per chart (or text slide, in
    the order given), summary table.

    Returns the path written (atomically: a half-written deck never replaces an old one).
    """
    path = Path(path)
    if path.suffix.lower() != ".pptx":
        raise ValueError(f"deck file {path}: the name must end in .pptx")
    require_pptx()
    from pptx import Presentation
    from pptx.util import Inches

    from simulator.results.output import atomic_write

    fonts = (latin_font, ea_font)
    prs = Presentation()
    prs.slide_width = Inches(SLIDE_W_IN)
    prs.slide_height = Inches(SLIDE_H_IN)
    blank = next(layout for layout in prs.slide_layouts if layout.name == "Blank")
    prs.core_properties.title = title
    prs.core_properties.language = "zh-CN" if lang == "zh" else "en-US"

    _title_slide(prs.slides.add_slide(blank), title, subtitle, lang=lang, fonts=fonts)
    for sl in slides:
        if isinstance(sl, DeckText):
            _text_slide(prs.slides.add_slide(blank), sl, lang=lang, fonts=fonts)
        else:
            _chart_slide(prs.slides.add_slide(blank), sl, lang=lang, fonts=fonts)
    if table is not None and not table.empty:
        _table_slide(prs.slides.add_slide(blank), table, table_title, lang=lang, fonts=fonts)

    written = atomic_write(path, prs.save)
    _chmod_like_new_file(written)
    return written


_SIDE, _TOP, _BOTTOM = 0.45, 1.3, 0.2  # slide margins (inches): sides, top of the picture, bottom


def _title_slide(s: Any, title: str, subtitle: str, *, lang: str, fonts: tuple[str, str]) -> None:
    """An accent bar, the title and the subtitle."""
    from pptx.dml.color import RGBColor
    from pptx.util import Inches

    bar = s.shapes.add_shape(1, Inches(0.6), Inches(2.55), Inches(0.12), Inches(1.9))  # 1 = rectangle
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor(*_ACCENT)
    bar.line.fill.background()
    _text_box(s, 0.95, 2.35, 11.6, 1.5, title, size=36, bold=True, anchor="bottom", lang=lang, fonts=fonts)
    _text_box(s, 0.95, 3.95, 11.6, 1.4, subtitle, size=18, color=_GREY, lang=lang, fonts=fonts)


def _chart_slide(s: Any, sl: DeckSlide, *, lang: str, fonts: tuple[str, str]) -> None:
    """The headline on top, the picture scaled to the space below, centred."""
    from PIL import Image
    from pptx.util import Emu, Inches

    width = SLIDE_W_IN - 2 * _SIDE
    size = _headline_size(sl.headline)
    _text_box(s, _SIDE, 0.25, width, 0.95, sl.headline, size=size, bold=True, anchor="middle", lang=lang, fonts=fonts)
    avail_w, avail_h = width, SLIDE_H_IN - _TOP - _BOTTOM
    with Image.open(sl.image) as im:
        w_px, h_px = im.size
    scale = min(avail_w / w_px, avail_h / h_px)
    w_in, h_in = w_px * scale, h_px * scale
    left = Inches((SLIDE_W_IN - w_in) / 2)
    s.shapes.add_picture(os.fspath(sl.image), left, Inches(_TOP), Emu(int(Inches(w_in))), Emu(int(Inches(h_in))))


def _text_slide(s: Any, sl: DeckText, *, lang: str, fonts: tuple[str, str]) -> None:
    """Heading, headline, bullets, then the table in the space left (top rows if it is long)."""
    width = SLIDE_W_IN - 2 * _SIDE
    if sl.heading:
        _text_box(s, _SIDE, 0.2, width, 0.45, sl.heading, size=16, bold=True, color=_ACCENT, lang=lang, fonts=fonts)
    size = _headline_size(sl.headline)
    _text_box(s, _SIDE, 0.6, width, 0.95, sl.headline, size=size, bold=True, anchor="middle", lang=lang, fonts=fonts)
    bullets = "\n".join(f"• {b}" for b in sl.bullets)
    lines = sum(max(1, -(-_text_weight(b) // 118)) for b in sl.bullets)  # ~118 Latin chars per line at 15 pt
    height = min(0.31 * lines + 0.25, 3.2)
    _text_box(s, _SIDE, 1.65, width, height, bullets, size=15, color=_DARK, lang=lang, fonts=fonts)
    if sl.table is not None and not sl.table.empty:
        top = 1.75 + height
        rows = max(1, int((SLIDE_H_IN - 0.25 - top) / 0.42) - 1)
        _add_table(s, sl.table.head(rows), top, SLIDE_H_IN - 0.25 - top, lang=lang, fonts=fonts)


def _table_slide(s: Any, table: pd.DataFrame, caption: str, *, lang: str, fonts: tuple[str, str]) -> None:
    """The summary table, columns as wide as their longest text, and its caption."""
    width = SLIDE_W_IN - 2 * _SIDE
    heading = "Summary" if lang == "en" else "汇总"
    _text_box(s, _SIDE, 0.3, width, 0.8, heading, size=28, bold=True, anchor="middle", lang=lang, fonts=fonts)
    height = _add_table(s, table, 1.35, 5.2, lang=lang, fonts=fonts)
    if caption:
        _text_box(s, _SIDE, 1.45 + height, width, 0.8, caption, size=14, color=_GREY, lang=lang, fonts=fonts)


def _add_table(s: Any, table: pd.DataFrame, top: float, max_h: float, *, lang: str, fonts: tuple[str, str]) -> float:
    """A table at ``top`` (inches), rows at most 0.6 in; returns its height (inches)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Emu, Inches

    width = SLIDE_W_IN - 2 * _SIDE
    rows, cols = len(table) + 1, len(table.columns)
    row_h = min(0.6, max_h / rows)
    tbl = s.shapes.add_table(rows, cols, Inches(_SIDE), Inches(top), Inches(width), Inches(row_h * rows)).table
    size = 16 if cols <= 4 else 14 if cols <= 7 else 12
    # Column widths follow the longest text in each column (CJK counted double), so the
    # "17.9k (16.2k–19.6k)" cells do not wrap.
    lengths = [max(_text_weight(str(v)) for v in [c, *table[c].astype(str)]) + 2 for c in table.columns]
    for j, n in enumerate(lengths):
        tbl.columns[j].width = Emu(int(Inches(width) * n / sum(lengths)))
    for j, col in enumerate(table.columns):
        _cell(tbl.cell(0, j), str(col), size=size, bold=True, color=(0xFF, 0xFF, 0xFF), lang=lang, fonts=fonts)
        tbl.cell(0, j).fill.solid()
        tbl.cell(0, j).fill.fore_color.rgb = RGBColor(*_ACCENT)
    for i, (_, row) in enumerate(table.iterrows(), start=1):
        for j, value in enumerate(row):
            _cell(tbl.cell(i, j), str(value), size=size, bold=j == 0, lang=lang, fonts=fonts)
    return row_h * rows


def _chmod_like_new_file(path: Path) -> None:
    """Give the deck the permissions of a normally created file (mkstemp makes it 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def _cell(
    cell,
    text: str,
    *,
    size: float,
    bold: bool = False,
    color: tuple[int, int, int] = _DARK,
    lang: str,
    fonts: tuple[str, str],
) -> None:
    tf = cell.text_frame
    tf.word_wrap = True
    para = tf.paragraphs[0]
    for r in list(para.runs):
        r._r.getparent().remove(r._r)
    run = para.add_run()
    run.text = text
    _set_run_font(run, size=size, bold=bold, color=color, latin=fonts[0], ea=fonts[1], lang=lang)
