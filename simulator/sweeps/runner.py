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

Resume: running the same sweep into the same folder skips the finished runs (and runs again those
that failed); the tables are then identical to an uninterrupted sweep's (except ``duration_s``).
A folder made by a different scenario or sweep is refused unless ``resume=False``, which clears it.
Ctrl-C stops at once, keeps every finished run on disk and raises :class:`SweepInterrupted`.
"""

from __future__ import annotations

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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simulator import __version__
from simulator.scenario.loading import available_memory
from simulator.sweeps.engines import Engine, dumps, execute, execute_payload
from simulator.sweeps.executors import Backend, open_backend
from simulator.sweeps.plan import SweepPlan, prepare
from simulator.sweeps.store import SweepError, SweepStore, default_format, describe_change
from simulator.sweeps.tables import SweepResult, consolidate, read_sweep
from simulator.sweeps.tasks import TaskResult, TaskSpec

__all__ = [
    "SweepError",
    "SweepInterrupted",
    "SweepPlan",
    "SweepProgress",
    "SweepResult",
    "prepare",
    "read_sweep",
    "run_plan",
    "sweep",
]


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
        "format_version": 1,
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


def _failed_task(task: TaskSpec, exc: BaseException) -> TaskResult:
    """All runs of a task whose worker died or whose engine raised, recorded as failed."""
    tb = "".join(traceback.format_exception(exc))
    rows = [
        {
            "run_id": r.run_id,
            **dict(r.params),
            "replicate": r.replicate,
            "seed": r.seed,
            "status": "failed",
            "error": f"{type(exc).__name__}: {exc}",
            "duration_s": math.nan,
            "traceback": tb,
        }
        for r in task.runs
    ]
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

            self.bar = tqdm(
                total=total,
                initial=initial,
                unit="run",
                desc="sweep",
                file=sys.stderr,
                dynamic_ncols=True,
                smoothing=0.1,
            )
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
        return (
            f"sweep: {self.done}/{self.total} runs, {self.failed} failed, "
            f"{60 * rate:.1f} runs/min, elapsed {_fmt_s(el)}, ETA {eta_s}"
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _fmt_s(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


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
                "resume. Use --no-resume (resume=False) to start over there, or --output for a new folder."
            )
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
        from simulator.results.output import require_parquet

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
            log(
                f"sweep: warning: {at_once} runs at once may need about "
                f"{plan.estimated_bytes * at_once / 1e9:.1f} GB of {avail / 1e9:.1f} GB available"
            )
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

    runs, meta = consolidate(plan, store)
    manifest.update(meta)
    failed = int((runs["status"] != "ok").sum())
    ok = int((runs["status"] == "ok").sum())
    not_run = plan.total_runs - ok - failed
    manifest["status"] = (
        "interrupted" if interrupted or not_run else "complete" if failed == 0 else "complete_with_failures"
    )
    manifest["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    manifest["progress"] = {
        "ok": ok,
        "failed": failed,
        "not_run": not_run,
        "elapsed_s": round(time.monotonic() - t0, 3),
    }
    store.write_manifest(manifest)
    if interrupted:
        raise SweepInterrupted(ok + failed, plan.total_runs, folder)
    if broken is not None and not_run:
        raise SweepError(
            f"the workers stopped ({type(broken).__name__}: {broken} Out of memory?): "
            f"{not_run} runs were not run. Finished runs are kept in {folder}; "
            "run the same command again to resume."
        )
    return manifest


def _loop(
    plan: SweepPlan,
    store: SweepStore,
    backend: Backend,
    todo: list[TaskSpec],
    bar: _Progress,
    callback: Callable[[SweepProgress], None] | None,
    t0: float,
) -> BaseException | None:
    """Submit tasks through the executor (a bounded window), write each finished task's part."""
    ctx = plan.context
    try:
        payload = dumps(ctx) if backend.remote else None
    except Exception as e:  # e.g. a notebook function without cloudpickle installed
        raise SweepError(
            f"cannot send the sweep to worker processes ({type(e).__name__}: {e}); install "
            "cloudpickle (it comes with the 'dask' extra) or use workers=1"
        ) from None
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
                fut = (
                    backend.executor.submit(execute_payload, payload, task)
                    if backend.remote
                    else backend.executor.submit(execute, ctx, task)
                )
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
