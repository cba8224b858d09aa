"""The six account-matrix presets (``topology:``), expanded into plain scenario fragments.

Each preset turns a few parameters into ``accounts``, ``relays``, a default ``campaign`` and
population defaults, following MODEL-REFERENCE section 1 (Owyang 2010 / Altimeter 2010 and the
Weibo deck's twin-star, dandelion and HUB patterns). The fragments are merged *under* the user's
file by :func:`merge_preset`: an account entry with the same ``id`` overrides preset fields, a relay
with the same ``(source, target)`` replaces the preset's, and a ``campaign`` list replaces the
preset's campaign whole. All numbers are assumptions meant to be swept.

>>> canonical_name("蒲公英式"), canonical_name("hub-and-spoke"), canonical_name("HUB式")
('dandelion', 'hub', 'hub')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simulator.scenario.schema import LogNormal, Probability

PRESETS = ("centralized", "organic", "hub", "dandelion", "honeycomb", "twin_star")

ALIASES: dict[str, str] = {
    "centralized": "centralized",
    "centralised": "centralized",
    "集权式": "centralized",
    "集权": "centralized",
    "organic": "organic",
    "distributed": "organic",
    "分布式": "organic",
    "分布": "organic",
    "hub": "hub",
    "hub_and_spoke": "hub",
    "hub式": "hub",
    "coordinated": "hub",
    "dandelion": "dandelion",
    "multiple_hub_and_spoke": "dandelion",
    "蒲公英式": "dandelion",
    "蒲公英": "dandelion",
    "honeycomb": "honeycomb",
    "holistic": "honeycomb",
    "蜂巢式": "honeycomb",
    "蜂巢": "honeycomb",
    "twin_star": "twin_star",
    "twinstar": "twin_star",
    "双子星式": "twin_star",
    "双子星": "twin_star",
}


def canonical_name(name: str) -> str:
    """Map a preset name or alias (English or Chinese, any case, ``-``/space/``_``) to its
    canonical name; raise ``ValueError`` listing the accepted names otherwise."""
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    if key in ALIASES:
        return ALIASES[key]
    accepted = ", ".join(PRESETS)
    raise ValueError(
        f"unknown topology preset {name!r}; use one of {accepted} "
        "(aliases: distributed, hub_and_spoke, multiple_hub_and_spoke, holistic, 集权式, 分布式, "
        "hub式, 蒲公英式, 蜂巢式, 双子星式)"
    )


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    population_size: int = Field(300_000, ge=1)
    post_at: float = Field(0.0, ge=0.0)  # hour of the default campaign's first post
    posts: int = Field(1, ge=1, le=1000)  # how many times the default campaign posts ...
    every: float = Field(24.0, gt=0.0)  # ... every this many hours


def _post(account: str, p: _Params) -> dict[str, Any]:
    return {"account": account, "at": p.post_at, "repeat": p.posts, "every": p.every}


def _ln(median: float, sigma: float) -> dict[str, float]:
    return {"median": median, "sigma": sigma}


def _latency(m: LogNormal) -> dict[str, float]:
    return {"median": m.median, "sigma": m.sigma}


class CentralizedParams(_Params):
    official_followers: int = Field(100_000, ge=0)
    controlled: int = Field(5, ge=0, le=1000)
    controlled_followers: LogNormal = LogNormal(median=20_000, sigma=0.5)
    overlap: Probability = 0.5  # controlled accounts' audiences overlap the official's
    relay_probability: Probability = 0.9
    latency: LogNormal = LogNormal(median=4.0, sigma=1.0)


def centralized(p: CentralizedParams) -> dict[str, Any]:
    """One official account; controlled sub-accounts repost it verbatim, never each other."""
    accounts = [{"id": "official", "kind": "official", "handle": "@Official", "followers": p.official_followers}]
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


class OrganicParams(_Params):
    accounts: int = Field(8, ge=1, le=10_000)
    followers: LogNormal = LogNormal(median=5_000, sigma=1.5)


def organic(p: OrganicParams) -> dict[str, Any]:
    """Independent units with uneven audiences, each posting its own content, no relays."""
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
    return {"accounts": accounts, "relays": [], "campaign": [_post("unit", p)]}


class HubParams(_Params):
    official_followers: int = Field(100_000, ge=0)
    regional: int = Field(30, ge=1, le=10_000)
    regional_followers: LogNormal = LogNormal(median=5_000, sigma=0.5)
    region_share: Probability = 0.9
    core_overlap: Probability = 0.2
    relay_probability: Probability = 0.6
    latency: LogNormal = LogNormal(median=1.0, sigma=1.0)
    variation: str = "cosmetic"


def hub(p: HubParams) -> dict[str, Any]:
    """A core account broadcasts to regional accounts with local audiences; spokes never talk."""
    regions = {f"city{i:02d}": 1.0 for i in range(1, p.regional + 1)}
    accounts = [
        {"id": "official", "kind": "official", "handle": "@Official", "followers": p.official_followers},
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


class DandelionParams(_Params):
    official_followers: int = Field(100_000, ge=0)
    sub_brands: list[str] = Field(
        default_factory=lambda: ["running", "basketball", "football", "lifestyle"], min_length=1, max_length=100
    )
    sub_followers: LogNormal = LogNormal(median=30_000, sigma=0.3)
    spokes_per_sub: int = Field(5, ge=0, le=1000)
    spoke_followers: LogNormal = LogNormal(median=3_000, sigma=0.7)
    core_overlap: Probability = 0.3
    sub_overlap: Probability = 0.1
    spoke_overlap: Probability = 0.2
    on_topic_probability: Probability = 0.8
    off_topic_probability: Probability = 0.1
    spoke_probability: Probability = 0.5
    lateral_probability: Probability = 0.2
    latency: LogNormal = LogNormal(median=2.5, sigma=1.0)


def dandelion(p: DandelionParams) -> dict[str, Any]:
    """Sub-brands repost the core and each other; each sub-brand is the hub of its own spokes."""
    accounts: list[dict[str, Any]] = [
        {"id": "official", "kind": "official", "handle": "@Official", "followers": p.official_followers}
    ]
    relays: list[dict[str, Any]] = []
    lat = _latency(p.latency)
    subs = [f"sub_{b}" for b in p.sub_brands]
    for k, (brand, sub) in enumerate(zip(p.sub_brands, subs)):
        # Each sub-brand shares a slice of the core's audience and a little of earlier subs'.
        overlap = {"official": p.core_overlap}
        overlap.update({s: p.sub_overlap for s in subs[:k]})
        if sum(overlap.values()) > 1:
            scale = 1 / sum(overlap.values())
            overlap = {key: v * scale for key, v in overlap.items()}
        accounts.append(
            {
                "id": sub,
                "kind": "sub_brand",
                "handle": f"@Official_{brand}",
                "followers": p.sub_followers.model_dump(),
                "interest": brand,
                "overlap": overlap,
            }
        )
        relays.append(
            {
                "source": "official",
                "target": sub,
                "probability": p.on_topic_probability,
                "off_topic_probability": p.off_topic_probability,
                "latency": lat,
            }
        )
        if p.spokes_per_sub:
            spokes = f"spokes_{brand}"
            accounts.append(
                {
                    "id": spokes,
                    "kind": "regional",
                    "count": p.spokes_per_sub,
                    "handle": f"@Official_{brand}_{{region}}",
                    "region": "*",
                    "followers": p.spoke_followers.model_dump(),
                    "interest": brand,
                    "overlap": {sub: p.spoke_overlap},
                }
            )
            relays.append({"source": sub, "target": spokes, "probability": p.spoke_probability, "latency": lat})
    for a in subs:
        for b in subs:
            if a != b and p.lateral_probability > 0:
                relays.append({"source": a, "target": b, "probability": p.lateral_probability, "latency": lat})
    interests = {b: 1.0 for b in p.sub_brands}
    return {"accounts": accounts, "relays": relays, "population": {"interests": interests}}


class HoneycombParams(_Params):
    official_followers: int = Field(100_000, ge=0)
    employees: int = Field(200, ge=1, le=100_000)
    employee_followers: LogNormal = LogNormal(median=300, sigma=1.0)
    core_overlap: Probability = 0.1
    relay_probability: Probability = 0.15
    lateral_probability: Probability = 0.05
    neighbours: int = Field(3, ge=0, le=1000)
    latency: LogNormal = LogNormal(median=1.0, sigma=1.5)


def honeycomb(p: HoneycombParams) -> dict[str, Any]:
    """Every employee is enabled: many small personal accounts add their own take (commentary)
    and pick up colleagues' posts on a ring lattice (cells of neighbours)."""
    lat = _latency(p.latency)
    accounts = [
        {"id": "official", "kind": "official", "handle": "@Official", "followers": p.official_followers},
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


class TwinStarParams(_Params):
    official_followers: int = Field(100_000, ge=0)
    executives: int = Field(2, ge=1, le=100)
    executive_followers: LogNormal = LogNormal(median=50_000, sigma=0.3)
    executive_overlap: Probability = 0.3
    verticals: list[str] = Field(default_factory=lambda: ["finance", "auto", "retail"], max_length=100)
    vertical_followers: LogNormal = LogNormal(median=15_000, sigma=0.5)
    vertical_interest_share: Probability = 0.9
    official_to_executive: Probability = 0.5
    executive_to_official: Probability = 0.3
    executive_to_executive: Probability = 0.3
    official_to_vertical: Probability = 0.5
    vertical_off_topic: Probability = 0.05
    latency: LogNormal = LogNormal(median=1.0, sigma=1.0)


def twin_star(p: TwinStarParams) -> dict[str, Any]:
    """Official account plus executives with partly separate, more credible audiences who add
    their own commentary; vertical business lines whose fans ignore other verticals."""
    lat = _latency(p.latency)
    accounts: list[dict[str, Any]] = [
        {"id": "official", "kind": "official", "handle": "@Official", "followers": p.official_followers},
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
    for v in p.verticals:
        accounts.append(
            {
                "id": f"vertical_{v}",
                "kind": "vertical",
                "handle": f"@Official_{v}",
                "followers": p.vertical_followers.model_dump(),
                "interest": v,
                "interest_share": p.vertical_interest_share,
            }
        )
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
    interests = {"general": 2.0, **{v: 1.0 for v in p.verticals}}
    return {"accounts": accounts, "relays": relays, "population": {"interests": interests}}


_BUILDERS: dict[str, tuple[type[_Params], Callable[[Any], dict[str, Any]]]] = {
    "centralized": (CentralizedParams, centralized),
    "organic": (OrganicParams, organic),
    "hub": (HubParams, hub),
    "dandelion": (DandelionParams, dandelion),
    "honeycomb": (HoneycombParams, honeycomb),
    "twin_star": (TwinStarParams, twin_star),
}


def params_model(name: str) -> type[_Params]:
    """The pydantic model of a preset's ``params`` (for validation and the JSON schema)."""
    return _BUILDERS[canonical_name(name)][0]


def expand(name: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Expand a preset into scenario fragments (``accounts``, ``relays``, ``campaign``, ``population``).

    Raises ``ValueError`` for an unknown name and ``pydantic.ValidationError`` for bad params.

    >>> frag = expand("hub", {"regional": 3})
    >>> [a["id"] for a in frag["accounts"]], frag["relays"][0]["probability"]
    (['official', 'regional'], 0.6)
    """
    model, build = _BUILDERS[canonical_name(name)]
    p = model.model_validate(params or {})
    frag = build(p)
    frag.setdefault("campaign", [_post("official", p)])
    pop = frag.setdefault("population", {})
    pop.setdefault("size", p.population_size)
    return frag


def merge_preset(doc: dict[str, Any], frag: dict[str, Any]) -> tuple[dict[str, Any], dict[tuple, tuple]]:
    """Merge preset fragments under a user document.

    Returns the merged document and ``origin``: a map from a merged list item's path
    (e.g. ``("accounts", 3)``) to the user document's path it came from, so that validation
    errors point at the user's line; items only the preset defines map to ``("topology",)``.
    """
    merged = dict(doc)
    origin: dict[tuple, tuple] = {}
    # Population: preset values fill only what the user did not set.
    pop_user = doc.get("population")
    if isinstance(pop_user, dict) or pop_user is None:
        pop = dict(frag.get("population", {}))
        pop.update(pop_user or {})
        merged["population"] = pop
    # Accounts: merge by id, user fields win; new user accounts are appended.
    for key, ident in (("accounts", lambda d: d.get("id")), ("relays", lambda d: (d.get("source"), d.get("target")))):
        user_items = doc.get(key)
        if user_items is not None and not isinstance(user_items, list):
            continue  # leave the type error to schema validation, at the user's line
        items = [dict(x) for x in frag.get(key, [])]
        for i in range(len(items)):
            origin[(key, i)] = ("topology",)
        index = {ident(x): i for i, x in enumerate(items)}
        for j, u in enumerate(user_items or []):
            if isinstance(u, dict) and ident(u) in index:
                i = index[ident(u)]
                if key == "accounts":
                    items[i].update(u)
                else:
                    items[i] = dict(u)
                origin[(key, i)] = (key, j)
            else:
                origin[(key, len(items))] = (key, j)
                items.append(u)
        merged[key] = items
    if "campaign" not in doc:
        merged["campaign"] = frag.get("campaign", [])
        for i in range(len(merged["campaign"])):
            origin[("campaign", i)] = ("topology",)
    return merged, origin
