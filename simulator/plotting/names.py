"""Display names of swept parameters and of the values they take (legends, axes, tables, takeaways).

A swept field is named, in order of preference:

1. by the sweep's ``parameter_labels`` (manifest; a sweep parameter may give ``label:``), made
   current with :func:`parameter_labels` (``render`` and ``make_charts`` do this);
2. by the scenario: ``relays.3.probability`` -> "official → city relay probability", from the
   relay's source and target (:func:`relay_labels`);
3. by a built-in name (``behaviour.p0`` -> "repost probability p0", ``topology.preset`` -> "Matrix");
4. by a readable name made from the path (``fatigue.tolerance.sigma`` -> "fatigue tolerance sigma").

A raw dotted path never reaches a chart or a slide. Values: ``hub`` -> "Hub" / "HUB式"; numbers
with 3 significant digits, told apart from the other swept values.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from simulator.plotting.formatters import format_value
from simulator.plotting.labels import LABELS, label
from simulator.plotting.lang import norm_lang
from simulator.sweeps.labels import RELAY_FIELDS, relay_field_label

__all__ = [
    "group_label",
    "param_label",
    "param_labels_in_use",
    "param_short",
    "param_value",
    "parameter_labels",
    "readable_path",
    "relay_labels",
    "value_label",
]

# Built-in names of common swept fields. Regexes, first match wins.
_PARAM_NAMES: tuple[tuple[str, dict[str, str]], ...] = (
    (r"behaviour\.p0", {"en": "repost probability p0", "zh": "转发概率 p0"}),
    (r"behaviour\.p0_promotional", {"en": "repost probability (promotions)", "zh": "推广内容转发概率"}),
    (r"topology\.params\.relay_probability", {"en": "relay probability", "zh": "接力转发概率"}),
    (r"topology\.params\.(\w+)_probability", {"en": "{0} relay probability", "zh": "{0} 接力转发概率"}),
    (r"topology(\.preset)?", {"en": "Matrix", "zh": "矩阵结构"}),
    (r"fatigue\.kappa", {"en": "exit rate κ", "zh": "流失系数 κ"}),
    (r"fatigue\.tolerance(\.median)?", {"en": "fatigue tolerance", "zh": "疲劳容忍度"}),
    (r"population\.size", {"en": "population", "zh": "人群规模"}),
    (r"description", {"en": "Plan", "zh": "方案"}),
)

_SHORT_NAMES = {"behaviour.p0": "p0"}

_CURRENT: contextvars.ContextVar[dict[str, dict[str, str]]] = contextvars.ContextVar("param_labels")


@contextlib.contextmanager
def parameter_labels(labels: Mapping[str, Mapping[str, str]] | None) -> Iterator[None]:
    """Use ``{path: {"en": ..., "zh": ...}}`` as the names of swept fields inside the block
    (merged over the names already in use)."""
    merged = {**_CURRENT.get({}), **{k: dict(v) for k, v in (labels or {}).items() if isinstance(v, Mapping)}}
    token = _CURRENT.set(merged)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def param_labels_in_use() -> dict[str, dict[str, str]]:
    """The ``parameter_labels`` currently in use (see :func:`parameter_labels`)."""
    return dict(_CURRENT.get({}))


def relay_labels(scenario: Mapping[str, Any] | None) -> dict[str, dict[str, str]]:
    """Names of the scenario's relay fields for sweep folders whose manifest has no labels:
    ``relays.3.probability`` -> "official → city relay probability", from the relay's ``source`` and
    ``target`` (account or group ids), worded as the sweep's own labels (:mod:`simulator.sweeps.labels`)."""
    out: dict[str, dict[str, str]] = {}
    relays = scenario.get("relays") if isinstance(scenario, Mapping) else None
    if not isinstance(relays, list):
        return out
    for i, relay in enumerate(relays):
        if not isinstance(relay, Mapping) or "source" not in relay or "target" not in relay:
            continue
        for field in RELAY_FIELDS:
            out[f"relays.{i}.{field}"] = relay_field_label(str(relay["source"]), str(relay["target"]), field)
    return out


def readable_path(path: str) -> str:
    """A readable name made from a field path: ``fatigue.tolerance.sigma`` -> "fatigue tolerance
    sigma", ``relays.3.probability`` -> "relay 4 probability" (list items count from 1)."""
    words: list[str] = []
    parts = str(path).split(".")
    for part in parts:
        if part == "params":
            continue
        if part.isdigit():
            if words:
                words[-1] = words[-1].rstrip("s")  # relays 3 -> relay 4
            words.append(str(int(part) + 1))
            continue
        words.append(part.replace("_", " "))
    return " ".join(words) or str(path)


def param_label(path: str, lang: str = "en") -> str:
    """Display name of a swept field (``behaviour.p0`` -> "repost probability p0"); see the
    module docstring for the order of preference. Never a raw dotted path."""
    lang = norm_lang(lang)
    given = _CURRENT.get({}).get(path)
    if given:
        return given.get(lang) or given.get("en") or readable_path(path)
    for pattern, names in _PARAM_NAMES:
        m = re.fullmatch(pattern, path)
        if m:
            return names[lang].format(*(g.replace("_", " ") for g in m.groups() if g))
    return readable_path(path)


def param_short(path: str, lang: str = "en") -> str:
    """Name of a parameter in running text: ``behaviour.p0`` -> ``p0``, others their display name."""
    return _SHORT_NAMES.get(path) or param_label(path, lang)


def value_label(value: Any, lang: str = "en", among: Iterable[Any] | None = None) -> str:
    """A group value for legends: topology and kind names are translated, numbers with 3
    significant digits (:func:`~simulator.plotting.formatters.format_value`; ``among``: the other
    values shown with it, so that no two print alike)."""
    if isinstance(value, str):
        key = re.sub(r"[\s\-]+", "_", value.strip().lower())
        if key in LABELS and "{" not in LABELS[key]["en"]:
            return label(key, lang)
        return value
    return format_value(value, among)


def group_label(by: str | None, value: Any, lang: str = "en", among: Iterable[Any] | None = None) -> str:
    """Legend entry of one line: ``Hub`` for named values, ``p0 = 0.00316`` for numbers."""
    if by is None:
        return ""
    shown = value_label(value, lang, among)
    if isinstance(value, str):
        return shown
    return f"{param_short(by, lang)} = {shown}"


def param_value(path: str, value: Any, among: Iterable[Any] | None = None, lang: str = "en") -> str:
    """``p0 = 0.00316`` for running text and footers (``among``: the other swept values)."""
    return f"{param_short(path, lang)} = {value_label(value, lang, among)}"
