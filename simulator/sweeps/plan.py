"""Planning a sweep: read the scenario and the sweep definition, validate every point, group runs
into tasks (runs of one replicate that share a world, in a fixed order).

Seeds (common random numbers): replicate ``k`` of every point runs with the seed
``replicate_seed(root, k)``, derived from (root seed, k) only, so all points of replicate ``k``
see the same world and tasks can be packed and executed in any order.
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulator.scenario import presets
from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.loading import load_document, read_scenario
from simulator.scenario.overrides import apply_override, parse_overrides
from simulator.scenario.sweep_spec import (
    SweepSpec,
    build_spec,
    parse_section,
    replicate_seed,
    resolve_baseline,
    run_id,
)
from simulator.sweeps.batching import Timing, choose_batch
from simulator.sweeps.engines import ABM, Engine, get_engine
from simulator.sweeps.labels import parameter_labels, plausible
from simulator.sweeps.store import fingerprint
from simulator.sweeps.tasks import RunContext, RunSpec, TaskSpec, world_key

__all__ = ["SweepPlan", "prepare"]

MAX_TASK_RUNS = 64  # runs per task at most (a task's results are held in memory until it ends)


@dataclass
class SweepPlan:
    """A validated sweep: the definition, its points and runs, and what identifies it on disk."""

    spec: SweepSpec
    context: RunContext
    points: list[tuple]
    world_groups: list[str]  # per point: key of the world-building fields (seed excluded)
    population: int  # largest population over the points
    estimated_bytes: int  # largest estimated memory of one run
    identity: dict[str, Any]  # scenario + sweep definition (the resume fingerprint covers it)
    scenario_text: str
    tasks: list[TaskSpec] = field(default_factory=list)
    batch_size: int = 0
    baseline: dict[str, Any] = field(default_factory=dict)  # {parameter: column value} of the differences
    metadata: dict[str, Any] = field(default_factory=dict)  # parameter_labels, plausible (manifest)

    @property
    def total_runs(self) -> int:
        return len(self.points) * self.spec.replicates

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.identity)

    def column_points(self) -> list[list[Any]]:
        """Point values as they appear in the table columns."""
        cols = [p.column() for p in self.spec.parameters]
        index = [{_key(v): j for j, v in enumerate(p.values)} for p in self.spec.parameters]
        return [[cols[i][index[i][_key(v)]] for i, v in enumerate(pt)] for pt in self.points]

    def _groups(self) -> dict[str, list[int]]:
        """World groups: points sharing the world-building fields, in first-point order."""
        groups: dict[str, list[int]] = {}
        for i, g in enumerate(self.world_groups):
            groups.setdefault(g, []).append(i)
        return groups

    def _run(self, point: int, replicate: int, col_points: list[list[Any]]) -> RunSpec:
        return RunSpec(
            run_id(self.spec.names, self.points[point], replicate),
            point,
            replicate,
            replicate_seed(self.spec.seed, replicate),
            tuple(self.spec.overrides(self.points[point])),
            tuple(zip(self.spec.names, col_points[point])),
        )

    def units(self) -> list[int]:
        """Runs per (replicate, world group), in plan order: each unit shares one world."""
        sizes = [len(m) for m in self._groups().values()]
        return sizes * self.spec.replicates

    def pilot_task(self) -> TaskSpec:
        """A task measuring the costs: replicate 0's first world group, its first and last point."""
        members = next(iter(self._groups().values()))
        cols = self.column_points()
        picks = dict.fromkeys([members[0], members[-1]])
        return TaskSpec(-1, tuple(self._run(i, 0, cols) for i in picks))

    def plan_tasks(self, batch_size: int) -> None:
        """Tasks: contiguous slices of one fixed run order (replicate by replicate; inside a
        replicate the points sharing a world together), of at most ``batch_size`` runs, packing
        whole world groups so a world is built once per task and never split unless it must be."""
        self.batch_size = batch_size
        cols = self.column_points()
        tasks: list[TaskSpec] = []
        current: list[RunSpec] = []

        def flush() -> None:
            if current:
                tasks.append(TaskSpec(len(tasks), tuple(current)))
                current.clear()

        groups = list(self._groups().values())
        for k in range(self.spec.replicates):
            for members in groups:
                runs = [self._run(i, k, cols) for i in members]
                if len(current) + len(runs) > batch_size:
                    flush()
                for lo in range(0, len(runs), batch_size):
                    current.extend(runs[lo : lo + batch_size])
                    if len(current) >= batch_size:
                        flush()
        flush()
        self.tasks = tasks

    def default_batch_size(self, capacity: int, timing: Timing | None = None) -> int:
        """Runs per task. A whole-curve engine fixes it; with measured ``timing`` (build and run
        seconds, :mod:`simulator.sweeps.batching`) the size that finishes soonest on ``capacity``
        workers with the fewest builds; without, from the population: enough tasks to keep the
        workers busy (>= 4 each), few enough runs that a large task does not hold results back."""
        fixed = get_engine(self.context.engine).batch_size
        if fixed:  # a whole-curve engine: a replicate's world group in one task
            return int(fixed)
        if timing is not None:
            return choose_batch(self.units(), capacity, timing, MAX_TASK_RUNS)
        by_size = max(1, int(2_000_000 // max(1, self.population)))
        by_parallel = max(1, math.ceil(self.total_runs / (4 * max(1, capacity))))
        return max(1, min(MAX_TASK_RUNS, by_size, by_parallel))


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


# --- preparing ----------------------------------------------------------------------------------------


def _callable_name(fn: Any) -> str | None:
    if fn is None or isinstance(fn, str):
        return fn
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


def prepare(
    scenario: Any,
    parameters: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    mode: str | None = None,
    overrides: Any = None,
    scale: float | None = None,
    metrics: Callable[[Any], Mapping[str, Any]] | None = None,
    cache_worlds: bool = True,
    engine: str | Engine = "abm",
    check_memory: bool = True,
    baseline: Mapping[str, Any] | None = None,
) -> SweepPlan:
    """Read and validate a sweep, every point included; raise ScenarioError naming the bad point.

    ``baseline``: ``{parameter: value}`` of the paired differences (default: the first value of the
    first swept parameter; see :func:`simulator.scenario.sweep_spec.resolve_baseline`)."""
    eng = get_engine(engine)  # an unknown engine name fails here, not in every worker
    doc, locs, source, text = read_scenario(scenario)
    section = doc.pop("sweep", None)
    sec, file_params = parse_section(section, source, locs)
    fixed = parse_overrides(overrides)
    base = copy.deepcopy(doc)
    for path, value in fixed:
        with contextlib.suppress(ValueError):  # reported with its location by load_document below
            apply_override(base, path, value)
    default_seed = base.get("seed", 0) if isinstance(base.get("seed", 0), int) else 0
    spec = build_spec(sec, file_params, parameters, replicates, seed, mode, default_seed)
    base_point = resolve_baseline(spec, baseline)  # a bad --baseline fails before any point loads
    points = spec.points()
    paths = [p for p, _ in fixed] + [p.path for p in spec.parameters]
    if isinstance(doc.get("topology"), str) and any(len(p) > 1 and p[0] == "topology" for p in paths):
        doc["topology"] = {"preset": doc["topology"]}  # `topology: hub` + a swept topology.params.x
    notes = _scope_presets(doc, locs, source, fixed, spec)

    keep_loaded = eng is not ABM  # other engines check the loaded points before any run
    loaded_points: list[Any] = []
    groups: list[str] = []
    problems: dict[tuple, Problem] = {}
    failing = 0
    population = need = 0
    first_loaded: Any = None
    for pt in points:
        try:
            loaded = load_document(
                doc, source, locs, fixed + spec.overrides(pt), check_memory=check_memory, scale=scale
            )
        except ScenarioError as e:
            failing += 1
            for p in e.problems:
                p = _relocate(p, spec)
                key = (p.source, p.line, p.col, p.path, p.message)
                if key not in problems:
                    problems[key] = Problem(
                        p.source,
                        p.line,
                        p.col,
                        p.path,
                        f"{p.message} (at sweep point {spec.label(pt)})" if spec.parameters else p.message,
                    )
            groups.append("")
            continue
        groups.append(world_key(loaded.scenario, loaded.matrix, with_seed=False))
        first_loaded = first_loaded or loaded
        if keep_loaded:
            loaded_points.append(loaded)
        population = max(population, loaded.scenario.population.size)
        need = max(need, loaded.estimated_bytes)
    if problems:
        found = list(problems.values())[:20]
        if failing > 1:
            found.append(Problem(source, None, None, "sweep", f"{failing} of {len(points)} points are invalid"))
        raise ScenarioError(found)

    ctx = RunContext(doc, source, locs, tuple(fixed), scale, metrics, cache_worlds, engine)
    found = [
        Problem(source, None, None, "sweep", f"engine {eng.name!r} cannot run this sweep: {m}")
        for m in eng.check(ctx, spec, points, loaded_points)
    ]
    if found:  # e.g. the ic engine refuses what it cannot compute, before any run
        raise ScenarioError(found)

    scenario_doc = {"document": doc, "overrides": [[list(p), v] for p, v in fixed], "scale": scale}
    identity = {
        "scenario": {"sha256": fingerprint(scenario_doc)},
        "sweep": {
            **spec.definition(),
            "engine": engine if isinstance(engine, str) else eng.name,
            "metrics": _callable_name(metrics),
        },
    }
    metadata: dict[str, Any] = {
        "parameter_labels": parameter_labels(spec, base, first_loaded),
        "plausible": plausible(spec, first_loaded),
    }
    if notes:
        metadata["notes"] = notes
    plan = SweepPlan(spec, ctx, points, groups, population, need, identity, text, baseline=base_point)
    plan.metadata = metadata
    return plan


def _scope_presets(doc: dict, locs: dict, source: str, fixed: list, spec: SweepSpec) -> list[str]:
    """A sweep (or ``--fix``) over ``topology.preset``: the file's preset-only parameters stay with
    its preset (:func:`simulator.scenario.presets.scope_params`); returns the note saying so."""
    targets = [v for p, v in fixed if p == ("topology", "preset")]
    targets += [v for p in spec.parameters if p.path == ("topology", "preset") for v in p.values]
    moved = presets.scope_params(doc, targets, locs) if targets else {}
    if not moved:
        return []
    line = locs.get(("topology", "params"))
    where = f"{source}:{line[0]}: " if line else f"{source}: "
    return [presets.describe_scoped(moved, presets.canonical_name(doc["topology"]["preset"]), where)]


def _relocate(p: Problem, spec: SweepSpec) -> Problem:
    """Point a problem in a swept value at the value's line in the sweep section."""
    if p.source != "--set":
        return p
    for param in spec.parameters:
        if (p.path == param.name or p.path.startswith(param.name + ".")) and param.where[1] is not None:
            return Problem(param.where[0], param.where[1], param.where[2], p.path, p.message)
    return p
