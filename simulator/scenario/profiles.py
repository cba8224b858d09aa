"""Named behaviour profiles (``behaviour.profile``): calibrated follower behaviour with its provenance,
and the plausible range of each fitted parameter (what charts shade and warnings check against).

PROVISIONAL: the values below are the first version's calibration (README "Against real cascades",
20 followees per follower). They are replaced by the profiles fitted by ``propsim calibrate`` at the
new default follower graph (issue "Credible out of the box"); the interface stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_PROFILE = "weibo"


@dataclass(frozen=True)
class Profile:
    """A calibrated behaviour profile: fitted values and their plausible ranges."""

    name: str
    values: dict[str, float]  # dotted scenario path -> fitted value
    plausible: dict[str, tuple[float, float]]  # dotted path -> (low, high) consistent with the data
    source: str  # where the numbers come from
    fit: dict[str, dict[str, float]] = field(default_factory=dict)  # statistic -> {target, simulated}


PROFILES: dict[str, Profile] = {
    "weibo": Profile(
        "weibo",
        {"behaviour.p0": 0.0193},
        {"behaviour.p0": (0.012, 0.03)},
        "provisional: first-version calibration (hub, 20 followees)",
    ),
    "twitter": Profile(
        "twitter",
        {"behaviour.p0": 0.0087},
        {"behaviour.p0": (0.005, 0.014)},
        "provisional: first-version calibration (hub, 20 followees)",
    ),
}


def profile(name: str = DEFAULT_PROFILE) -> Profile:
    """A profile by name; ValueError listing the known ones otherwise."""
    key = name.strip().lower()
    if key not in PROFILES:
        raise ValueError(f"unknown behaviour profile {name!r}; known: {', '.join(PROFILES)}")
    return PROFILES[key]


def plausible_ranges(name: str = DEFAULT_PROFILE) -> dict[str, tuple[float, float]]:
    """Dotted scenario path -> (low, high): the values consistent with the profile's data."""
    return dict(profile(name).plausible)
