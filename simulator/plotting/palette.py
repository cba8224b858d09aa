"""Colours: one per topology preset and per account kind (Okabe-Ito based, colour-blind safe)."""

from __future__ import annotations

from simulator.plotting.labels import norm_key as _norm_key

__all__ = ["KIND_COLORS", "NEUTRAL_COLOR", "OKABE_ITO", "TOPOLOGY_COLORS", "color_for_kind", "color_for_topology"]


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


def color_for_topology(name: str) -> str:
    """Colour of a topology preset ("twin_star", "Twin star", "双子星式"); grey if unknown."""
    return TOPOLOGY_COLORS.get(_norm_key(name), NEUTRAL_COLOR)


def color_for_kind(kind: str) -> str:
    """Colour of an account kind ("sub_brand", "sub-brand", "子品牌号"); grey if unknown."""
    return KIND_COLORS.get(_norm_key(kind), NEUTRAL_COLOR)
