"""The slide style of propsim charts: 16:9, large type, a CJK font, embedded fonts.

Typical use::

    from simulator.plotting import color_for_kind, count_formatter, label, save_figure, slide_style

    with slide_style("zh"):
        fig, ax = plt.subplots()
        ax.bar(names, reach, color=color_for_kind("official"))
        ax.yaxis.set_major_formatter(count_formatter("zh"))
        ax.set_ylabel(label("reach", "zh"))
        save_figure(fig, "out/reach", formats=("png", "pdf"))

This module applies the style; the pieces live in their own modules (:mod:`.fonts`,
:mod:`.formatters`, :mod:`.palette`, :mod:`.labels`, :mod:`.saving`) and are re-exported here so
that ``from simulator.plotting.style import label, KIND_COLORS, ...`` keeps working.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import warnings
from collections.abc import Iterator
from typing import Any

import matplotlib as mpl
import matplotlib.style

from simulator.plotting.fonts import (
    CJK_FONT_ENV,
    CJK_FONT_FIX,
    LATIN_FALLBACK,
    _current_choice,
    _font_family_installed,
    _fonttype_params,
    _pdf_fonttype,
    cjk_font_family,
    find_cjk_font,
)
from simulator.plotting.formatters import (
    PARAM_DIGITS,
    count_formatter,
    format_count,
    format_percent,
    format_value,
    percent_formatter,
    value_digits,
    value_formatter,
)
from simulator.plotting.labels import LABELS, label
from simulator.plotting.lang import norm_lang
from simulator.plotting.palette import (
    KIND_COLORS,
    NEUTRAL_COLOR,
    OKABE_ITO,
    TOPOLOGY_COLORS,
    color_for_kind,
    color_for_topology,
)
from simulator.plotting.saving import MIN_PNG_DPI, save_figure

__all__ = [
    "CJK_FONT_ENV",
    "CJK_FONT_FIX",
    "KIND_COLORS",
    "LABELS",
    "MIN_PNG_DPI",
    "NEUTRAL_COLOR",
    "OKABE_ITO",
    "PARAM_DIGITS",
    "STYLE_PATH",
    "TOPOLOGY_COLORS",
    "cjk_font_family",
    "color_for_kind",
    "color_for_topology",
    "count_formatter",
    "find_cjk_font",
    "format_count",
    "format_percent",
    "format_value",
    "label",
    "percent_formatter",
    "save_figure",
    "slide_style",
    "use_style",
    "value_digits",
    "value_formatter",
]

STYLE_PATH = importlib.resources.files(__package__) / "propsim.mplstyle"


def use_style(lang: str = "en") -> None:
    """Apply the propsim slide style to the global rcParams.

    Loads ``propsim.mplstyle`` (16:9 at 13.333 x 7.5 in, large text, no top/right spines, 200 dpi
    PNG, fonts embedded in PDF, outlined SVG text) and sets ``font.family`` to the resolved CJK
    font followed by a Latin fallback, listing only families that are installed. The same font
    stack is used for ``"en"`` and ``"zh"`` because account names are Chinese in both; ``lang``
    is validated.

    If no CJK font is found, emits one ``UserWarning`` explaining the fix. Prefer
    :func:`slide_style` to keep the change local.
    """
    _apply_style(lang, stacklevel=3)  # warnings point at the caller


def _apply_style(lang: str, stacklevel: int) -> None:
    norm_lang(lang)
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
        fonttype: Any = _fonttype_params(_pdf_fonttype([(os.fspath(choice.path), 0)]))  # stub wants literal keys
        mpl.rcParams.update(fonttype)

    if choice.family is None:
        reason = f" ({choice.problem})" if choice.problem else ""
        warnings.warn(
            f"propsim: no CJK font found{reason}; Chinese text would render as empty boxes. Fix: {CJK_FONT_FIX}.",
            UserWarning,
            stacklevel=stacklevel,
        )
    elif choice.problem:
        warnings.warn(f"propsim: {choice.problem}; using {choice.path} instead.", UserWarning, stacklevel=stacklevel)


@contextlib.contextmanager
def slide_style(lang: str = "en") -> Iterator[None]:
    """Context manager: apply :func:`use_style` and restore rcParams on exit."""
    with mpl.rc_context():
        # stack: _apply_style, this generator, contextlib __enter__, caller
        _apply_style(lang, stacklevel=4)
        yield
