"""Display names of swept parameters and of the values they take (legends, axes, takeaways).

``behaviour.p0`` -> "repost probability p0"; a topology value ``hub`` -> "Hub" / "HUB式"; a number
-> 3 significant digits, told apart from the other swept values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from simulator.plotting.formatters import format_value
from simulator.plotting.labels import LABELS, label
from simulator.plotting.lang import norm_lang

__all__ = ["group_label", "param_label", "param_short", "param_value", "value_label"]

# Display names of swept parameters (scenario paths). Regexes, first match wins.
_PARAM_NAMES: tuple[tuple[str, dict[str, str]], ...] = (
    (r"behaviour\.p0", {"en": "repost probability p0", "zh": "转发概率 p0"}),
    (r"behaviour\.p0_promotional", {"en": "repost probability (promotions)", "zh": "推广内容转发概率"}),
    (
        r"relays\.\d+\.probability|topology\.params\.(relay|on_topic|spoke|official_to_\w+)_probability",
        {"en": "relay probability", "zh": "接力转发概率"},
    ),
    (r"topology\.params\.(\w+_)?probability", {"en": "relay probability", "zh": "接力转发概率"}),
    (r"topology(\.preset)?", {"en": "topology", "zh": "矩阵结构"}),
    (r"fatigue\.kappa", {"en": "exit rate κ", "zh": "流失系数 κ"}),
    (r"fatigue\.tolerance(\.median)?", {"en": "fatigue tolerance", "zh": "疲劳容忍度"}),
    (r"population\.size", {"en": "population", "zh": "人群规模"}),
)

_SHORT_NAMES = {"behaviour.p0": "p0"}


def param_label(path: str, lang: str = "en") -> str:
    """Display name of a swept parameter (``behaviour.p0`` -> "repost probability p0")."""
    lang = norm_lang(lang)
    for pattern, names in _PARAM_NAMES:
        if re.fullmatch(pattern, path):
            return names[lang]
    return path


def param_short(path: str) -> str:
    """Short symbol for a parameter in running text: ``behaviour.p0`` -> ``p0``."""
    return _SHORT_NAMES.get(path, path.rsplit(".", 1)[-1] if "." in path else path)


def value_label(value: Any, lang: str = "en", among: Iterable[Any] | None = None) -> str:
    """A group value for legends: topology and kind names are translated, numbers with 3
    significant digits (:func:`~simulator.plotting.formatters.format_value`; ``among``: the other
    values shown with it, so that no two print alike)."""
    if isinstance(value, str):
        key = re.sub(r"[\s\-]+", "_", value.strip().lower())
        if key in LABELS:
            return label(key, lang)
        return value
    return format_value(value, among)


def group_label(by: str | None, value: Any, lang: str = "en", among: Iterable[Any] | None = None) -> str:
    """Legend entry of one line: ``Hub`` for topologies, ``p0 = 0.00316`` for numbers."""
    if by is None:
        return ""
    shown = value_label(value, lang, among)
    if isinstance(value, str):
        return shown
    name = param_label(by, lang)
    name = param_short(by) if name == by else name  # unknown paths: the last part only
    return f"{name} = {shown}"


def param_value(path: str, value: Any, among: Iterable[Any] | None = None) -> str:
    """``p0 = 0.00316`` for running text and footers (``among``: the other swept values)."""
    return f"{param_short(path)} = {format_value(value, among)}"
