"""What a run's figures mean: warnings that need the built world or the run, realised audience overlaps,
and counts scaled back to full size.

* :func:`run_warnings`: every warning of a run: the scenario's own (:mod:`simulator.scenario.warnings`),
  the built world's (the union audience and chance overlaps measured, declared overlaps the build could
  not realise) and the run's (saturated reach).
* :func:`overlap_rows`: declared vs realised share of one unit's followers who also follow another unit.
* :func:`full_size`: with ``--scale``, the count metrics divided by the scale (people, deliveries and
  follower reposts; shares, ratios, hours and depths are the same at any scale; the matrix's own posts and
  relays do not depend on the population).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator.results.metrics import METRICS
from simulator.scenario.estimates import declared_pairs, estimate_audiences
from simulator.scenario.matrix import Matrix
from simulator.scenario.schema import Scenario
from simulator.scenario.warnings import (
    RANDOM_OVERLAP_WARN,
    SATURATION_WARN,
    UNION_WARN,
    ScenarioWarning,
    chance_exceeds,
    exceeds,
    located,
    random_overlap_warning,
    scenario_warnings,
    union_warning,
)

if TYPE_CHECKING:
    from simulator.scenario.locate import Locator
    from simulator.world.build import World

# The world build's warning texts (simulator.world.audiences): a declared overlap realised lower, and a
# chance overlap from an audience above 5% of the population (re-examined here per pair with the
# targeting-aware estimate and the realised share: see world_warnings).
_UNREALISED = re.compile(r"^account '(?P<id>.+?)': overlap with ")
_CHANCE = re.compile(r"by chance|without a declared overlap")
# Count metrics that scale with the population (see module docstring); depth_distribution too.
FOLLOWER_POSTS = ("follower_reposts", "repost_decisions")
SCALED_UNITS = ("people", "deliveries")


def overlap_rows(world: World) -> list[dict[str, Any]]:
    """Realised overlaps of a built world (``world.overlaps``) as rows: ``account`` and ``other`` (units:
    an account id or a group id), ``declared`` (share of ``account``'s followers declared to follow
    ``other``; None when not declared), ``realised`` (mean over the unit's members), ``realised_min``,
    ``realised_max``, and ``reverse_declared`` (True when the pair is undeclared but the opposite direction is
    declared: then its size follows from that declaration, it is not chance). Declared pairs first, then
    undeclared ones by size."""
    declared = {(o.account, o.other) for o in world.overlaps if o.declared is not None}

    def reverse(o: Any) -> bool:
        return bool(getattr(o, "implied", False)) or (o.declared is None and (o.other, o.account) in declared)

    rows = [
        {
            "account": o.account,
            "other": o.other,
            "declared": None if o.declared is None else round(float(o.declared), 6),
            "realised": round(float(o.realised), 6),
            "realised_min": round(float(o.realised_min), 6),
            "realised_max": round(float(o.realised_max), 6),
            "reverse_declared": reverse(o),
        }
        for o in world.overlaps
    ]
    return sorted(rows, key=lambda r: (r["declared"] is None, -r["realised"]))


def union_audience(world: World) -> int:
    """People following at least one matrix account in a built world."""
    return int(np.unique(world.audience.indices).size)


def world_warnings(sc: Scenario, matrix: Matrix, world: World) -> list[ScenarioWarning]:
    """Warnings from the built world (unlocated): ``audience_union_large`` measured, ``random_overlap``
    where an undeclared overlap is above 5% and so is its estimated chance part (not the reverse of a
    declared overlap, nor implied through a shared partner), ``overlap_unrealised`` for declared overlaps
    the build could not realise, and any other build warning as ``world_build``."""
    out: list[ScenarioWarning] = []
    share = union_audience(world) / max(1, world.n)
    if exceeds(share, UNION_WARN):
        out.append(union_warning(share, world.n, estimated=False))
    linked = declared_pairs(matrix)
    chance: dict[tuple[str, str], float] | None = None
    for o in world.overlaps:
        pair = (o.account, o.other)
        if o.declared is not None or pair in linked or not exceeds(o.realised, RANDOM_OVERLAP_WARN):
            continue
        if chance is None:  # estimated only when needed: most worlds have no such pair
            chance = estimate_audiences(sc, matrix).chance
        expected = chance.get(pair)
        if expected is None or chance_exceeds(expected):
            first = matrix.accounts[matrix.members(o.account)[0]]
            out.append(random_overlap_warning(o.account, o.other, expected or o.realised, o.realised, first.spec_path))
    for text in world.warnings:
        if _CHANCE.search(text) and not _UNREALISED.match(text):
            continue  # re-examined above, pair by pair
        m = _UNREALISED.match(text)
        if m and m.group("id") in matrix.by_id:
            acc = matrix.accounts[matrix.by_id[m.group("id")]]
            out.append(ScenarioWarning("overlap_unrealised", text, acc.spec_path + ("overlap",)))
        else:
            out.append(ScenarioWarning("world_build", text))
    return out


def saturation_warnings(summary: dict[str, Any]) -> list[ScenarioWarning]:
    """``saturated_reach``: a run reaching more than :data:`SATURATION_WARN` of its population."""
    share = float(summary.get("reach_share") or 0.0)
    if not exceeds(share, SATURATION_WARN):
        return []
    msg = (
        f"the run reached {share:.0%} of the population: at saturation every matrix reaches nearly everyone, "
        "so differences between matrices are artefacts; lower behaviour.p0 (or check it against the profile's "
        "plausible range) or enlarge population.size"
    )
    return [ScenarioWarning("saturated_reach", msg, ("behaviour", "p0"))]


def run_warnings(
    sc: Scenario, matrix: Matrix, world: World, summary: dict[str, Any], locate: Locator | None = None
) -> list[ScenarioWarning]:
    """Every warning of a finished run, located with ``locate`` when given (the scenario's checks without
    their audience estimates, which the built world replaces with measured figures)."""
    found = scenario_warnings(sc, matrix, estimates=False)
    found += world_warnings(sc, matrix, world)
    found += saturation_warnings(summary)
    return located(found, locate)


def scaled_metric(name: str) -> bool:
    """True for a summary count that scales with the population (divide by the scale for full size)."""
    m = METRICS.get(name)
    return name in FOLLOWER_POSTS or (m is not None and m.unit in SCALED_UNITS and name != "population")


def full_size(summary: dict[str, Any], scale: float | None, population_full: int | None) -> dict[str, Any]:
    """``{scale, population_full, full_size}`` for a summary: with a scale other than 1, ``full_size`` holds
    every count metric divided by the scale (rounded to whole units; ``depth_distribution`` too), else None.
    Shares (``reach_share``, ``fatigue_share``) refer to the simulated population and hold at full size."""
    factor = 1.0 if scale is None else float(scale)
    full_pop = int(population_full if population_full is not None else round(summary["population"] / factor))
    if factor == 1.0:
        return {"scale": 1.0, "population_full": full_pop, "full_size": None}
    block: dict[str, Any] = {"population": full_pop}
    for k, v in summary.items():
        if scaled_metric(k) and isinstance(v, (int, float)) and not isinstance(v, bool):
            block[k] = int(round(v / factor))
    depth = summary.get("depth_distribution")
    if isinstance(depth, dict):
        block["depth_distribution"] = {k: int(round(v / factor)) for k, v in depth.items()}
    return {"scale": factor, "population_full": full_pop, "full_size": block}
