"""Warnings before a scenario misleads: checks that need only the loaded scenario (nothing is built).

A warning is never fatal: the scenario is valid, but a result would mislead a strategist (a relay that
can only fire at its off-topic probability, a world so small that every matrix reaches the same people,
a repost probability no real platform shows, a horizon that cuts the cascades short). ``propsim validate``
and ``propsim run`` print them; a run's ``summary.json`` lists them under ``warnings``. Each names the
field to change (``where``: ``FILE:LINE``; ``field``: its path as written).

Thresholds (and why):

* ``relay_off_topic``: a relay edge that every campaign item reaching it finds off-topic, while its
  off-topic probability is below its on-topic one (the engine's rule: on-topic when the item's topic is
  ``general`` or one of the target's ``topics``).
* ``commentary_no_appeal``: commentary relays by account kinds other than ``executive``/``employee`` while
  ``behaviour.commentary_appeal`` is not 1. The multiplier models a person's own voice (docs/model.md,
  "Commentary multiplier"), so a brand account's commentary does not get it; it still has commentary's
  exposure weight (0.4) and duplicate load. Declaring commentary for such an account usually means
  expecting the boost.
* ``audience_union_large``: the matrix's accounts together follow more than half the population (then
  every matrix reaches nearly the same people and their differences are artefacts of a small world).
* ``random_overlap``: one unit's followers are expected to follow another unit, with no declared overlap
  between them (nor through a shared partner), by chance more than 5% of the time (the world build's
  threshold; the estimate warns half a point above it, :data:`CHANCE_SLACK`); a run also requires the
  built world's realised overlap above 5%.
* ``outside_plausible``: a value more than a factor :data:`FAR` outside the behaviour profile's plausible
  range (:func:`simulator.scenario.profiles.plausible_ranges`); ``branching_implausible``: the reposts per
  reposter ``R ~ p0 x graph.mean_followees`` far outside the range the profile implies on its own graph.
* ``relay_implausible``: a relay probability in (0, 0.02), or an off-topic probability above the on-topic
  one (see :data:`RELAY_PLAUSIBLE`).
* ``horizon_short``: the horizon ends less than the 90th percentile of the organic repost latency (or of a
  relay's latency) after the first post; ``late_posts``: posts that leave less than that before the
  horizon (more than 10% of their direct reposts would fall after it).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from simulator import defaults as D
from simulator.scenario.errors import escape_unsafe, fmt_path, shown, truncate
from simulator.scenario.estimates import RelayReach, estimate_audiences, unit_of
from simulator.scenario.matrix import Matrix
from simulator.scenario.profiles import NO_PROFILE, plausible_ranges
from simulator.scenario.schema import Scenario

if TYPE_CHECKING:
    from simulator.scenario.loading import LoadedScenario
    from simulator.scenario.locate import Locator

PERSONAL_VOICES = ("executive", "employee")  # = simulator.engine.model.PERSONAL_VOICES (tests check)
UNION_WARN = 0.5  # share of the population the matrix's union audience may cover
RANDOM_OVERLAP_WARN = 0.05  # = simulator.world.audiences.UNDECLARED_OVERLAP_WARN (tests check)
# The chance-overlap estimate is an expectation (lognormal mean follower counts, independent draws) good to
# a few percent of its value: it warns only half a point above the threshold, so a world sized to the 5%
# limit (as the bundled ones are) does not warn on the estimate's own error.
CHANCE_SLACK = 0.005
SATURATION_WARN = 0.9  # reach share of a run above which matrices can no longer differ
FAR = 1.5  # a value is "far outside" a plausible range beyond lo / FAR or hi * FAR
# Relay probabilities: the source deck's hub example (Wanda cinemas, docs/model.md "hub") had 30 city accounts relay the
# core account 1,735 times in a month of ~90 core posts (3 a day): 1735 / (30 x 90) ~ 0.64 per edge and
# post; the presets use 0.05 (employees' lateral ring) to 0.9 (controlled accounts). Below 0.02 (30x under
# the deck, 2.5x under the lowest preset) an edge fires for fewer than 1 post in 50: a typo (0.006 for
# 0.6) or an edge that is effectively absent. Every value up to 1 is plausible (a team relaying every post).
RELAY_PLAUSIBLE = (0.02, 1.0)
LATENCY_QUANTILE = 0.9
Z90 = 1.2815515655446004  # standard normal quantile at LATENCY_QUANTILE
MAX_NAMES = 3  # items or units named in one message


@dataclass(frozen=True)
class ScenarioWarning:
    """One reason a valid scenario may mislead.

    Attributes:
        code: stable identifier (see the module docstring).
        message: what is wrong and what to change.
        path: the field to change, in the merged (preset-expanded) document, or None.
        where: ``FILE:LINE`` of that field (``--set`` for an override), None until located.
        field: the field's path as the user wrote it (dotted), None until located.
    """

    code: str
    message: str
    path: tuple | None = None
    where: str | None = None
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """``{code, message, where, field}`` for ``summary.json`` (``field`` falls back to ``path``)."""
        fld = self.field if self.field is not None else (fmt_path(self.path) if self.path else None)
        return {"code": self.code, "message": self.message, "where": self.where, "field": fld}

    def __str__(self) -> str:
        where = escape_unsafe(truncate(self.where or self.field or "", 200))
        prefix = f"{where}: " if where else ""
        return f"{prefix}warning: {escape_unsafe(self.message)} [{self.code}]"


def located(warnings: list[ScenarioWarning], locate: Locator | None) -> list[ScenarioWarning]:
    """The warnings with ``where``/``field`` filled from a scenario's locator (unchanged without one)."""
    out = []
    for w in warnings:
        if w.path is None:
            out.append(w)
            continue
        field = fmt_path(w.path)
        where = None
        if locate is not None:
            user = locate.user_path(w.path)
            src, line, _ = locate(w.path)
            written = any(user[:k] in locate.locs for k in range(1, len(user) + 1))
            # a field the file does not write (a default) has no line: name the file, and the field
            where = f"{src}:{line}" if line is not None and (written or src != locate.source) else src
            if not (user[:1] == ("topology",) and w.path[:1] != ("topology",)):
                field = fmt_path(user)  # else an item only the preset defines: named as expanded
        out.append(replace(w, where=where, field=field))
    return out


def loaded_warnings(loaded: LoadedScenario, estimates: bool = True) -> list[ScenarioWarning]:
    """:func:`scenario_warnings` of a loaded scenario, located in its file."""
    found = scenario_warnings(loaded.scenario, loaded.matrix, estimates)
    if getattr(loaded, "horizon_full", None) is not None:  # cut by --until: the horizon is the user's flag
        found = [replace(w, message=w.message.replace("set time.horizon to", "run with --until")) for w in found]
    return located(found, getattr(loaded, "locate", None))


def scenario_warnings(sc: Scenario, matrix: Matrix, estimates: bool = True) -> list[ScenarioWarning]:
    """Every scenario-level warning (unlocated). ``estimates=False`` leaves out the audience estimates
    (a run replaces them with the built world's exact figures)."""
    out: list[ScenarioWarning] = []
    out += relay_topic_warnings(matrix)
    out += commentary_warnings(sc, matrix)
    out += plausibility_warnings(sc)
    out += relay_value_warnings(sc)
    out += horizon_warnings(sc, matrix)
    if estimates:
        out += audience_warnings(sc, matrix)
    return out


def _unit_name(matrix: Matrix, unit: str) -> str:
    return f"{unit}.*" if unit in matrix.groups else unit


def _values(xs: list[float]) -> str:
    lo, hi = min(xs), max(xs)
    return f"{lo:g}" if lo == hi else f"{lo:g}-{hi:g}"


def _names(names: list[str]) -> str:
    shown_names = ", ".join(shown(x) for x in names[:MAX_NAMES])
    return shown_names + (f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else "")


def relay_topic_warnings(matrix: Matrix) -> list[ScenarioWarning]:
    """``relay_off_topic``: relay edges that every campaign item reaching them finds off-topic."""
    if not matrix.relays or not matrix.items:
        return []
    reach = RelayReach(matrix)
    posters: dict[str, list[int]] = defaultdict(list)
    for it in matrix.items:
        posters[it.topic].append(it.account)
    n = len(reach.edges)
    reached_any, reached_on = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    off_topics: list[tuple[str, np.ndarray]] = []
    for topic, who in posters.items():
        reached, on = reach.edge_status(topic, who)
        reached_any |= reached
        reached_on |= reached & on
        off_topics.append((topic, reached & ~on))
    always_off = reached_any & ~reached_on & (reach.p_off < reach.p_on)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, e in enumerate(reach.edges):
        groups[(unit_of(matrix.accounts[e.source]), unit_of(matrix.accounts[e.target]))].append(i)
    out = []
    for (src, dst), idx in groups.items():
        bad = [i for i in idx if always_off[i]]
        if not bad:
            continue
        topics = sorted({t for t, mask in off_topics if mask[bad].any()})
        labels = [it.label for it in matrix.items if it.topic in topics]
        target = matrix.accounts[reach.edges[bad[0]].target]
        msg = (
            f"{len(bad)} of {len(idx)} relays from {_unit_name(matrix, src)} to {_unit_name(matrix, dst)} are "
            f"off-topic for every campaign item that reaches them ({_names(labels)}, topic "
            f"{', '.join(topics)}): they relay at their off-topic probability "
            f"{_values([reach.p_off[i] for i in bad])} instead of {_values([reach.p_on[i] for i in bad])}; "
            f"add {', '.join(topics)} to the topics of {dst}"
        )
        out.append(ScenarioWarning("relay_off_topic", msg, target.spec_path + ("topics",)))
    return out


def commentary_warnings(sc: Scenario, matrix: Matrix) -> list[ScenarioWarning]:
    """``commentary_no_appeal``: commentary by kinds the commentary multiplier does not apply to."""
    appeal = sc.behaviour.commentary_appeal
    if appeal == 1.0:
        return []
    by_target: dict[str, list[int]] = defaultdict(list)
    for e in matrix.relays:
        acc = matrix.accounts[e.target]
        if e.variation == "commentary" and acc.kind not in PERSONAL_VOICES:
            by_target[unit_of(acc)].append(e.target)
    out = []
    for unit, targets in by_target.items():
        acc = matrix.accounts[targets[0]]
        msg = (
            f"{len(targets)} commentary relays by {_unit_name(matrix, unit)} (kind {acc.kind}) get no "
            f"commentary_appeal (x{appeal:g}): it applies only to the commentary of executive and employee "
            "accounts, a person's own voice; if these accounts speak for a person set their kind to executive "
            "or employee, otherwise their commentary only lowers exposure weight and duplicate load"
        )
        out.append(ScenarioWarning("commentary_no_appeal", msg, acc.spec_path + ("kind",)))
    return out


def _dotted(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def plausibility_warnings(sc: Scenario) -> list[ScenarioWarning]:
    """``outside_plausible`` and ``branching_implausible``: behaviour far from the profile's data."""
    b = sc.behaviour
    if b.profile == NO_PROFILE:
        return []
    ranges = plausible_ranges(b.profile)
    out = []
    for key, (lo, hi) in sorted(ranges.items()):
        value = _dotted(sc, key)
        if not isinstance(value, (int, float)) or lo / FAR <= value <= hi * FAR:
            continue
        side = "above" if value > hi * FAR else "below"
        hint = ""
        if key == "behaviour.p0":
            hint = (
                ": expect saturated reach and viral posts the data do not show"
                if side == "above"
                else ": expect almost no follower reposts"
            )
        msg = (
            f"{key} = {value:g} is far {side} the range consistent with the {b.profile} profile's data "
            f"({lo:g}-{hi:g}){hint}"
        )
        out.append(ScenarioWarning("outside_plausible", msg, tuple(key.split("."))))
    mf = sc.graph.mean_followees
    if "behaviour.p0" in ranges and mf > 0 and mf != D.MEAN_FOLLOWEES and b.p0 is not None:
        lo, hi = (x * D.MEAN_FOLLOWEES for x in ranges["behaviour.p0"])
        r = b.p0 * mf
        if not lo / FAR <= r <= hi * FAR:
            what = "cascades one step deep (broadcasts)" if r < lo else "cascades far deeper and larger than real ones"
            msg = (
                f"reposts per reposter R ~ p0 x graph.mean_followees = {b.p0:g} x {mf:g} = {r:.2f}, far outside "
                f"{lo:.2f}-{hi:.2f} (the {b.profile} profile was fitted at {D.MEAN_FOLLOWEES:g} followees per "
                f"user): expect {what}; scale behaviour.p0 by {D.MEAN_FOLLOWEES:g} / {mf:g} to keep R"
            )
            out.append(ScenarioWarning("branching_implausible", msg, ("graph", "mean_followees")))
    return out


def relay_value_warnings(sc: Scenario) -> list[ScenarioWarning]:
    """``relay_implausible``: relay probabilities outside :data:`RELAY_PLAUSIBLE` or inverted."""
    lo = RELAY_PLAUSIBLE[0]
    out = []
    for k, r in enumerate(sc.relays):
        name = f"{r.source} -> {r.target}"
        if 0 < r.probability < lo:
            msg = (
                f"relay probability {r.probability:g} ({name}) fires for fewer than 1 post in {1 / lo:.0f}: "
                f"relay probabilities from {lo:g} up are plausible (the deck's hub measured ~0.64 per city "
                "account and core post); use 0 for no relay"
            )
            out.append(ScenarioWarning("relay_implausible", msg, ("relays", k, "probability")))
        if r.off_topic_probability is not None and r.off_topic_probability > r.probability:
            msg = (
                f"off-topic relay probability {r.off_topic_probability:g} is above the on-topic one "
                f"{r.probability:g} ({name}): swapped?"
            )
            out.append(ScenarioWarning("relay_implausible", msg, ("relays", k, "off_topic_probability")))
    return out


def latency_quantile(median: float, sigma: float) -> float:
    """The :data:`LATENCY_QUANTILE` quantile of a lognormal latency (hours)."""
    return median * math.exp(Z90 * sigma)


def horizon_warnings(sc: Scenario, matrix: Matrix) -> list[ScenarioWarning]:
    """``horizon_short`` and ``late_posts``: cascades the horizon cuts short."""
    if not matrix.items:
        return []
    horizon = sc.time.horizon
    first = min(it.at for it in matrix.items)
    lat = sc.behaviour.latency
    q_org = latency_quantile(lat.median, lat.sigma) if lat is not None else 0.0
    q_relay = max((latency_quantile(r.latency.median, r.latency.sigma) for r in sc.relays), default=0.0)
    path = ("time", "horizon")
    pct = f"{100 * LATENCY_QUANTILE:.0f}th percentile"
    if horizon - first < max(q_org, q_relay):
        parts = [f"the {pct} of the organic repost latency is {q_org:.1f} h"]
        if q_relay > horizon - first:
            parts.append(f"of the slowest relay latency {q_relay:.1f} h")
        msg = (
            f"the horizon ends {horizon - first:g} h after the first post but {' and '.join(parts)}: most "
            f"cascades are cut short; set time.horizon to at least {first + max(q_org, q_relay):.0f} h"
        )
        return [ScenarioWarning("horizon_short", msg, path)]
    late = [it for it in matrix.items if horizon - it.at < q_org]
    if not late:
        return []
    last = max(it.at for it in late)
    msg = (
        f"{len(late)} of {len(matrix.items)} posts ({_names([it.label for it in late])}) leave less than the "
        f"{pct} of the organic repost latency ({q_org:.1f} h) before the horizon: more than 10% of their "
        f"direct reposts fall after it (counted in pending_at_horizon); set time.horizon to at least "
        f"{last + q_org:.0f} h to see them whole"
    )
    return [ScenarioWarning("late_posts", msg, path)]


def audience_warnings(sc: Scenario, matrix: Matrix) -> list[ScenarioWarning]:
    """``audience_union_large`` and ``random_overlap``, estimated from the scenario alone."""
    est = estimate_audiences(sc, matrix)
    out = []
    if exceeds(est.union_share, UNION_WARN):
        out.append(union_warning(est.union_share, sc.population.size, estimated=True))
    for (x, y), share in sorted(est.chance.items(), key=lambda kv: -kv[1]):
        if chance_exceeds(share):
            acc = matrix.accounts[est.units[x][0]]
            out.append(random_overlap_warning(x, y, share, None, acc.spec_path))
    return out


def exceeds(share: float, threshold: float) -> bool:
    """``share`` is above ``threshold`` as printed (to 0.1 percentage point): a world sized to exactly the
    threshold, as the bundled ones are, does not warn on rounding."""
    return share > threshold + 5e-4


def chance_exceeds(share: float) -> bool:
    """An estimated chance overlap above :data:`RANDOM_OVERLAP_WARN` by more than :data:`CHANCE_SLACK`."""
    return share > RANDOM_OVERLAP_WARN + CHANCE_SLACK


def union_warning(share: float, population: int, estimated: bool) -> ScenarioWarning:
    """``audience_union_large`` for a union audience covering ``share`` of ``population`` people."""
    how = "are expected to follow" if estimated else "follow"
    msg = (
        f"the matrix's accounts together {how} {share:.0%} of the population of {population:,}: every matrix "
        f"reaches nearly the same people, so differences between matrices are artefacts of a small world; "
        f"enlarge population.size until the union stays under {UNION_WARN:.0%}"
    )
    return ScenarioWarning("audience_union_large", msg, ("population", "size"))


def random_overlap_warning(
    unit: str, other: str, chance: float, realised: float | None, spec_path: tuple
) -> ScenarioWarning:
    """``random_overlap``: ``chance`` share of ``unit``'s followers expected to follow ``other`` at random."""
    seen = f"; {realised:.1%} realised" if realised is not None else ""
    msg = (
        f"{unit} and {other} share followers without a declared overlap: about {chance:.1%} of {unit}'s "
        f"followers are expected to follow {other} by chance (above {RANDOM_OVERLAP_WARN:.0%}{seen}); enlarge "
        f"population.size, or declare the overlap ({unit}: overlap: {{{other}: share}}) if it is real"
    )
    return ScenarioWarning("random_overlap", msg, spec_path + ("overlap",))
