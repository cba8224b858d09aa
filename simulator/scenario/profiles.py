"""Named behaviour profiles (``behaviour.profile``): calibrated follower behaviour with its provenance.

A profile gives the fitted values of follower behaviour (``behaviour.p0``, ``behaviour.appeal_sigma``,
the organic repost latency) and the plausible range of each (what charts shade and warnings check
against), fitted by ``propsim calibrate --profile NAME`` on the default follower graph against the
measured cascade profiles in ``simulator/data/empirical_profiles.json``. They are stored, with the fit
table and its provenance, in ``simulator/data/behaviour_profiles.json``. A scenario's own values always
win over its profile's; ``behaviour.profile: none`` uses the plain defaults of :mod:`simulator.defaults`.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PROFILE = "weibo"
NO_PROFILE = "none"
PROFILE_FILE = "behaviour_profiles.json"


@dataclass(frozen=True)
class Profile:
    """A calibrated behaviour profile: fitted values, their plausible ranges and the fit behind them."""

    name: str
    values: dict[str, float]  # dotted scenario path -> fitted value
    plausible: dict[str, tuple[float, float]]  # dotted path -> (low, high) consistent with the data
    source: str  # where the numbers come from
    fit: dict[str, Any] = field(default_factory=dict)  # statistic -> {target, simulated, tolerance, kind, role, ok}
    provenance: dict[str, Any] = field(default_factory=dict)  # target, dataset counts, world, seeds, date, version
    sigma_scan: list[dict[str, Any]] = field(default_factory=list)  # appeal_sigma -> p0, depth-1 quartiles, viral
    notes: list[str] = field(default_factory=list)


def profile_path() -> Path:
    """The profiles file inside the package (``simulator/data/behaviour_profiles.json``), which
    ``propsim calibrate --profile NAME`` rewrites."""
    return Path(str(importlib.resources.files("simulator.data").joinpath(PROFILE_FILE)))


def parse_profiles(data: dict[str, Any]) -> dict[str, Profile]:
    """Profiles by name from the parsed JSON of a profiles file (``{"profiles": {name: entry}}``)."""
    out = {}
    for name, p in data["profiles"].items():
        plausible = {k: (float(v[0]), float(v[1])) for k, v in p.get("plausible", {}).items()}
        out[name] = Profile(
            name,
            {k: float(v) for k, v in p["values"].items()},
            plausible,
            p.get("source", ""),
            p.get("fit", {}),
            p.get("provenance", {}),
            p.get("sigma_scan", []),
            p.get("notes", []),
        )
    return out


@functools.cache
def _load() -> dict[str, Profile]:
    text = importlib.resources.files("simulator.data").joinpath(PROFILE_FILE).read_text("utf-8")
    return parse_profiles(json.loads(text))


def names() -> list[str]:
    """Known profile names (plus ``none``)."""
    return [*_load(), NO_PROFILE]


def profile(name: str = DEFAULT_PROFILE) -> Profile:
    """A profile by name; ValueError listing the known ones otherwise."""
    key = name.strip().lower()
    profiles = _load()
    if key not in profiles:
        raise ValueError(f"unknown behaviour profile {name!r}; known: {', '.join(names())}")
    return profiles[key]


def plausible_ranges(name: str = DEFAULT_PROFILE) -> dict[str, tuple[float, float]]:
    """Dotted scenario path -> (low, high): the values consistent with the profile's data."""
    if name.strip().lower() == NO_PROFILE:
        return {}
    return dict(profile(name).plausible)
