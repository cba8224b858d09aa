"""Batch sweeps: repost probability x topology x replicates, reproducible, resumable, parallel.

>>> from simulator.sweep_runner import sweep
>>> res = sweep("scenarios/hub.yaml", {"behaviour.p0": [0.001, 0.002, 0.004]},
...             replicates=5, overrides=["population.size=20000"], workers=2)  # doctest: +SKIP
>>> res.points[["behaviour.p0", "reach_mean", "reach_ci_low", "reach_ci_high"]]  # doctest: +SKIP

Declaring a sweep (see :mod:`simulator.sweep_spec` for the full syntax): a ``sweep:`` section in
the scenario file and/or ``parameters=`` here / ``--set PATH=VALUES`` on the command line::

    sweep:
      parameters:
        behaviour.p0: [0.001, 0.002, 0.004]
        fatigue.kappa: {log: [1e-3, 1e-1, 5]}
        topology.params.relay_probability: {linear: [0.2, 1.0, 5]}
      mode: grid        # full factorial (default) or zip
      replicates: 10
      seed: 0           # root seed (default: the scenario's seed)

Reproducibility: replicate ``k`` runs with a seed derived from (root seed, k) only, so the same
inputs give identical tables with 1 worker, N workers or a Dask cluster, and replicate ``k`` sees
the same follower world at every point (common random numbers). Every point is validated before
any run starts. Results go to a folder (``output=``; a temporary one when None): see
:mod:`simulator.sweep_store` for the layout and the README's sweep output contract for the tables.

Engines: ``engine="abm"`` (default) runs the agent-based model; ``engine="ic"`` (``--engine ic``)
computes the final reach / reposts of every ``behaviour.p0`` of a replicate in one
independent-cascade pass when the scenario reduces to plain IC (see :mod:`simulator.sweep_ic`;
refused up front, with what prevents it, when it does not).

Resume: running the same sweep into the same folder skips the finished runs (and runs again those
that failed); the tables are then identical to an uninterrupted sweep's (except ``duration_s``).
A folder made by a different scenario or sweep is refused unless ``resume=False``, which clears it.
Ctrl-C stops at once, keeps every finished run on disk and raises :class:`SweepInterrupted`.
"""

from __future__ import annotations

import copy
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .scenario_io import (Problem, ScenarioError, apply_override, available_memory, load_document,
                          parse_override, parse_yaml)
from .sweep_exec import (Backend, RunContext, RunSpec, TaskResult, TaskSpec, dumps, execute,
                         engine_hook, execute_payload, open_backend, resolve_engine, world_key)
from .sweep_spec import SweepSpec, build_spec, column_values, parse_section, replicate_seed, run_id
from .sweep_store import (SweepError, SweepStore, default_format, describe_change, fingerprint,
                          points_table)

__all__ = ["SweepError", "SweepInterrupted", "SweepPlan", "SweepProgress", "SweepResult", "prepare",
           "read_sweep", "run_plan", "sweep"]

MAX_TASK_RUNS = 64


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the finished runs are on disk in ``output``; run again to resume."""

    def __init__(self, done: int, total: int, output: Path | None):
        self.done, self.total, self.output = done, total, output
        super().__init__(f"sweep interrupted: {done}/{total} runs finished"
                         + (f" and kept in {output}" if output else ""))


@dataclass(frozen=True)
class SweepProgress:
    """Passed to ``callback`` after each finished task (in the main process)."""

    done: int
    total: int
    failed: int
    elapsed_s: float
    task: int


@dataclass
class SweepResult:
    """Tables of a sweep (pandas DataFrames) and where they were written.

    ``runs``: one row per run (parameters, replicate, seed, status, error, duration_s, metrics,
    traceback); ``timeseries``: run_id + the per-tick series; ``frequency``: run_id, exposures,
    followers; ``points``: one row per parameter point with n and M_mean / M_sd / M_ci_low /
    M_ci_high for every metric M.
    """

    runs: pd.DataFrame
    timeseries: pd.DataFrame
    points: pd.DataFrame
    frequency: pd.DataFrame
    manifest: dict[str, Any]
    output: Path | None = None

    @property
    def parameters(self) -> list[str]:
        return [p["path"] for p in self.manifest.get("sweep", {}).get("parameters", [])]

    @property
    def failed(self) -> pd.DataFrame:
        """Rows of the failed runs (error and traceback included)."""
        return self.runs[self.runs["status"] != "ok"]

    def __repr__(self) -> str:
        n = len(self.runs)
        return (f"<SweepResult {self.manifest.get('name')!r}: {n} runs ({len(self.failed)} failed), "
                f"{len(self.points)} points, parameters {self.parameters}"
                + (f", in {self.output}" if self.output else "") + ">")


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

    def plan_tasks(self, batch_size: int) -> None:
        """Tasks: contiguous slices of one fixed run order (replicate by replicate; inside a
        replicate the points sharing a world together), of at most ``batch_size`` runs, packing
        whole world groups so a world is built once per task and never split unless it must be."""
        self.batch_size = batch_size
        names = self.spec.names
        col_points = self.column_points()
        groups: dict[str, list[int]] = {}
        for i, g in enumerate(self.world_groups):
            groups.setdefault(g, []).append(i)
        tasks: list[TaskSpec] = []
        current: list[RunSpec] = []

        def flush() -> None:
            if current:
                tasks.append(TaskSpec(len(tasks), tuple(current)))
                current.clear()

        for k in range(self.spec.replicates):
            seed = replicate_seed(self.spec.seed, k)
            for members in groups.values():
                runs = [RunSpec(run_id(names, self.points[i], k), i, k, seed,
                                tuple(self.spec.overrides(self.points[i])), tuple(zip(names, col_points[i])))
                        for i in members]
                if len(current) + len(runs) > batch_size:
                    flush()
                for lo in range(0, len(runs), batch_size):
                    current.extend(runs[lo:lo + batch_size])
                    if len(current) >= batch_size:
                        flush()
        flush()
        self.tasks = tasks

    def default_batch_size(self, capacity: int) -> int:
        """Runs per task: enough tasks to keep ``capacity`` workers busy (>= 4 each), few enough
        runs that a task of a large population does not hold results back for long."""
        fixed = engine_hook(self.context.engine, "batch_size")
        if fixed:  # a whole-curve engine: a replicate's world group in one task
            return int(fixed)
        by_size = max(1, int(2_000_000 // max(1, self.population)))
        by_parallel = max(1, math.ceil(self.total_runs / (4 * max(1, capacity))))
        return max(1, min(MAX_TASK_RUNS, by_size, by_parallel))


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


# --- preparing ----------------------------------------------------------------------------------------

def _read_scenario(scenario: Any) -> tuple[dict, dict, str, str]:
    """(document, locations, source, text) from a path, a bundled name or a mapping."""
    if isinstance(scenario, Mapping):
        doc = copy.deepcopy(dict(scenario))
        return doc, {}, "<scenario>", json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1, default=str)
    if not isinstance(scenario, (str, os.PathLike)):
        raise TypeError(f"scenario must be a path or a mapping, got {type(scenario).__name__}")
    from .cli import resolve_scenario_path

    path = resolve_scenario_path(os.fspath(scenario))
    from .scenario_io import read_text

    source = str(path)
    text = read_text(path)
    doc, locs = parse_yaml(text, source)
    if not isinstance(doc, dict):
        raise ScenarioError([Problem(source, 1, 1, "", "a scenario file must be a mapping of fields (name:, topology:, ...)")])
    return doc, locs, source, text


def _fixed_overrides(overrides: Any) -> list[tuple[tuple, Any]]:
    if not overrides:
        return []
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    out, problems = [], []
    for o in items:
        if isinstance(o, str):
            try:
                out.append(parse_override(o))
            except ValueError as e:
                problems.append(Problem("--set", None, None, o.partition("=")[0], str(e)))
            except ScenarioError as e:
                problems.extend(e.problems)
        else:
            path, value = o
            path = tuple(int(p) if isinstance(p, str) and p.isdigit() else p
                         for p in (path.split(".") if isinstance(path, str) else path))
            out.append((path, value))
    if problems:
        raise ScenarioError(problems)
    return out


def _callable_name(fn: Any) -> str | None:
    if fn is None or isinstance(fn, str):
        return fn
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"


def prepare(scenario: Any, parameters: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None, *,
            replicates: int | None = None, seed: int | None = None, mode: str | None = None,
            overrides: Any = None, scale: float | None = None,
            metrics: Callable[[Any], Mapping[str, Any]] | None = None, cache_worlds: bool = True,
            engine: str | Callable = "abm", check_memory: bool = True) -> SweepPlan:
    """Read and validate a sweep, every point included; raise ScenarioError naming the bad point."""
    resolve_engine(engine)  # an unknown engine name fails here, not in every worker
    doc, locs, source, text = _read_scenario(scenario)
    section = doc.pop("sweep", None)
    sec, file_params = parse_section(section, source, locs)
    fixed = _fixed_overrides(overrides)
    base = copy.deepcopy(doc)
    for path, value in fixed:
        try:
            apply_override(base, path, value)
        except ValueError:
            pass  # reported with its location by load_document below
    default_seed = base.get("seed", 0) if isinstance(base.get("seed", 0), int) else 0
    spec = build_spec(sec, file_params, parameters, replicates, seed, mode, default_seed)
    points = spec.points()
    paths = [p for p, _ in fixed] + [p.path for p in spec.parameters]
    if isinstance(doc.get("topology"), str) and any(len(p) > 1 and p[0] == "topology" for p in paths):
        doc["topology"] = {"preset": doc["topology"]}  # `topology: hub` + a swept topology.params.x

    check = engine_hook(engine, "check")
    loaded_points: list[Any] = []
    groups: list[str] = []
    problems: dict[tuple, Problem] = {}
    failing = 0
    population = need = 0
    for pt in points:
        try:
            loaded = load_document(doc, source, locs, fixed + spec.overrides(pt), check_memory=check_memory, scale=scale)
        except ScenarioError as e:
            failing += 1
            for p in e.problems:
                p = _relocate(p, spec)
                key = (p.source, p.line, p.col, p.path, p.message)
                if key not in problems:
                    problems[key] = Problem(p.source, p.line, p.col, p.path,
                                            f"{p.message} (at sweep point {spec.label(pt)})" if spec.parameters else p.message)
            groups.append("")
            continue
        groups.append(world_key(loaded.scenario, loaded.matrix, with_seed=False))
        if check is not None:
            loaded_points.append(loaded)
        population = max(population, loaded.scenario.population.size)
        need = max(need, loaded.estimated_bytes)
    if problems:
        found = list(problems.values())[:20]
        if failing > 1:
            found.append(Problem(source, None, None, "sweep", f"{failing} of {len(points)} points are invalid"))
        raise ScenarioError(found)

    ctx = RunContext(doc, source, locs, tuple(fixed), scale, metrics, cache_worlds, engine)
    if check is not None:  # e.g. the ic engine: refuse what it cannot compute before any run
        found = [Problem(source, None, None, "sweep", f"engine {engine!r} cannot run this sweep: {m}")
                 for m in check(ctx, spec, points, loaded_points)]
        if found:
            raise ScenarioError(found)

    scenario_doc = {"document": doc, "overrides": [[list(p), v] for p, v in fixed], "scale": scale}
    identity = {
        "scenario": {"sha256": fingerprint(scenario_doc)},
        "sweep": {**spec.definition(), "engine": _callable_name(engine), "metrics": _callable_name(metrics)},
    }
    return SweepPlan(spec, ctx, points, groups, population, need, identity, text)


def _relocate(p: Problem, spec: SweepSpec) -> Problem:
    """Point a problem in a swept value at the value's line in the sweep section."""
    if p.source != "--set":
        return p
    for param in spec.parameters:
        if (p.path == param.name or p.path.startswith(param.name + ".")) and param.where[1] is not None:
            return Problem(param.where[0], param.where[1], param.where[2], p.path, p.message)
    return p


# --- running ------------------------------------------------------------------------------------------

def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"propsim": __version__, "python": platform.python_version()}
    for name in ("numpy", "pandas", "mesa", "pydantic", "scipy", "pyarrow", "dask", "distributed", "cloudpickle"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def _manifest(plan: SweepPlan, store: SweepStore, backend_desc: str) -> dict[str, Any]:
    ctx = plan.context
    return {
        "kind": "propsim-sweep",
        "format_version": 1,
        "name": ctx.doc.get("name") if isinstance(ctx.doc.get("name"), str) else None,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "status": "running",
        "fingerprint": plan.fingerprint,
        "scenario": {"source": ctx.source, "sha256": plan.identity["scenario"]["sha256"],
                     "text": plan.scenario_text,
                     "overrides": [[".".join(map(str, p)), v] for p, v in ctx.fixed], "scale": ctx.scale},
        "sweep": plan.identity["sweep"],
        "plan": {"points": len(plan.points), "replicates": plan.spec.replicates, "runs": plan.total_runs,
                 "tasks": len(plan.tasks), "batch_size": plan.batch_size, "format": store.fmt,
                 "cache_worlds": ctx.cache_worlds,
                 "seed_rule": "replicate k runs with seed SeedSequence([root seed, k]).generate_state(1, uint64)[0] >> 1"},
        "columns": {"parameters": plan.spec.names},
        "versions": _versions(),
        "backend": backend_desc,
    }


def _failed_task(task: TaskSpec, exc: BaseException) -> TaskResult:
    """All runs of a task whose worker died or whose engine raised, recorded as failed."""
    tb = "".join(traceback.format_exception(exc))
    rows = [{"run_id": r.run_id, **dict(r.params), "replicate": r.replicate, "seed": r.seed, "status": "failed",
             "error": f"{type(exc).__name__}: {exc}", "duration_s": math.nan, "traceback": tb} for r in task.runs]
    return TaskResult(task.index, pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame())


class _Progress:
    """A tqdm bar (runs done / total, ETA, failures), or periodic log lines when quiet."""

    def __init__(self, total: int, initial: int, bar: bool, log: Callable[[str], None] | None, every_s: float = 30.0):
        self.total, self.done, self.failed = total, initial, 0
        self.log, self.every = log, every_s
        self.t0 = self.last = time.monotonic()
        self.start_done = initial
        self.bar = None
        if bar:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, initial=initial, unit="run", desc="sweep", file=sys.stderr,
                            dynamic_ncols=True, smoothing=0.1)
            self.bar.set_postfix(failed=0)

    def update(self, runs: int, failed: int) -> None:
        self.done += runs
        self.failed += failed
        if self.bar is not None:
            self.bar.update(runs)
            if failed:
                self.bar.set_postfix(failed=self.failed)
        now = time.monotonic()
        if self.log and (now - self.last >= self.every or self.done == self.total):
            self.last = now
            self.log(self.line())

    def line(self) -> str:
        el = time.monotonic() - self.t0
        rate = (self.done - self.start_done) / el if el > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else math.nan
        eta_s = "-" if math.isnan(eta) else _fmt_s(eta)
        return (f"sweep: {self.done}/{self.total} runs, {self.failed} failed, "
                f"{60 * rate:.1f} runs/min, elapsed {_fmt_s(el)}, ETA {eta_s}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _fmt_s(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def run_plan(plan: SweepPlan, output: str | os.PathLike, *, workers: int = 1, cluster: str | None = None,
             scheduler: str | None = None, executor: Executor | None = None, resume: bool = True,
             format: str | None = None, batch_size: int | None = None, progress: bool = True,
             log: Callable[[str], None] | None = None,
             callback: Callable[[SweepProgress], None] | None = None) -> dict[str, Any]:
    """Run the plan's remaining tasks into ``output`` and consolidate; returns the manifest.

    Raises SweepInterrupted on Ctrl-C (after saving), SweepError if the folder belongs to another
    sweep (unless ``resume=False``) or the worker pool broke."""
    folder = Path(output)
    fmt = format if format not in (None, "auto") else None
    probe = SweepStore(folder, fmt or default_format())
    old = probe.read_manifest()
    if old is not None and not resume:
        probe.clear()
        old = None
    if old is not None:
        if old.get("fingerprint") != plan.fingerprint:
            raise SweepError(
                f"{folder} holds a different sweep ({describe_change(old, plan.identity)}); refusing to "
                "resume. Use --no-resume (resume=False) to start over there, or --output for a new folder.")
        old_fmt = old.get("plan", {}).get("format", probe.fmt)
        if fmt is not None and fmt != old_fmt:
            raise SweepError(f"{folder} holds {old_fmt} tables; resume with --format {old_fmt} or use --no-resume")
        fmt = old_fmt
        batch = int(old["plan"]["batch_size"])
        if batch_size is not None and batch_size != batch:
            (log or (lambda m: None))(f"sweep: resuming with the folder's batch size {batch} (not {batch_size})")
    else:
        fmt = fmt or default_format()
        batch = 0
        if (folder / "summary.json").is_file():
            raise SweepError(f"{folder} is a propsim run folder (it has summary.json); choose another --output")
        probe.clear(parts_only=True)  # stale parts without a manifest must not leak into the tables
    if fmt == "parquet":
        from .output import require_parquet

        require_parquet()
    store = SweepStore(folder, fmt)

    backend: Backend | None = None
    if not batch:  # a new sweep: the batch size depends on how many workers there are
        backend = open_backend(workers, cluster, scheduler, executor)
        batch = batch_size or plan.default_batch_size(backend.capacity)
    plan.plan_tasks(batch)
    done_tasks = store.done_tasks(plan.tasks) if old is not None else set()
    todo = [t for t in plan.tasks if t.index not in done_tasks]
    manifest = dict(old) if old is not None else _manifest(plan, store, backend.description if backend else "")
    initial = sum(len(plan.tasks[i].runs) for i in done_tasks)
    if todo and backend is None:
        backend = open_backend(workers, cluster, scheduler, executor)
    if backend is not None:
        manifest["backend"] = backend.description
        avail = available_memory()
        at_once = min(backend.capacity, len(todo))
        if plan.estimated_bytes * at_once > 0.8 * avail and log:
            log(f"sweep: warning: {at_once} runs at once may need about "
                f"{plan.estimated_bytes * at_once / 1e9:.1f} GB of {avail / 1e9:.1f} GB available")
    manifest["status"] = "running"
    store.write_manifest(manifest)

    bar = _Progress(plan.total_runs, initial, progress, log)
    t0 = time.monotonic()
    interrupted = False
    broken: BaseException | None = None
    try:
        if todo:
            assert backend is not None
            broken = _loop(plan, store, backend, todo, bar, callback, t0)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        bar.close()
        if backend is not None:
            backend.close(interrupted)

    runs = _consolidate(plan, store)
    failed = int((runs["status"] != "ok").sum())
    ok = int((runs["status"] == "ok").sum())
    not_run = plan.total_runs - ok - failed
    manifest["status"] = ("interrupted" if interrupted or not_run else
                          "complete" if failed == 0 else "complete_with_failures")
    manifest["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest["progress"] = {"ok": ok, "failed": failed, "not_run": not_run,
                            "elapsed_s": round(time.monotonic() - t0, 3)}
    store.write_manifest(manifest)
    if interrupted:
        raise SweepInterrupted(ok + failed, plan.total_runs, folder)
    if broken is not None and not_run:
        raise SweepError(f"the workers stopped ({type(broken).__name__}: {broken} Out of memory?): "
                         f"{not_run} runs were not run. Finished runs are kept in {folder}; "
                         "run the same command again to resume.")
    return manifest


def _loop(plan: SweepPlan, store: SweepStore, backend: Backend, todo: list[TaskSpec], bar: _Progress,
          callback: Callable[[SweepProgress], None] | None, t0: float) -> BaseException | None:
    """Submit tasks through the executor (a bounded window), write each finished task's part."""
    ctx = plan.context
    try:
        payload = dumps(ctx) if backend.remote else None
    except Exception as e:  # e.g. a notebook function without cloudpickle installed
        raise SweepError(f"cannot send the sweep to worker processes ({type(e).__name__}: {e}); install "
                         "cloudpickle (it comes with the 'dask' extra) or use workers=1") from None
    window = backend.capacity * 2 if backend.remote else 1
    pending: dict[Future, TaskSpec] = {}
    queue = iter(todo)
    broken: BaseException | None = None

    def fill() -> None:
        nonlocal broken
        while broken is None and len(pending) < window:
            task = next(queue, None)
            if task is None:
                return
            try:
                fut = (backend.executor.submit(execute_payload, payload, task) if backend.remote
                       else backend.executor.submit(execute, ctx, task))
            except (BrokenProcessPool, RuntimeError) as e:  # pool broken or shut down
                broken = e
                return
            pending[fut] = task

    try:
        fill()
        while pending:
            finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in finished:
                task = pending.pop(fut)
                try:
                    result = fut.result()
                except BrokenProcessPool as e:
                    broken = e
                    result = _failed_task(task, e)
                except Exception as e:  # the engine itself raised (per-run errors are caught inside)
                    result = _failed_task(task, e)
                store.write_part(result)
                bar.update(len(task.runs), result.failed)
                if callback is not None:
                    callback(SweepProgress(bar.done, bar.total, bar.failed, time.monotonic() - t0, task.index))
            fill()
    except KeyboardInterrupt:
        for fut in pending:
            fut.cancel()
        raise
    return broken


def _consolidate(plan: SweepPlan, store: SweepStore) -> pd.DataFrame:
    """Consolidated runs / timeseries / frequency / points tables from the parts."""
    reps = plan.spec.replicates
    point_of: dict[str, int] = {}
    order: dict[str, int] = {}
    for t in plan.tasks:
        for r in t.runs:
            point_of[r.run_id] = r.point
            order[r.run_id] = r.point * reps + r.replicate  # runs table: by point, then replicate
    names = plan.spec.names
    str_params = [p.name for p in plan.spec.parameters if any(isinstance(v, str) for v in p.column())]
    runs = store.consolidate([t.index for t in plan.tasks], order, names, str_params)
    points = points_table(runs, names, plan.column_points(), point_of)
    store.write_points(points)
    return runs


def read_sweep(folder: str | os.PathLike) -> SweepResult:
    """Read a sweep folder's consolidated tables (every run, failed ones included)."""
    folder = Path(folder)
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        raise FileNotFoundError(f"{folder}: no manifest.json here (not a propsim sweep folder)")
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    fmt = manifest.get("plan", {}).get("format", "csv")
    # CSV cannot tell "1" from 1: parameters with string values are read back as strings
    str_params = [p["path"] for p in manifest.get("sweep", {}).get("parameters", [])
                  if any(isinstance(v, str) for v in column_values(p["values"]))]
    store = SweepStore(folder, fmt)
    tables = {}
    for name in ("runs", "timeseries", "points", "frequency"):
        p = store.table(name)
        tables[name] = store.read(p, str_columns=str_params) if p.is_file() else pd.DataFrame()
    runs = tables["runs"]
    return SweepResult(runs, tables["timeseries"], tables["points"], tables["frequency"], manifest, folder)


def sweep(scenario: Any, parameters: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None, *,
          replicates: int | None = None, seed: int | None = None, mode: str | None = None,
          overrides: Any = None, scale: float | None = None, workers: int = 1, cluster: str | None = None,
          scheduler: str | None = None, executor: Executor | None = None, output: str | os.PathLike | None = None,
          resume: bool = True, format: str | None = None, batch_size: int | None = None,
          metrics: Callable[[Any], Mapping[str, Any]] | None = None, cache_worlds: bool = True,
          engine: str | Callable = "abm", progress: bool = True,
          callback: Callable[[SweepProgress], None] | None = None) -> SweepResult:
    """Run a sweep and return its tables as DataFrames (:class:`SweepResult`).

    Args:
        scenario: a scenario file (or bundled name such as ``"hub"``) or a scenario mapping; its
            ``sweep:`` section, if any, declares parameters, mode, replicates and seed.
        parameters: ``{path: values}`` added to (or replacing) the section's: a list, a single
            value, ``{"log": [a, b, n]}``, ``{"linear": [a, b, n]}``, or ``"log:a:b:n"``.
        replicates, seed, mode: override the section's (seed = the root seed).
        overrides: fixed scenario overrides, e.g. ``["population.size=20000"]`` (not columns).
        scale: multiply population and follower counts (as ``propsim run --scale``).
        workers: 1 runs in this process; N > 1 a process pool, or N Dask workers with
            ``cluster="local"``; ``scheduler="tcp://host:port"`` uses a running Dask cluster;
            ``executor`` any ``concurrent.futures.Executor`` you made.
        output: folder for the tables (kept; resumable); None = a temporary folder, deleted.
        resume: False clears the folder's sweep files first.
        format: ``"parquet"`` (default when pyarrow is installed) or ``"csv"``.
        batch_size: runs per task (default: from population size and workers).
        metrics: ``fn(RunResult) -> {name: number}``, extra columns per run (may be defined in a
            notebook: it travels by value with cloudpickle).
        cache_worlds: build each replicate's world once per task (results are identical).
        engine: ``"abm"`` (the agent-based model), ``"ic"`` (:mod:`simulator.sweep_ic`: the whole
            reach-vs-p0 curve of a replicate in one independent-cascade pass, for one-post scenarios
            with fatigue, churn and alpha/beta off; final sizes, time-based metrics NaN, no
            timeseries; anything else is refused before any run) or a callable
            ``(RunContext, TaskSpec) -> TaskResult`` (fast paths).
        progress: show a progress bar; callback: ``fn(SweepProgress)`` after each task.

    Raises:
        ScenarioError: an invalid scenario, sweep section or point (before any run).
        SweepError: the output folder holds a different sweep, or the workers died.
        SweepInterrupted: Ctrl-C (a KeyboardInterrupt); finished runs are kept in ``output``.
    """
    plan = prepare(scenario, parameters, replicates=replicates, seed=seed, mode=mode, overrides=overrides,
                   scale=scale, metrics=metrics, cache_worlds=cache_worlds, engine=engine)
    tmp = None
    if output is None:
        tmp = tempfile.mkdtemp(prefix="propsim-sweep-")
        output = tmp
    try:
        run_plan(plan, output, workers=workers, cluster=cluster, scheduler=scheduler, executor=executor,
                 resume=resume, format=format, batch_size=batch_size, progress=progress, callback=callback)
        result = read_sweep(output)
        if tmp is not None:
            result.output = None
        return result
    except SweepInterrupted as e:
        if tmp is not None:
            e.output = None  # the temporary folder goes: pass output= to keep partial results
        raise
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
