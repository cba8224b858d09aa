"""Colours: one per topology preset, account kind and ordered group, all legible on white.

Every colour that carries meaning (a line, a marker, a bar) has a contrast ratio of at least 3:1
against the white slide (WCAG 2.1 AA for graphical objects, success criterion 1.4.11); the
Okabe-Ito hues are kept but darkened where the original is too light (orange, sky blue, yellow).
:func:`contrast_ratio` computes the ratio; the tests check every palette with it.
"""

from __future__ import annotations

from matplotlib import colors as mcolors

from simulator.plotting.labels import norm_key as _norm_key

__all__ = [
    "AA_CONTRAST",
    "KIND_COLORS",
    "NEUTRAL_COLOR",
    "NS_COLOR",
    "OKABE_ITO",
    "SEQUENTIAL",
    "SIGNIFICANT_COLOR",
    "TOPOLOGY_COLORS",
    "color_for_kind",
    "color_for_topology",
    "contrast_ratio",
    "sequential_color",
]

#: Minimum contrast of a meaningful colour against white (WCAG AA, graphical objects).
AA_CONTRAST = 3.0

#: The Okabe-Ito reference palette (some entries are too light for lines on white; see below).
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

# Okabe-Ito hues darkened to >= 4.4:1 on white (ratios in the comments).
_BLUE = "#0072B2"  # 5.2
_GREEN = "#007A5A"  # 5.3
_VERMILLION = "#C44E00"  # 4.7
_OCHRE = "#9E6B00"  # 4.6 (Okabe-Ito orange, darkened)
_MAGENTA = "#AA4499"  # 5.3 (reddish purple, darkened)
_INDIGO = "#5E4FA2"  # 6.7 (replaces sky blue: a light blue beside blue is both faint and ambiguous)

#: Colour for unknown names and for the "other" account kind (4.5:1).
NEUTRAL_COLOR = "#767676"
#: Grey of differences that are not significant (similar, n.s.): de-emphasised but legible (3.4:1).
NS_COLOR = "#8C8C8C"
#: Colour of significant differences on the difference chart.
SIGNIFICANT_COLOR = _BLUE

TOPOLOGY_COLORS: dict[str, str] = {
    "centralized": _BLUE,
    "organic": _GREEN,
    "hub": _VERMILLION,
    "dandelion": _OCHRE,
    "honeycomb": _MAGENTA,
    "twin_star": _INDIGO,
}

KIND_COLORS: dict[str, str] = {
    "official": _BLUE,
    "sub_brand": _INDIGO,
    "regional": _GREEN,
    "executive": _VERMILLION,
    "employee": _OCHRE,
    "vertical": _MAGENTA,
    "other": NEUTRAL_COLOR,
}

#: Ordered colours for numeric groups (low to high value): the dark part of viridis, which stays
#: above 3:1 on white (its light end, lime and yellow, does not).
SEQUENTIAL = ("#440154", "#482677", "#3E4A89", "#31688E", "#26828E", "#1F9A8A")


def sequential_color(index: int, n: int) -> str:
    """Colour of the ``index``-th of ``n`` ordered groups (spread over :data:`SEQUENTIAL`)."""
    if n <= 1:
        return SEQUENTIAL[2]
    pos = index * (len(SEQUENTIAL) - 1) / (n - 1)
    return SEQUENTIAL[round(pos)] if n <= len(SEQUENTIAL) else _blend(pos)


def _blend(pos: float) -> str:
    lo = int(pos)
    hi = min(lo + 1, len(SEQUENTIAL) - 1)
    a, b = mcolors.to_rgb(SEQUENTIAL[lo]), mcolors.to_rgb(SEQUENTIAL[hi])
    f = pos - lo
    r, g, bl = (x + (y - x) * f for x, y in zip(a, b))
    return mcolors.to_hex((r, g, bl))


def contrast_ratio(color: str, background: str = "#FFFFFF") -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21)."""

    def luminance(c: str) -> float:
        def channel(u: float) -> float:
            return u / 12.92 if u <= 0.03928 else ((u + 0.055) / 1.055) ** 2.4

        r, g, b = mcolors.to_rgb(c)
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    hi, lo = sorted((luminance(color), luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def color_for_topology(name: str) -> str:
    """Colour of a topology preset ("twin_star", "Twin star", "双子星式"); grey if unknown."""
    return TOPOLOGY_COLORS.get(_norm_key(name), NEUTRAL_COLOR)


def color_for_kind(kind: str) -> str:
    """Colour of an account kind ("sub_brand", "sub-brand", "子品牌号"); grey if unknown."""
    return KIND_COLORS.get(_norm_key(kind), NEUTRAL_COLOR)
