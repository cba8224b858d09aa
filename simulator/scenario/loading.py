"""Reading scenario files: YAML 1.2 -> overrides -> preset expansion -> validation -> matrix.

Every problem found is reported at once as ``FILE:LINE:COL: field.path: message`` through
:class:`ScenarioError`. YAML is read with ruamel.yaml's round-trip loader (YAML 1.2: ``no`` stays
a string, ``1e-3`` is a number, duplicate keys are errors) and converted to plain Python values;
no Python objects are ever constructed from tags.

>>> sc = load_text("name: demo\\ntopology: hub\\npopulation: {size: 20000}\\n"
...                "topology_params: {}\\n") # doctest: +SKIP
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from simulator import defaults as D
from simulator.scenario import presets
from simulator.scenario.errors import Problem, ScenarioError, fmt_path
from simulator.scenario.locate import Locator, validation_problems
from simulator.scenario.matrix import Counts, Matrix, build_matrix, count_matrix, limit_problems
from simulator.scenario.overrides import apply_override, parse_overrides
from simulator.scenario.paths import resolve_scenario_path
from simulator.scenario.schema import LOGNORMAL_MEDIAN, Scenario
from simulator.scenario.yaml_io import Locations, parse_yaml, read_text


@dataclass
class LoadedScenario:
    """A validated scenario and its expanded account matrix."""

    scenario: Scenario
    matrix: Matrix
    source: str
    estimated_bytes: int
    estimated_seconds: float = 0.0
    # where each field was written (warnings point at FILE:LINE), and the --scale factor with the
    # population size before it (a run reports its counts scaled back to full size too)
    locate: Locator | None = field(default=None, repr=False, compare=False)
    scale: float | None = None
    population_full: int | None = None
    # with ``until``: the file's horizon and how many originals its campaign had before the cut
    horizon_full: float | None = None
    originals_full: int | None = None


# --- the cost model ---------------------------------------------------------------------------------
# A validation-time estimate of the peak memory and run time of building and running a scenario,
# from counts alone (nothing is built first). The constants are per-unit costs of the engine:
# retune them when the engine changes (benchmarks/model.py prints estimate vs measured).
BASE_BYTES = 200e6  # interpreter, numpy, Mesa, numba
FOLLOWER_BYTES = 32  # per follower: state arrays
# Touched state (engine/state.py, engine/archive.py): a 16-byte hot slot per (item, person) delivered in
# the last day, 10 bytes per older pair in the per-item archive; measured 3.69 GB of item state for 288M
# pairs at the end of the 580M platform month (12.8 bytes a pair; 15 allows for the table's growth), and
# person slots (hash table in implicit worlds, 18.6 bytes a person there, ~28 during a rehash; dense in
# explicit worlds: FOLLOWER_BYTES).
PAIR_BYTES = 15
PERSON_BYTES = 29
FOLLOWER_EDGE_BYTES = 30  # per follower-graph edge while building (endpoints, uniforms, sort keys)
AUDIENCE_LINK_BYTES = 24  # per account -> follower link
ACCOUNT_BYTES = 4_000  # per matrix account: Python objects, Mesa agent, per-account arrays
RELAY_EDGE_BYTES = 600  # per relay edge: pair set entry, RelayEdge object, de-duplication dict
TICK_BYTES = 400  # per tick: a time-series row and the schedule
IMPLICIT_FOLLOWER_BYTES = 0  # implicit world: nothing per person (the people reached: PERSON_BYTES)
EXPLICIT_MAX_EDGES = 40_000_000  # graph.world auto: explicit up to this many follower edges (= world.build's)
BASE_SECONDS = 2.0
SECONDS_PER_TICK = 2e-4  # one scheduler step with nothing to deliver
SECONDS_PER_FOLLOWER_EDGE = 2e-7  # building the follower graph
# per expected delivery (one exposure, decision, load and exit): measured CPU per delivery of the
# platform month (benchmarks/results/platform-580m-10m.md: 794 ns at 580M with the archive's compaction,
# 652 ns at 10M) and the heavy-campaign model benchmark (benchmarks/results/model-1m.md: ~300 ns explicit)
SECONDS_PER_DELIVERY_EXPLICIT = 3.5e-7
SECONDS_PER_DELIVERY_IMPLICIT = 8e-7
SECONDS_PER_RELAY_ITEM = 2e-5  # one account's relay decision for one item
MAX_TICKS = 1_000_000  # horizon / tick: a year at one-minute ticks is 525,600
MAX_SECONDS = 24 * 3600.0  # refuse a run estimated to take longer than a day (check_memory=False skips)


@dataclass(frozen=True)
class Cost:
    """Estimated peak bytes and seconds of a scenario, with the counts behind them."""

    bytes: int
    seconds: float
    ticks: int
    counts: Counts
    parts: dict[str, float]  # bytes by cause: followers, graph, audiences, accounts, relays, ticks (, state)
    deliveries: float = 0.0  # expected deliveries (with_deliveries)
    pairs: float = 0.0  # expected (item, person) pairs reached


def estimate_cost(sc: Scenario, counts: Counts | None = None) -> Cost:
    """Estimate the peak memory (bytes) and run time (seconds) of ``sc`` from counts alone."""
    counts = counts or count_matrix(sc)
    n = sc.population.size
    items = max(1, counts.items)
    ticks = math.ceil(sc.time.horizon / sc.time.tick - 1e-9)
    follower_edges = n * sc.graph.mean_followees
    mode = getattr(sc.graph, "world", "auto")
    explicit = mode == "explicit" or (mode == "auto" and follower_edges <= EXPLICIT_MAX_EDGES)
    parts = {
        "followers": n * (FOLLOWER_BYTES if explicit else IMPLICIT_FOLLOWER_BYTES),
        "graph": follower_edges * FOLLOWER_EDGE_BYTES if explicit else 0.0,
        "audiences": counts.audience_links * AUDIENCE_LINK_BYTES,
        "accounts": counts.accounts * ACCOUNT_BYTES,
        "relays": counts.relay_edges * RELAY_EDGE_BYTES,
        "ticks": ticks * TICK_BYTES,
    }
    seconds = (
        BASE_SECONDS
        + ticks * SECONDS_PER_TICK
        + (follower_edges * SECONDS_PER_FOLLOWER_EDGE if explicit else 0.0)
        + counts.relay_edges * items * SECONDS_PER_RELAY_ITEM
    )
    return Cost(int(BASE_BYTES + sum(parts.values())), seconds, ticks, counts, parts)


def with_deliveries(sc: Scenario, cost: Cost, matrix: Matrix) -> Cost:
    """``cost`` plus what the campaign's expected deliveries add (:mod:`simulator.scenario.delivery_estimate`):
    the touched state (per (item, person) pair and per person reached) and the time of the deliveries."""
    from simulator.scenario.delivery_estimate import estimate_deliveries
    from simulator.scenario.estimates import estimate_audiences

    explicit = cost.parts["graph"] > 0
    union = estimate_audiences(sc, matrix).union
    d = estimate_deliveries(sc, matrix, union)
    state = d.pairs * PAIR_BYTES + (0.0 if explicit else d.people * PERSON_BYTES)
    per = SECONDS_PER_DELIVERY_EXPLICIT if explicit else SECONDS_PER_DELIVERY_IMPLICIT
    parts = {**cost.parts, "state": state}
    return Cost(int(cost.bytes + state), cost.seconds + d.total * per, cost.ticks, cost.counts, parts, d.total, d.pairs)


def estimate_memory(sc: Scenario) -> int:
    """Rough peak bytes of building and running the scenario (see README 'Scale')."""
    return estimate_cost(sc).bytes


def _field_to_change(sc: Scenario, cost: Cost, part: str) -> tuple[tuple, str]:
    """The field that drives a cost ``part``, and how to say what to reduce."""
    if part == "relays":
        k = max(range(len(cost.counts.relay_edges_by_entry)), key=cost.counts.relay_edges_by_entry.__getitem__)
        return ("relays", k), f"{cost.counts.relay_edges:,} relay edges: relay to a smaller group or use pattern: ring"
    if part == "ticks":
        return ("time", "tick"), f"{cost.ticks:,} ticks: use a longer tick or a shorter horizon"
    if part == "accounts":
        return ("accounts",), f"{cost.counts.accounts:,} accounts: use smaller groups (count)"
    if part == "state":
        return ("campaign",), (
            f"about {cost.deliveries / 1e6:,.0f} million deliveries to {cost.pairs / 1e6:,.0f} million "
            "(post, person) pairs: run at a smaller --scale, or fewer posts (--until HOURS for the first hours)"
        )
    return ("population", "size"), (
        f"population {sc.population.size:,}, {sc.graph.mean_followees:g} followees each, "
        f"{cost.counts.items} items: reduce population.size or graph.mean_followees"
    )


def cost_problems(sc: Scenario, cost: Cost, check_memory: bool) -> list[tuple[tuple, str]]:
    """Refusals from the estimate: the tick limit always, memory and time unless ``check_memory``
    is off. Each names the field that drives the cost."""
    problems = limit_problems(sc, cost.counts)
    if cost.ticks > MAX_TICKS:
        problems.append(
            (
                ("time", "tick"),
                f"horizon {sc.time.horizon:g} h / tick {sc.time.tick:g} h = {cost.ticks:,} ticks; at most "
                f"{MAX_TICKS:,}: use a longer tick",
            )
        )
    if not check_memory or problems:
        return problems
    have = available_memory()
    if cost.bytes > D.MEMORY_FRACTION * have:
        path, why = _field_to_change(sc, cost, max(cost.parts, key=cost.parts.__getitem__))
        need = f"this scenario would need about {cost.bytes / 1e9:.1f} GB of memory"
        problems.append((path, f"{need} but only {have / 1e9:.1f} GB is available ({why})"))
    elif cost.seconds > MAX_SECONDS:
        drivers = {
            "ticks": cost.ticks * SECONDS_PER_TICK,
            "relays": cost.counts.relay_edges * SECONDS_PER_RELAY_ITEM,
            "state": cost.deliveries * SECONDS_PER_DELIVERY_IMPLICIT,
        }
        part = max(drivers, key=drivers.__getitem__) if max(drivers.values()) > cost.seconds / 2 else "followers"
        path, why = _field_to_change(sc, cost, part)
        problems.append((path, f"this scenario would run for about {cost.seconds / 3600:.0f} hours ({why})"))
    return problems


def machine_fit(loaded: LoadedScenario) -> list[str]:
    """Why this machine would refuse to run a scenario loaded with ``check_memory=False`` (its estimate
    above the memory available now, or above a day of run time); empty if it would run."""
    have = available_memory()
    out = []
    if loaded.estimated_bytes > D.MEMORY_FRACTION * have:
        out.append(
            f"a run needs about {loaded.estimated_bytes / 1e9:.1f} GB of memory but only {have / 1e9:.1f} GB is "
            "available here, so `propsim run` refuses it: run it at a smaller --scale (or its first hours with "
            "--until HOURS)"
        )
    elif loaded.estimated_seconds > MAX_SECONDS:
        out.append(f"a run would take about {loaded.estimated_seconds / 3600:.0f} hours, so `propsim run` refuses it")
    return out


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or total RAM if that is unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def load_document(
    doc: Any,
    source: str,
    locs: dict[tuple, tuple[int, int]] | None = None,
    overrides: list[tuple[tuple, Any]] | None = None,
    check_memory: bool = True,
    scale: float | None = None,
    until: float | None = None,
) -> LoadedScenario:
    """Validate a scenario given as plain Python data (e.g. parsed YAML or a dict from a notebook).

    ``scale`` multiplies the population size and every account's follower count (e.g. 0.05 for
    a quick run at 5% size with the same shape); it is applied after the preset is expanded.
    ``until`` (hours) sets ``time.until``: only the start of the campaign runs (:func:`first_hours`).
    ``check_memory=False`` skips the memory and run-time refusals (the hard limits stay).
    """
    if not isinstance(doc, dict):
        raise ScenarioError(
            [Problem(source, 1, 1, "", "a scenario file must be a mapping of fields (name:, topology:, ...)")]
        )
    try:
        over = list(overrides or []) + ([(("time", "until"), until)] if until is not None else [])
        return _load(copy.deepcopy(doc), source, locs or {}, over, check_memory, scale)
    except RecursionError:  # only a document built in Python can nest this deep (the YAML reader stops at 64)
        raise ScenarioError([Problem(source, None, None, "", "the document is nested too deeply")]) from None


def _load(
    doc: dict,
    source: str,
    locs: Locations,
    overrides: list[tuple[tuple, Any]],
    check_memory: bool,
    scale: float | None,
) -> LoadedScenario:
    section = doc.pop("sweep", None)
    if section is not None:
        # a sweep definition belongs to `propsim sweep`; elsewhere it is checked, then ignored
        from simulator.scenario.sweep_spec import parse_section

        parse_section(section, source, locs)
    locate = Locator(source, locs, {}, _apply_overrides(doc, overrides))
    doc = _expand_topology(doc, locate)
    try:
        sc = Scenario.model_validate(doc, strict=True)
    except ValidationError as e:
        raise ScenarioError(validation_problems(e, doc, locate)) from None
    full = sc.population.size
    horizon_full, originals_full = sc.time.horizon, sum(p.repeat for p in sc.campaign)
    until = sc.time.until
    cut = until is not None and until < sc.time.horizon
    if until is not None and not sc.time.tick <= until <= sc.time.horizon:
        msg = (
            f"until ({until:g} h) must lie between one tick ({sc.time.tick:g} h) and the horizon "
            f"({sc.time.horizon:g} h)"
        )
        raise ScenarioError([locate.problem(("time", "until"), msg)])
    if until is not None and cut:
        try:
            sc = first_hours(sc, until)
        except ValueError as e:
            raise ScenarioError([locate.problem(("time", "until"), str(e))]) from None
    if scale is not None:
        sc = scaled(sc, scale)
    # the estimate comes from counts alone: nothing is expanded before it is known to fit
    cost = estimate_cost(sc)
    refused = cost_problems(sc, cost, check_memory)
    if refused:
        raise ScenarioError([locate.problem(path, msg) for path, msg in refused])
    matrix, mproblems = build_matrix(sc)
    if mproblems or matrix is None:
        raise ScenarioError([locate.problem(path, msg) for path, msg in mproblems])
    # the campaign's deliveries need the matrix (who publishes what): a second look once it is built
    cost = with_deliveries(sc, cost, matrix)
    refused = cost_problems(sc, cost, check_memory)
    if refused:
        raise ScenarioError([locate.problem(path, msg) for path, msg in refused])
    whole = (horizon_full, originals_full) if cut else (None, None)
    return LoadedScenario(sc, matrix, source, cost.bytes, cost.seconds, locate, scale, full, *whole)


def _apply_overrides(doc: dict, overrides: list[tuple[tuple, Any]]) -> set[tuple]:
    """Apply ``--set`` overrides in place; the set of paths they own (set or created)."""
    overridden: set[tuple] = set()
    problems: list[Problem] = []
    for path, value in overrides:
        try:
            # mappings the override creates are its own too: a problem there is the --set's
            overridden.update(apply_override(doc, path, value))
            overridden.add(path)
        except ValueError as e:
            problems.append(Problem("--set", None, None, fmt_path(path), str(e)))
    if problems:
        raise ScenarioError(problems)
    return overridden


def _expand_topology(doc: dict, locate: Locator) -> dict:
    """Merge a ``topology:`` preset's expansion under the document (``locate.origin`` records
    where merged list items came from)."""
    topo = doc.get("topology")
    spec = {"preset": topo} if isinstance(topo, str) else topo
    if not (isinstance(spec, dict) and isinstance(spec.get("preset"), str)):
        return doc
    name_path = ("topology",) if isinstance(topo, str) else ("topology", "preset")
    try:
        canon = presets.canonical_name(spec["preset"])
        frag = presets.expand(canon, spec.get("params") if isinstance(spec.get("params"), dict) else {})
    except ValueError as e:
        if isinstance(e, ValidationError):
            raise ScenarioError(validation_problems(e, doc, locate, ("topology", "params"))) from None
        src, line, col = locate(name_path)
        raise ScenarioError([Problem(src, line, col, fmt_path(name_path), str(e))]) from None
    doc, origin_new = presets.merge_preset(doc, frag)
    locate.origin.update(origin_new)
    doc["topology"] = {"preset": canon} if isinstance(topo, str) else {**spec, "preset": canon}
    return doc


def scaled(sc: Scenario, factor: float) -> Scenario:
    """A copy of ``sc`` with population size and follower counts multiplied by ``factor``."""
    if not 0 < factor <= 1000:
        raise ScenarioError([Problem("--scale", None, None, "", f"scale must be in (0, 1000], got {factor:g}")])
    data = sc.model_dump()
    data["population"]["size"] = max(1, int(round(data["population"]["size"] * factor)))
    for acc in data["accounts"]:
        acc["followers"]["median"] = max(LOGNORMAL_MEDIAN[0], acc["followers"]["median"] * factor)
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        msgs = "; ".join(f"{fmt_path(tuple(err['loc']))}: {err['msg']}" for err in e.errors()[:3])
        raise ScenarioError(
            [Problem("--scale", None, None, "", f"scale {factor:g} gives an invalid scenario: {msgs}")]
        ) from None


def first_hours(sc: Scenario, until: float) -> Scenario:
    """The first ``until`` hours of ``sc`` (``time.until``): the horizon becomes ``until``, a repeated post
    keeps the repeats that fall before it and a post that starts at or after it is dropped (so a
    month-long campaign can be looked at for a week without editing its file). Raises ValueError when
    no post starts before ``until``."""
    data = sc.model_dump()
    kept = []
    for post in data["campaign"]:
        if post["at"] < until:
            post["repeat"] = min(post["repeat"], math.ceil((until - post["at"]) / post["every"]))
            kept.append(post)
    if not kept:
        first = min(p.at for p in sc.campaign)
        raise ValueError(f"no campaign post starts before hour {until:g} (the first is at {first:g} h)")
    data["campaign"] = kept
    data["time"]["horizon"] = float(until)
    return Scenario.model_validate(data)


def load_text(
    text: str,
    source: str = "<scenario>",
    overrides: list[str] | None = None,
    seed: int | None = None,
    check_memory: bool = True,
    scale: float | None = None,
    until: float | None = None,
) -> LoadedScenario:
    """Load a scenario from YAML text. ``overrides`` are ``PATH=VALUE`` strings (as ``--set``)."""
    doc, locs = parse_yaml(text, source)
    parsed = parse_overrides(overrides)
    if seed is not None:
        parsed.append((("seed",), seed))
    return load_document(doc, source, locs, parsed, check_memory=check_memory, scale=scale, until=until)


def load(
    path: str | os.PathLike,
    overrides: list[str] | None = None,
    seed: int | None = None,
    check_memory: bool = True,
    scale: float | None = None,
    until: float | None = None,
) -> LoadedScenario:
    """Load and validate a scenario file (UTF-8). Raises :class:`ScenarioError` on any problem.
    ``scale`` multiplies population and follower counts; ``until`` (hours) keeps only the start of the
    campaign (:func:`first_hours`).

    >>> loaded = load("scenarios/hub.yaml", overrides=["population.size=20000"])  # doctest: +SKIP
    >>> week = load("scenarios/platform_brand.yaml", until=168, scale=0.01)  # doctest: +SKIP
    """
    return load_text(read_text(path), str(path), overrides, seed, check_memory, scale, until)


def read_scenario(scenario: str | os.PathLike | Mapping[str, Any]) -> tuple[dict, Locations, str, str]:
    """``(document, locations, source, text)`` of a scenario given as a path, the name of a bundled
    scenario (``hub``) or a mapping (a copy is returned); raises :class:`ScenarioError`."""
    if isinstance(scenario, Mapping):
        doc = copy.deepcopy(dict(scenario))
        return doc, {}, "<scenario>", json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1, default=str)
    if not isinstance(scenario, (str, os.PathLike)):
        raise TypeError(f"scenario must be a path or a mapping, got {type(scenario).__name__}")
    path = resolve_scenario_path(os.fspath(scenario))
    source = str(path)
    text = read_text(path)
    doc, locs = parse_yaml(text, source)
    if not isinstance(doc, dict):
        raise ScenarioError(
            [Problem(source, 1, 1, "", "a scenario file must be a mapping of fields (name:, topology:, ...)")]
        )
    return doc, locs, source, text
