"""The shapes of the six presets: each preset's parameters (pydantic models) and the function
that turns them into plain scenario fragments (``accounts``, ``relays``, ``population``, and
``posters``: who publishes the originals). :mod:`simulator.scenario.presets` chooses, validates,
spends budgets and merges; see docs/model.md#organisation-models-and-presets for the structures and their sources.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulator.scenario.budget import Budget
from simulator.scenario.schema import LogNormal, Probability


class Slot(BaseModel):
    """One original post of an explicit ``schedule`` (who posts it is the preset's choice)."""

    model_config = ConfigDict(extra="forbid")
    at: float = Field(0.0, ge=0.0)  # hours
    topic: str = "general"
    scope: str = "national"
    promotional: bool = False
    appeal: float | None = Field(None, gt=0.0)
    label: str | None = None


class PresetParams(BaseModel):
    """Parameters every preset accepts: population default, default campaign, budget, schedule."""

    model_config = ConfigDict(extra="forbid")
    population_size: int = Field(2_000_000, ge=1)  # the largest default account is 5% of it
    post_at: float = Field(0.0, ge=0.0)  # hour of the default campaign's first post
    posts: int = Field(1, ge=1, le=1000)  # how many times the default campaign posts ...
    every: float = Field(24.0, gt=0.0)  # ... every this many hours
    budget: Budget | None = None  # equal-budget instantiation (see simulator.scenario.budget)
    schedule: list[Slot] | None = Field(None, min_length=1, max_length=1000)  # explicit originals


def ln(median: float, sigma: float = 0.0) -> LogNormal:
    return LogNormal(median=median, sigma=sigma)


def _latency(m: LogNormal) -> dict[str, float]:
    return {"median": m.median, "sigma": m.sigma}


def _official(p: Any) -> dict[str, Any]:
    return {"id": "official", "kind": "official", "handle": "@Official", "followers": p.official_followers}


class CentralizedParams(PresetParams):
    official_followers: int = Field(100_000, ge=0)
    controlled: int = Field(5, ge=0, le=1000)
    controlled_followers: LogNormal = ln(20_000, 0.5)
    overlap: Probability = 0.5  # controlled accounts' audiences overlap the official's
    relay_probability: Probability = 0.9
    latency: LogNormal = ln(4.0, 1.0)


def centralized(p: CentralizedParams) -> dict[str, Any]:
    """One official account; controlled sub-accounts repost it verbatim, never each other."""
    accounts = [_official(p)]
    relays = []
    if p.controlled:
        accounts.append(
            {
                "id": "controlled",
                "kind": "sub_brand",
                "count": p.controlled,
                "handle": "@Official_{i}",
                "followers": p.controlled_followers.model_dump(),
                "overlap": {"official": p.overlap},
            }
        )
        relays.append(
            {
                "source": "official",
                "target": "controlled",
                "probability": p.relay_probability,
                "latency": _latency(p.latency),
                "variation": "verbatim",
            }
        )
    return {"accounts": accounts, "relays": relays}


class OrganicParams(PresetParams):
    accounts: int = Field(8, ge=1, le=10_000)
    followers: LogNormal = ln(10_000, 1.5)
    sizes: list[int] | None = Field(None, min_length=1, max_length=10_000)  # fixed size of each unit


def organic(p: OrganicParams) -> dict[str, Any]:
    """Independent units with uneven audiences, each posting its own content, no relays.

    With fixed ``sizes`` (and so under a budget) every unit is its own account ``unit_1`` ...
    (largest first, not region-targeted) and the originals rotate over them; otherwise the units
    are one group ``unit`` with lognormal sizes and every unit posts every original."""
    if p.sizes is not None:
        ids = [f"unit_{i}" for i in range(1, len(p.sizes) + 1)]
        accounts = [
            {"id": u, "kind": "other", "handle": f"@Unit_{i}", "followers": s}
            for i, (u, s) in enumerate(zip(ids, p.sizes), start=1)
        ]
        return {"accounts": accounts, "relays": [], "posters": ids}
    accounts = [
        {
            "id": "unit",
            "kind": "other",
            "count": p.accounts,
            "handle": "@Unit_{i}",
            "followers": p.followers.model_dump(),
            "region": "*",
            "region_share": 0.5,
        }
    ]
    return {"accounts": accounts, "relays": [], "posters": ["unit"]}


class HubParams(PresetParams):
    official_followers: int = Field(100_000, ge=0)
    regional: int = Field(30, ge=1, le=10_000)
    regional_followers: LogNormal = ln(5_000, 0.5)
    region_share: Probability = 0.9
    core_overlap: Probability = 0.2
    relay_probability: Probability = 0.6
    latency: LogNormal = ln(1.0, 1.0)
    variation: str = "cosmetic"


def hub(p: HubParams) -> dict[str, Any]:
    """A core account broadcasts to regional accounts with local audiences; spokes never talk."""
    regions = {f"city{i:02d}": 1.0 for i in range(1, p.regional + 1)}
    accounts = [
        _official(p),
        {
            "id": "regional",
            "kind": "regional",
            "count": p.regional,
            "handle": "@Official_{region}",
            "followers": p.regional_followers.model_dump(),
            "region": "*",
            "region_share": p.region_share,
            "overlap": {"official": p.core_overlap},
        },
    ]
    relays = [
        {
            "source": "official",
            "target": "regional",
            "probability": p.relay_probability,
            "latency": _latency(p.latency),
            "variation": p.variation,
        }
    ]
    return {"accounts": accounts, "relays": relays, "population": {"regions": regions}}


class DandelionParams(PresetParams):
    official_followers: int = Field(100_000, ge=0)
    sub_brands: list[str] = Field(
        default_factory=lambda: ["running", "basketball", "football", "lifestyle"], min_length=1, max_length=100
    )
    topics: list[str] | None = Field(None, max_length=100)  # interests the sub-brands target (cycled); [] none
    sub_followers: LogNormal = ln(30_000, 0.3)
    spokes_per_sub: int = Field(5, ge=0, le=1000)
    spokes: list[int] | None = Field(None, max_length=100)  # spokes of each sub-brand (overrides spokes_per_sub)
    spoke_followers: LogNormal = ln(3_000, 0.7)
    core_overlap: Probability = 0.3
    sub_overlap: Probability = 0.1
    spoke_overlap: Probability = 0.2
    on_topic_probability: Probability = 0.8
    off_topic_probability: Probability = 0.1
    spoke_probability: Probability = 0.5
    lateral_probability: Probability = 0.2
    latency: LogNormal = ln(2.5, 1.0)

    @model_validator(mode="after")
    def _spokes_per_brand(self) -> DandelionParams:
        if self.spokes is not None and len(self.spokes) != len(self.sub_brands):
            raise ValueError(
                f"spokes lists {len(self.spokes)} numbers for {len(self.sub_brands)} sub_brands: give one per sub-brand"
            )
        return self


def _targets(names: list[str], topics: list[str] | None) -> list[str | None]:
    """The interest each named account targets: its own name, or ``topics`` cycled ([] = none)."""
    if topics is None:
        return list(names)
    return [topics[k % len(topics)] if topics else None for k in range(len(names))]


def dandelion(p: DandelionParams) -> dict[str, Any]:
    """Sub-brands repost the core and each other; each sub-brand is the hub of its own spokes."""
    accounts: list[dict[str, Any]] = [_official(p)]
    relays: list[dict[str, Any]] = []
    lat = _latency(p.latency)
    subs = [f"sub_{b}" for b in p.sub_brands]
    spokes = p.spokes if p.spokes is not None else [p.spokes_per_sub] * len(subs)
    interests = _targets(p.sub_brands, p.topics)
    for k, (brand, sub) in enumerate(zip(p.sub_brands, subs)):
        # Each sub-brand shares a slice of the core's audience and a little of earlier subs'.
        overlap = {"official": p.core_overlap}
        overlap.update({s: p.sub_overlap for s in subs[:k]})
        if sum(overlap.values()) > 1:
            scale = 1 / sum(overlap.values())
            overlap = {key: v * scale for key, v in overlap.items()}
        sub_acc: dict[str, Any] = {"id": sub, "kind": "sub_brand", "handle": f"@Official_{brand}", "overlap": overlap}
        sub_acc.update({"followers": p.sub_followers.model_dump(), "interest": interests[k]})
        accounts.append(sub_acc)
        relays.append(
            {
                "source": "official",
                "target": sub,
                "probability": p.on_topic_probability,
                "off_topic_probability": p.off_topic_probability,
                "latency": lat,
            }
        )
        if k < len(spokes) and spokes[k]:
            group = f"spokes_{brand}"
            accounts.append(
                {
                    "id": group,
                    "kind": "regional",
                    "count": spokes[k],
                    "handle": f"@Official_{brand}_{{region}}",
                    "region": "*",
                    "followers": p.spoke_followers.model_dump(),
                    "interest": interests[k],
                    "overlap": {sub: p.spoke_overlap},
                }
            )
            relays.append({"source": sub, "target": group, "probability": p.spoke_probability, "latency": lat})
    for a in subs:
        for b in subs:
            if a != b and p.lateral_probability > 0:
                relays.append({"source": a, "target": b, "probability": p.lateral_probability, "latency": lat})
    frag: dict[str, Any] = {"accounts": accounts, "relays": relays}
    if p.topics is None:
        frag["population"] = {"interests": {b: 1.0 for b in p.sub_brands}}
    return frag


class HoneycombParams(PresetParams):
    official_followers: int = Field(100_000, ge=0)
    employees: int = Field(200, ge=1, le=100_000)
    employee_followers: LogNormal = ln(300, 1.0)
    core_overlap: Probability = 0.1
    relay_probability: Probability = 0.15
    lateral_probability: Probability = 0.05
    neighbours: int = Field(3, ge=0, le=1000)
    latency: LogNormal = ln(1.0, 1.5)


def honeycomb(p: HoneycombParams) -> dict[str, Any]:
    """Every employee is enabled: many small personal accounts add their own take (commentary)
    and pick up colleagues' posts on a ring lattice (cells of neighbours)."""
    lat = _latency(p.latency)
    accounts = [
        _official(p),
        {
            "id": "employee",
            "kind": "employee",
            "count": p.employees,
            "handle": "@Employee_{i}",
            "followers": p.employee_followers.model_dump(),
            "region": "*",
            "region_share": 0.6,
            "overlap": {"official": p.core_overlap},
        },
    ]
    relays = [
        {
            "source": "official",
            "target": "employee",
            "probability": p.relay_probability,
            "latency": lat,
            "variation": "commentary",
        }
    ]
    if p.neighbours and p.lateral_probability > 0 and p.employees > 1:
        relays.append(
            {
                "source": "employee",
                "target": "employee",
                "probability": p.lateral_probability,
                "latency": lat,
                "variation": "commentary",
                "pattern": "ring",
                "neighbours": min(p.neighbours, p.employees - 1),
            }
        )
    return {"accounts": accounts, "relays": relays}


class TwinStarParams(PresetParams):
    official_followers: int = Field(100_000, ge=0)
    executives: int = Field(2, ge=1, le=100)
    executive_followers: LogNormal = ln(50_000, 0.3)
    executive_overlap: Probability = 0.3
    verticals: list[str] = Field(default_factory=lambda: ["finance", "auto", "retail"], max_length=10_000)
    topics: list[str] | None = Field(None, max_length=100)  # interests the verticals target (cycled); [] none
    vertical_followers: LogNormal = ln(15_000, 0.5)
    vertical_interest_share: Probability = 0.9
    official_to_executive: Probability = 0.5
    executive_to_official: Probability = 0.3
    executive_to_executive: Probability = 0.3
    official_to_vertical: Probability = 0.5
    vertical_off_topic: Probability = 0.05
    latency: LogNormal = ln(1.0, 1.0)


def twin_star(p: TwinStarParams) -> dict[str, Any]:
    """Official account plus executives with partly separate, more credible audiences who add
    their own commentary; vertical business lines whose fans ignore other verticals."""
    lat = _latency(p.latency)
    accounts: list[dict[str, Any]] = [
        _official(p),
        {
            "id": "executive",
            "kind": "executive",
            "count": p.executives,
            "handle": "@Executive_{i}",
            "followers": p.executive_followers.model_dump(),
            "overlap": {"official": p.executive_overlap},
        },
    ]
    relays: list[dict[str, Any]] = [
        {
            "source": "official",
            "target": "executive",
            "probability": p.official_to_executive,
            "latency": lat,
            "variation": "commentary",
        },
        {"source": "executive", "target": "official", "probability": p.executive_to_official, "latency": lat},
    ]
    if p.executives > 1:
        relays.append(
            {
                "source": "executive",
                "target": "executive",
                "probability": p.executive_to_executive,
                "latency": lat,
                "variation": "commentary",
            }
        )
    for v, interest in zip(p.verticals, _targets(p.verticals, p.topics)):
        vertical: dict[str, Any] = {
            "id": f"vertical_{v}",
            "kind": "vertical",
            "handle": f"@Official_{v}",
            "interest": interest,
        }
        vertical.update({"followers": p.vertical_followers.model_dump(), "interest_share": p.vertical_interest_share})
        accounts.append(vertical)
        relays.append(
            {
                "source": "official",
                "target": f"vertical_{v}",
                "probability": p.official_to_vertical,
                "off_topic_probability": p.vertical_off_topic,
                "latency": lat,
                "variation": "cosmetic",
            }
        )
    frag: dict[str, Any] = {"accounts": accounts, "relays": relays}
    if p.topics is None:
        frag["population"] = {"interests": {"general": 2.0, **{v: 1.0 for v in p.verticals}}}
    return frag


class CustomParams(BaseModel):
    """A matrix written out in full (the same fields as a scenario's ``accounts``, ``relays`` and
    ``campaign``; checked when the expanded scenario is validated)."""

    model_config = ConfigDict(extra="forbid")
    accounts: list[dict[str, Any]] = Field(min_length=1)
    relays: list[dict[str, Any]] = Field(default_factory=list)
    campaign: list[dict[str, Any]] = Field(min_length=1)


BUILDERS: dict[str, tuple[type[PresetParams], Callable[[Any], dict[str, Any]]]] = {
    "centralized": (CentralizedParams, centralized),
    "organic": (OrganicParams, organic),
    "hub": (HubParams, hub),
    "dandelion": (DandelionParams, dandelion),
    "honeycomb": (HoneycombParams, honeycomb),
    "twin_star": (TwinStarParams, twin_star),
}
