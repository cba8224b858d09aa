"""Saving figures: atomically, reproducibly, with fonts that display the same everywhere."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text

from simulator.plotting.fonts import _fonttype_params, _pdf_fonttype

__all__ = ["MIN_PNG_DPI", "save_figure"]


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
            rc: Any = {**_SAVE_PARAMS, **pdf_fonts}  # rc_context's stub wants literal keys
            with mpl.rc_context(rc), open(tmp, "xb") as fh:
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
