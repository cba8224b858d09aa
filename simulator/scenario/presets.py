"""The six account-matrix presets (``topology:``), expanded into plain scenario fragments.

Each preset turns a few parameters into ``accounts``, ``relays``, a default ``campaign`` and
population defaults, following docs/model.md#organisation-models-and-presets (Owyang 2010 / Altimeter 2010 and the
Weibo deck's twin-star, dandelion and HUB patterns). The fragments are merged *under* the user's
file by :func:`merge_preset`: an account entry with the same ``id`` overrides preset fields, a relay
with the same ``(source, target)`` replaces the preset's, and a ``campaign`` list replaces the
preset's campaign whole. All numbers are assumptions meant to be swept.

``topology.params`` may hold, besides a preset's own parameters:

- ``budget: {audience, accounts, posts_per_week, official_share}``: build the preset at an equal
  budget (:mod:`simulator.scenario.budget` documents how each preset spends it);
- ``schedule: [{at, topic, scope, promotional, appeal, label}, ...]``: the original posts given
  explicitly (the preset chooses who posts them: the official account; organic: units in turn);
- a section per preset, ``hub: {regional: 12}``, ``dandelion: {spokes_per_sub: 3}``: parameters
  that apply only when that preset is the one expanded (for sweeps over ``topology.preset``).
  Parameters outside a section are shared by every preset.

The pseudo-preset ``custom`` takes a matrix written out in full (``params: {accounts, relays,
campaign}``): the user's own matrix as one value of a ``topology.preset`` sweep (``propsim
compare`` uses it).

>>> canonical_name("蒲公英式"), canonical_name("hub-and-spoke"), canonical_name("HUB式")
('dandelion', 'hub', 'hub')
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from simulator import defaults as D
from simulator.scenario import budget as B
from simulator.scenario.preset_shapes import (
    BUILDERS,
    CustomParams,
    DandelionParams,
    PresetParams,
    TwinStarParams,
    ln,
)

PRESETS = ("centralized", "organic", "hub", "dandelion", "honeycomb", "twin_star")
CUSTOM = "custom"  # not a preset: a matrix given in full (``params: {accounts, relays, campaign}``)

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
    "custom": CUSTOM,
    "own": CUSTOM,
    "yours": CUSTOM,
    "自定义": CUSTOM,
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
        "hub式, 蒲公英式, 蜂巢式, 双子星式; custom: a matrix written out in params)"
    )


def _section_name(key: Any) -> str | None:
    """The canonical preset a ``topology.params`` key names (a per-preset section), else None."""
    try:
        return canonical_name(key) if isinstance(key, str) else None
    except ValueError:
        return None


def params_model(name: str) -> type[BaseModel]:
    """The pydantic model of a preset's ``params`` (for validation and the JSON schema)."""
    canon = canonical_name(name)
    return CustomParams if canon == CUSTOM else BUILDERS[canon][0]


def param_names(name: str) -> set[str]:
    """The parameter names a preset accepts (per-preset sections aside)."""
    return set(params_model(name).model_fields)


# --- budgets --------------------------------------------------------------------------------------

# Parameters a budget sets (giving them too is a conflict, reported at their line).
BUDGET_SETS: dict[str, tuple[str, ...]] = {
    "centralized": ("official_followers", "controlled", "controlled_followers"),
    "organic": ("accounts", "sizes"),
    "hub": ("official_followers", "regional", "regional_followers"),
    "dandelion": ("official_followers", "sub_followers", "spokes_per_sub", "spokes", "spoke_followers"),
    "honeycomb": ("official_followers", "employees", "employee_followers"),
    "twin_star": ("official_followers", "executive_followers", "vertical_followers"),
}


def _spend_star(b: B.Budget, count_field: str, size_field: str) -> dict[str, Any]:
    """Official + ``n - 1`` equal sub-accounts (centralized, hub, honeycomb)."""
    k = b.accounts - 1
    official, sizes = B.official_and_groups(b, [(k, 1.0)])
    update: dict[str, Any] = {"official_followers": official, count_field: k}
    if k:
        update[size_field] = ln(sizes[0])
    return update


def _spend_dandelion(p: DandelionParams, b: B.Budget) -> dict[str, Any]:
    s = min(len(p.sub_brands), b.accounts - 1)
    n_spokes = b.accounts - 1 - s
    spokes = [n_spokes // s + (1 if k < n_spokes % s else 0) for k in range(s)]
    w_sub, w_spoke = B.WEIGHTS[("dandelion", "sub_brand")], B.WEIGHTS[("dandelion", "spoke")]
    official, (sub, spoke) = B.official_and_groups(b, [(s, w_sub), (n_spokes, w_spoke)])
    return {
        "official_followers": official,
        "sub_brands": p.sub_brands[:s],
        "sub_followers": ln(sub),
        "spokes": spokes,
        "spoke_followers": ln(max(spoke, 1)),
    }


def _spend_twin_star(p: TwinStarParams, b: B.Budget) -> dict[str, Any]:
    e = min(p.executives, b.accounts - 1)
    v = b.accounts - 1 - e
    names = list(p.verticals[:v]) + [f"line{k:02d}" for k in range(len(p.verticals) + 1, v + 1)]
    w_exec, w_vert = B.WEIGHTS[("twin_star", "executive")], B.WEIGHTS[("twin_star", "vertical")]
    official, (ex, vert) = B.official_and_groups(b, [(e, w_exec), (v, w_vert)])
    return {
        "official_followers": official,
        "executives": e,
        "executive_followers": ln(ex),
        "verticals": names,
        "vertical_followers": ln(max(vert, 1)),
    }


def _spend(name: str, p: Any, b: B.Budget) -> dict[str, Any]:
    """The parameter values that spend budget ``b`` in preset ``name`` (BudgetError if it cannot)."""
    B.check_accounts(name, b)
    if name == "organic":
        sizes = B.split(b.audience, B.quantile_weights(b.accounts, p.followers.sigma))
        if min(sizes) < 1:
            raise B.BudgetError(
                "audience",
                f"an audience of {b.audience:,} leaves the smallest of {b.accounts} uneven organic units "
                f"without followers (followers.sigma {p.followers.sigma:g}); raise audience or lower accounts",
            )
        return {"accounts": b.accounts, "sizes": sizes}
    if name == "dandelion":
        return _spend_dandelion(p, b)
    if name == "twin_star":
        return _spend_twin_star(p, b)
    fields = {"centralized": ("controlled", "controlled_followers"), "hub": ("regional", "regional_followers")}
    return _spend_star(b, *fields.get(name, ("employees", "employee_followers")))


# --- expansion ------------------------------------------------------------------------------------


def _error(loc: tuple, message: str, value: Any) -> dict[str, Any]:
    # The message goes through the context: a template would read its braces as placeholders.
    return {"type": PydanticCustomError("preset_param", "{message}", {"message": message}), "loc": loc, "input": value}


def _raise(errors: list[dict[str, Any]]) -> None:
    if errors:
        raise ValidationError.from_exception_data("topology.params", errors)  # type: ignore[arg-type]


def _unknown_message(key: str, name: str) -> str:
    owners = [q for q in (*PRESETS, CUSTOM) if q != name and key in param_names(q)]
    if owners:
        return (
            f"{key!r} is a parameter of {', '.join(owners)}, not of {name}: to set it for one preset only, "
            f"write it in that preset's section (topology.params: {{{owners[0]}: {{{key}: ...}}}})"
        )
    return f"unknown parameter {key!r} of preset {name}; expected one of: {', '.join(params_model(name).model_fields)}"


def _unknown_nested(model: type[BaseModel], loc: tuple) -> str:
    """'unknown field' inside a nested parameter (``budget``, ``schedule``, a lognormal)."""
    tp: Any = model.model_fields[loc[0]].annotation if loc[0] in model.model_fields else None
    for arg in (tp, *typing.get_args(tp), *(a for t in typing.get_args(tp) for a in typing.get_args(t))):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return f"unknown field {loc[-1]!r}; expected one of: {', '.join(arg.model_fields)}"
    return f"unknown field {loc[-1]!r}"


def _validate(model: type[BaseModel], data: dict[str, Any], name: str, prefix: Callable[[Any], tuple]) -> Any:
    """``model.model_validate(data)``, errors located at ``prefix(key) + rest`` of params."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = []
        for err in e.errors():
            loc = tuple(err["loc"])
            where = prefix(loc[0]) + loc[1:] if loc else ()
            if err["type"] == "extra_forbidden" and len(loc) == 1:
                errors.append(_error(where, _unknown_message(str(loc[0]), name), {loc[0]: err["input"]}))
            elif err["type"] == "extra_forbidden":
                errors.append(_error(where, _unknown_nested(model, loc), {loc[-1]: err["input"]}))
            else:
                errors.append(_error(where, err["msg"].removeprefix("Value error, "), err.get("input")))
        _raise(errors)
    raise AssertionError("unreachable")


def _under(section: str) -> Callable[[Any], tuple]:
    return lambda k: (section, k)


def _select(name: str, params: Mapping[str, Any]) -> tuple[Any, dict[str, tuple]]:
    """Validate ``params`` for preset ``name``: shared keys plus its own section (which wins);
    other presets' sections are checked against their own presets. Returns (model, key -> loc)."""
    shared = {k: v for k, v in params.items() if _section_name(k) is None}
    where: dict[str, tuple] = {k: (k,) for k in shared}
    own: dict[str, Any] = {}
    for key, section in params.items():
        canon = _section_name(key)
        if canon is None:
            continue
        if not isinstance(section, dict):
            _raise([_error((key,), f"a per-preset section must be a mapping of {canon} parameters", section)])
        elif canon == name:
            own.update(section)
            where.update({k: (key, k) for k in section})
        else:
            _validate(params_model(canon), section, canon, _under(key))
    data = {**shared, **own}
    return _validate(params_model(name), data, name, lambda k: where.get(k, (k,))), where


def _campaign(p: PresetParams, posters: list[str], horizon: float) -> tuple[list[dict[str, Any]], dict | None]:
    """The default campaign and, for a budget's posting rate, what refits it to another horizon."""
    if p.schedule is not None:
        posts = []
        for k, slot in enumerate(p.schedule):
            post = {"account": posters[k % len(posters)], **slot.model_dump(exclude_none=True)}
            posts.append(post)
        return posts, None
    if p.budget is not None:
        rate = {"posters": posters, "start": p.post_at, "every": p.budget.every_h}
        return _rate_campaign(rate, horizon), rate
    return [{"account": a, "at": p.post_at, "repeat": p.posts, "every": p.every} for a in posters], None


def _rate_campaign(rate: Mapping[str, Any], horizon: float) -> list[dict[str, Any]]:
    times = B.post_times(rate["start"], rate["every"], horizon)
    posters = rate["posters"]
    return [{"account": posters[k % len(posters)], "at": t} for k, t in enumerate(times)]


def _apply_budget(name: str, p: PresetParams, where: Mapping[str, tuple]) -> PresetParams:
    """``p`` with the fields a budget sets; conflicts and impossible budgets as located errors."""
    assert p.budget is not None
    given = p.model_fields_set
    conflicts = [f for f in BUDGET_SETS[name] if f in given]
    if p.schedule is None:
        conflicts += [f for f in ("posts", "every") if f in given]
    if conflicts:
        _raise(
            [
                _error(
                    where.get(f, (f,)),
                    f"{f} is set by topology.params.budget (audience, accounts, posts_per_week); remove one of the two",
                    getattr(p, f),
                )
                for f in conflicts
            ]
        )
    try:
        update = _spend(name, p, p.budget)
    except B.BudgetError as e:
        loc = where.get("budget", ("budget",)) + (e.field,)
        _raise([_error(loc, str(e), {e.field: getattr(p.budget, e.field)})])
    return type(p).model_validate({**p.model_dump(exclude_unset=True), **update})


def expand(name: str, params: dict[str, Any] | None = None, horizon: float | None = None) -> dict[str, Any]:
    """Expand a preset into scenario fragments (``accounts``, ``relays``, ``campaign``, ``population``).

    ``horizon`` (hours, default the model's) bounds a budget's posting rate (:func:`merge_preset`
    refits it to the scenario's own horizon). Raises ``ValueError`` for an unknown name and
    ``pydantic.ValidationError`` for bad params (locations relative to ``topology.params``).

    >>> frag = expand("hub", {"regional": 3})
    >>> [a["id"] for a in frag["accounts"]], frag["relays"][0]["probability"]
    (['official', 'regional'], 0.6)
    >>> frag = expand("hub", {"budget": {"audience": 10_000, "accounts": 5, "posts_per_week": 7}})
    >>> frag["accounts"][0]["followers"], frag["accounts"][1]["followers"], len(frag["campaign"])
    (4000, {'median': 1500.0, 'sigma': 0.0}, 3)
    """
    canon = canonical_name(name)
    p, where = _select(canon, params or {})
    if canon == CUSTOM:
        return {"accounts": list(p.accounts), "relays": list(p.relays), "campaign": list(p.campaign)}
    if p.budget is not None:
        p = _apply_budget(canon, p, where)
    frag = BUILDERS[canon][1](p)
    posters = frag.pop("posters", ["official"])
    frag["campaign"], rate = _campaign(p, posters, D.HORIZON_HOURS if horizon is None else horizon)
    if rate is not None:
        frag["rate"] = rate
    frag.setdefault("population", {}).setdefault("size", p.population_size)
    return frag


def _horizon(doc: Mapping[str, Any]) -> float:
    time = doc.get("time")
    h = time.get("horizon") if isinstance(time, dict) else None
    return float(h) if isinstance(h, (int, float)) and not isinstance(h, bool) and h > 0 else D.HORIZON_HOURS


def merge_preset(doc: dict[str, Any], frag: dict[str, Any]) -> tuple[dict[str, Any], dict[tuple, tuple]]:
    """Merge preset fragments under a user document.

    Returns the merged document and ``origin``: a map from a merged list item's path
    (e.g. ``("accounts", 3)``) to the user document's path it came from, so that validation
    errors point at the user's line; items only the preset defines map to ``("topology",)``.
    A budget's posting rate (``frag["rate"]``) is fitted to the document's ``time.horizon``.
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
        rate = frag.get("rate")
        merged["campaign"] = _rate_campaign(rate, _horizon(doc)) if rate else frag.get("campaign", [])
        for i in range(len(merged["campaign"])):
            origin[("campaign", i)] = ("topology",)
    return merged, origin


# --- sweeping presets -----------------------------------------------------------------------------


def scope_params(
    doc: dict[str, Any], presets: Iterable[Any], locs: dict[tuple, tuple[int, int]] | None = None
) -> dict[str, list[str]]:
    """Make a file's preset parameters work in a sweep (or ``--fix``) over ``topology.preset``.

    Parameters in ``topology.params`` that the file's own preset has but some of ``presets``
    do not (``regional`` when ``scenarios/hub.yaml`` is swept to dandelion) are moved into the
    file preset's section (``topology.params.hub.regional``), so they keep applying to the file's
    preset and the others use their own defaults; shared names (``official_followers``,
    ``budget``, ``posts``, ...) apply to every preset. ``doc`` (and ``locs``, so errors still
    point at the line) are changed in place. Returns ``{moved parameter: [presets lacking it]}``
    (empty when nothing moved; unknown names are left for validation to report).
    """
    topo = doc.get("topology")
    params = topo.get("params") if isinstance(topo, dict) else None
    home = _section_name(topo.get("preset")) if isinstance(topo, dict) else None
    if not isinstance(params, dict) or home is None or home == CUSTOM:
        return {}
    targets = {c for c in (_section_name(v) for v in presets) if c is not None and c != home}
    section_key = next((k for k in params if _section_name(k) == home), home)
    moved: dict[str, list[str]] = {}
    for key in [k for k in params if _section_name(k) is None and k in param_names(home)]:
        lacking = sorted(q for q in targets if key not in param_names(q))
        if not lacking:
            continue
        section = params.setdefault(section_key, {})
        if not isinstance(section, dict):
            return moved  # reported by validation
        value = params.pop(key)
        section.setdefault(key, value)
        moved[key] = lacking
        if locs is not None and ("topology", "params", key) in locs:
            locs[("topology", "params", section_key, key)] = locs[("topology", "params", key)]
    return moved


def describe_scoped(moved: Mapping[str, list[str]], home: str, where: str = "") -> str:
    """One note for the user: which parameters apply to which presets, and how to write it."""
    by_preset: dict[str, list[str]] = {}
    for key, lacking in moved.items():
        for q in lacking:
            by_preset.setdefault(q, []).append(key)
    parts = "; ".join(f"{q} has no {', '.join(keys)}" for q, keys in sorted(by_preset.items()))
    others = sorted(by_preset)
    example = next(iter(moved))
    return (
        f"{where}topology.params {', '.join(moved)} apply to {home} only ({parts}), so the {', '.join(others)} "
        f"points use {'its' if len(others) == 1 else 'their'} own defaults for them; shared parameters apply to "
        f"every preset. To set parameters per preset write topology.params: {{{home}: {{{example}: ...}}, "
        f"{others[0]}: {{...}}}}; to compare presets at one size give them one budget "
        "(topology.params.budget: {audience, accounts, posts_per_week})."
    )
