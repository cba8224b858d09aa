"""Batch sweeps: repost probability x topology x replicates, reproducible, resumable, parallel.

>>> from simulator.sweeps.runner import sweep
>>> res = sweep("scenarios/hub.yaml", {"behaviour.p0": [0.001, 0.002, 0.004]},
...             replicates=5, overrides=["population.size=20000"], workers=2)  # doctest: +SKIP
>>> res.points[["behaviour.p0", "reach_mean", "reach_ci_low", "reach_ci_high"]]  # doctest: +SKIP

Declaring a sweep (see :mod:`simulator.scenario.sweep_spec` for the full syntax): a ``sweep:`` section in
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
:mod:`simulator.sweeps.store` for the layout and the README's sweep output contract for the tables.

Engines: ``engine="abm"`` (default) runs the agent-based model; ``engine="ic"`` (``--engine ic``)
computes the final reach / reposts of every ``behaviour.p0`` of a replicate in one
independent-cascade pass when the scenario reduces to plain IC (see :mod:`simulator.sweeps.ic_engine`;
refused up front, with what prevents it, when it does not).

Differences: every non-baseline point is compared with its baseline point replicate by replicate
(the ``differences`` table, :mod:`simulator.sweeps.differences`; ``baseline=`` / ``--baseline``).

Resume: running the same sweep into the same folder skips the finished runs (and runs again those
that failed, and those whose part files were damaged); the tables are then identical to an
uninterrupted sweep's (except ``duration_s``). A folder made by a different scenario or sweep is
refused unless ``resume=False``, which clears it; a folder another running sweep holds is refused
at once (:mod:`simulator.sweeps.lock`). Ctrl-C stops at once, keeps every finished run on disk and
raises :class:`SweepInterrupted`. A worker process that dies is replaced and its tasks retried
(:mod:`simulator.sweeps.dispatch`).

Worlds: each worker process builds a replicate's world once and keeps it
(:mod:`simulator.sweeps.worldcache`); the runs per task follow from the measured cost of a build
and of a run (:mod:`simulator.sweeps.batching`).
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simulator import __version__
from simulator.scenario.loading import available_memory
from simulator.sweeps.batching import Timing
from simulator.sweeps.dispatch import LOST, Dispatcher
from simulator.sweeps.engines import ABM, Engine, dumps, execute, execute_payload, get_engine
from simulator.sweeps.executors import Backend, open_backend
from simulator.sweeps.lock import SweepBusy, SweepLock
from simulator.sweeps.plan import SweepPlan, prepare
from simulator.sweeps.progress import Progress
from simulator.sweeps.store import SweepError, SweepStore, default_format, describe_change
from simulator.sweeps.tables import SweepResult, consolidate, read_sweep
from simulator.sweeps.tasks import TaskResult, TaskSpec
from simulator.sweeps.worldcache import CACHE

FORMAT_VERSION = 2  # 2: per-task records with part checksums (1: none)

__all__ = [
    "SweepBusy",
    "SweepError",
    "SweepInterrupted",
    "SweepPlan",
    "SweepProgress",
    "SweepResult",
    "WorkersLost",
    "prepare",
    "read_sweep",
    "run_plan",
    "sweep",
]


class WorkersLost(SweepError):
    """The worker processes kept dying (or the pool could not be replaced): some runs were not run."""


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep: the finished runs are on disk in ``output``; run again to resume."""

    def __init__(self, done: int, total: int, output: Path | None):
        self.done, self.total, self.output = done, total, output
        super().__init__(
            f"sweep interrupted: {done}/{total} runs finished" + (f" and kept in {output}" if output else "")
        )


@dataclass(frozen=True)
class SweepProgress:
    """Passed to ``callback`` after each finished task (in the main process)."""

    done: int
    total: int
    failed: int
    elapsed_s: float
    task: int


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
        "format_version": FORMAT_VERSION,
        "name": ctx.doc.get("name") if isinstance(ctx.doc.get("name"), str) else None,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "running",
        "fingerprint": plan.fingerprint,
        "scenario": {
            "source": ctx.source,
            "sha256": plan.identity["scenario"]["sha256"],
            "text": plan.scenario_text,
            "overrides": [[".".join(map(str, p)), v] for p, v in ctx.fixed],
            "scale": ctx.scale,
        },
        "sweep": plan.identity["sweep"],
        "plan": {
            "points": len(plan.points),
            "replicates": plan.spec.replicates,
            "runs": plan.total_runs,
            "tasks": len(plan.tasks),
            "batch_size": plan.batch_size,
            "format": store.fmt,
            "cache_worlds": ctx.cache_worlds,
            "seed_rule": "replicate k runs with seed SeedSequence([root seed, k]).generate_state(1, uint64)[0] >> 1",
        },
        "columns": {"parameters": plan.spec.names},
        "versions": _versions(),
        "backend": backend_desc,
    }


def _notice(log: Callable[[str], None] | None) -> Callable[[str], None]:
    """Where messages that must not go unseen go (stale lock taken over, a worker lost)."""
    return log or (lambda m: print(m, file=sys.stderr, flush=True))


def _open_folder(
    plan: SweepPlan, folder: Path, resume: bool, format: str | None, batch_size: int | None, say: Callable[[str], None]
) -> tuple[SweepStore, dict[str, Any] | None, int]:
    """The folder's store, its manifest when resuming (None for a new sweep) and its batch size
    (0 for a new sweep); refuses a folder that holds something else."""
    fmt = format if format not in (None, "auto") else None
    probe = SweepStore(folder, fmt or default_format())
    old = probe.read_manifest()
    if old is not None and not resume:
        probe.clear()
        old = None
    batch = 0
    if old is not None:
        if old.get("fingerprint") != plan.fingerprint:
            raise SweepError(
                f"{folder} holds a different sweep ({describe_change(old, plan.identity)}); refusing to "
                "resume. Use --no-resume (resume=False) to start over there, or --output for a new folder."
            )
        old_fmt = old.get("plan", {}).get("format", probe.fmt)
        if fmt is not None and fmt != old_fmt:
            raise SweepError(f"{folder} holds {old_fmt} tables; resume with --format {old_fmt} or use --no-resume")
        fmt = old_fmt
        batch = int(old["plan"]["batch_size"])
        if batch_size is not None and batch_size != batch:
            say(f"sweep: resuming with the folder's batch size {batch} (not {batch_size})")
    else:
        fmt = fmt or default_format()
        if (folder / "summary.json").is_file():
            raise SweepError(f"{folder} is a propsim run folder (it has summary.json); choose another --output")
        probe.clear(parts_only=True)  # stale parts without a manifest must not leak into the tables
    if fmt == "parquet":
        from simulator.results.output import require_parquet

        require_parquet()
    return SweepStore(folder, fmt), old, batch


def _pilot_timing(plan: SweepPlan, backend: Backend) -> tuple[Timing | None, dict[str, float]]:
    """Build and run costs measured by a pilot task in a worker (:mod:`simulator.sweeps.batching`)
    and the pilot's own timings; None when they cannot be measured (another engine, a failing run,
    a lost worker)."""
    if get_engine(plan.context.engine) is not ABM or plan.total_runs <= 1:
        return None, {}
    task = plan.pilot_task()
    if backend.remote:
        fut = backend.executor.submit(execute_payload, dumps(plan.context), task)
    else:
        fut = backend.executor.submit(execute, plan.context, task)
    try:
        result = fut.result()
    except Exception:  # the sweep proper reports what is wrong
        return None, {}
    t = result.timings
    if result.failed or not t:
        return None, t
    n = len(task.runs)
    if t.get("builds") and n > 1:  # the last run found the world built and the code compiled: a warm run
        return Timing(t["build_s"] / t["builds"], float(result.runs["duration_s"].iloc[-1])), t
    if t.get("builds"):
        return Timing(t["build_s"] / t["builds"], t["run_s"] / n), t
    return Timing(0.0, float(result.runs["duration_s"].mean())), t  # no cache: each run builds its world


def _batching_note(plan: SweepPlan, timing: Timing | None) -> dict[str, Any]:
    """How the batch size was chosen (manifest ``plan.batching``)."""
    if get_engine(plan.context.engine).batch_size:
        return {"rule": "engine"}
    if timing is None:
        return {"rule": "population"}
    return {"rule": "measured", "build_s": round(timing.build_s, 4), "run_s": round(timing.run_s, 4)}


def _cache_budget(plan: SweepPlan, capacity: int) -> int:
    """Bytes of worlds each worker may keep: what is left of 60% of the available memory after
    ``capacity`` runs at once, shared among the workers."""
    return max(0, int((0.6 * available_memory() - capacity * plan.estimated_bytes) / max(1, capacity)))


class _Session:
    """Bookkeeping of one run_plan call: writes each task's parts, counts, reports progress."""

    def __init__(self, store: SweepStore, bar: Progress, callback: Callable[[SweepProgress], None] | None):
        self.store, self.bar, self.callback = store, bar, callback
        self.t0 = time.monotonic()
        self.builds = 0
        self.build_s = 0.0

    def count(self, timings: dict[str, float]) -> None:
        """Add a task's (or the pilot's) world builds to the sweep's totals."""
        self.builds += int(timings.get("builds", 0))
        self.build_s += float(timings.get("build_s", 0.0))

    def finish(self, task: TaskSpec, result: TaskResult) -> None:
        self.store.write_part(result)
        self.count(result.timings)
        self.bar.update(len(task.runs), result.failed)
        if self.callback is not None:
            done, total, failed = self.bar.done, self.bar.total, self.bar.failed
            self.callback(SweepProgress(done, total, failed, time.monotonic() - self.t0, task.index))


def run_plan(
    plan: SweepPlan,
    output: str | os.PathLike,
    *,
    workers: int = 1,
    cluster: str | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    resume: bool = True,
    format: str | None = None,
    batch_size: int | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    callback: Callable[[SweepProgress], None] | None = None,
) -> dict[str, Any]:
    """Run the plan's remaining tasks into ``output`` and consolidate; returns the manifest.

    Raises SweepInterrupted on Ctrl-C (after saving), SweepBusy when another sweep holds the
    folder, SweepError if the folder belongs to another sweep (unless ``resume=False``) or the
    workers cannot run at all."""
    folder = Path(output)
    with SweepLock(folder, _notice(log)):
        return _run_locked(
            plan, folder, (workers, cluster, scheduler, executor), resume, format, batch_size, progress, log, callback
        )


def _run_locked(
    plan: SweepPlan,
    folder: Path,
    where: tuple,
    resume: bool,
    format: str | None,
    batch_size: int | None,
    progress: bool,
    log: Callable[[str], None] | None,
    callback: Callable[[SweepProgress], None] | None,
) -> dict[str, Any]:
    store, old, batch = _open_folder(plan, folder, resume, format, batch_size, log or (lambda m: None))
    legacy = old is not None and int(old.get("format_version", 1)) < FORMAT_VERSION
    backend: Backend | None = None
    interrupted = False
    fatal: BaseException | None = None
    session: _Session | None = None
    pilot: dict[str, float] = {}
    batching: dict[str, Any] = {"rule": "given"}
    try:
        if not batch:  # a new sweep: the batch size depends on the workers and the measured costs
            backend = open_backend(*where)
            plan.context.world_cache_bytes = _cache_budget(plan, backend.capacity)
            timing = None
            if not batch_size:
                timing, pilot = _pilot_timing(plan, backend)
                batching = _batching_note(plan, timing)
            batch = batch_size or plan.default_batch_size(backend.capacity, timing)
        plan.plan_tasks(batch)
        done_tasks = store.done_tasks(plan.tasks, legacy) if old is not None else set()
        todo = [t for t in plan.tasks if t.index not in done_tasks]
        manifest = dict(old) if old is not None else _manifest(plan, store, "")
        if old is None:
            manifest["plan"]["batching"] = batching
        if todo and backend is None:
            backend = open_backend(*where)
            plan.context.world_cache_bytes = _cache_budget(plan, backend.capacity)
        if backend is not None:
            manifest["backend"] = backend.description
            _memory_warning(plan, backend, len(todo), log)
        manifest["status"] = "running"
        store.write_manifest(manifest)
        bar = Progress(plan.total_runs, sum(len(plan.tasks[i].runs) for i in done_tasks), progress, log)
        session = _Session(store, bar, callback)
        session.count(pilot)
        try:
            if todo:
                assert backend is not None
                fatal = Dispatcher(plan.context, backend, session.finish, _notice(log)).run(todo)
        finally:
            bar.close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if backend is not None:
            backend.close(interrupted)
        CACHE.clear()  # worlds built in this process (one worker, or the pilot) go back
    if session is None:  # interrupted before anything ran
        raise SweepInterrupted(0, plan.total_runs, folder)
    return _finish(plan, store, manifest, legacy, session, interrupted, fatal, folder)


def _memory_warning(plan: SweepPlan, backend: Backend, todo: int, log: Callable[[str], None] | None) -> None:
    avail = available_memory()
    at_once = min(backend.capacity, todo)
    if plan.estimated_bytes * at_once > 0.8 * avail and log:
        log(
            f"sweep: warning: {at_once} runs at once may need about "
            f"{plan.estimated_bytes * at_once / 1e9:.1f} GB of {avail / 1e9:.1f} GB available"
        )


def _finish(
    plan: SweepPlan,
    store: SweepStore,
    manifest: dict[str, Any],
    legacy: bool,
    session: _Session,
    interrupted: bool,
    fatal: BaseException | None,
    folder: Path,
) -> dict[str, Any]:
    """Consolidate the tables, write the final manifest, raise for an interrupt or dead workers."""
    runs, meta = consolidate(plan, store, legacy)
    manifest.update(meta)
    failed = int((runs["status"] != "ok").sum())
    ok = int((runs["status"] == "ok").sum())
    lost = int(runs["error"].fillna("").astype(str).str.startswith(LOST).sum()) if len(runs) else 0
    not_run = plan.total_runs - ok - failed
    manifest["status"] = (
        "interrupted" if interrupted or not_run else "complete" if failed == 0 else "complete_with_failures"
    )
    manifest["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    manifest["progress"] = {
        "ok": ok,
        "failed": failed,
        "lost": lost,
        "not_run": not_run,
        "elapsed_s": round(time.monotonic() - session.t0, 3),
        "world_builds": session.builds,
        "world_build_s": round(session.build_s, 3),
    }
    store.write_manifest(manifest)
    if interrupted:
        raise SweepInterrupted(ok + failed, plan.total_runs, folder)
    if fatal is not None and not_run:
        raise WorkersLost(
            f"the workers stopped ({type(fatal).__name__}: {fatal} Out of memory?): "
            f"{not_run} runs were not run. Finished runs are kept in {folder}; "
            "run the same command again to resume."
        )
    return manifest


def sweep(
    scenario: Any,
    parameters: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
    *,
    replicates: int | None = None,
    seed: int | None = None,
    mode: str | None = None,
    overrides: Any = None,
    scale: float | None = None,
    workers: int = 1,
    cluster: str | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    output: str | os.PathLike | None = None,
    resume: bool = True,
    format: str | None = None,
    batch_size: int | None = None,
    metrics: Callable[[Any], Mapping[str, Any]] | None = None,
    cache_worlds: bool = True,
    engine: str | Engine = "abm",
    baseline: Mapping[str, Any] | None = None,
    progress: bool = True,
    callback: Callable[[SweepProgress], None] | None = None,
) -> SweepResult:
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
        engine: ``"abm"`` (the agent-based model), ``"ic"`` (:mod:`simulator.sweeps.ic_engine`: the whole
            reach-vs-p0 curve of a replicate in one independent-cascade pass, for one-post scenarios
            with fatigue, churn and alpha/beta off; final sizes, time-based metrics NaN, no
            timeseries; anything else is refused before any run) or a callable
            ``(RunContext, TaskSpec) -> TaskResult`` (fast paths).
        baseline: ``{parameter: value}``, the point the ``differences`` table compares every
            other point with (default: the first value of the first swept parameter).
        progress: show a progress bar; callback: ``fn(SweepProgress)`` after each task.

    Raises:
        ScenarioError: an invalid scenario, sweep section or point (before any run).
        SweepError: the output folder holds a different sweep, or the workers died.
        SweepInterrupted: Ctrl-C (a KeyboardInterrupt); finished runs are kept in ``output``.
    """
    plan = prepare(
        scenario,
        parameters,
        replicates=replicates,
        seed=seed,
        mode=mode,
        overrides=overrides,
        scale=scale,
        metrics=metrics,
        cache_worlds=cache_worlds,
        engine=engine,
        baseline=baseline,
    )
    tmp = None
    if output is None:
        tmp = tempfile.mkdtemp(prefix="propsim-sweep-")
        output = tmp
    try:
        run_plan(
            plan,
            output,
            workers=workers,
            cluster=cluster,
            scheduler=scheduler,
            executor=executor,
            resume=resume,
            format=format,
            batch_size=batch_size,
            progress=progress,
            callback=callback,
        )
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
