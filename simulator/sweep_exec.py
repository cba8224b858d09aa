"""Running sweep tasks: the worker side (one task = a list of runs) and the executors.

Every backend is a :class:`concurrent.futures.Executor` driven by the same loop in
:mod:`simulator.sweep_runner`: :class:`InProcessExecutor` for one worker (runs in the calling process,
so breakpoints and ``pdb`` work), a ``ProcessPoolExecutor`` with an explicit ``forkserver`` (or
``spawn``) context for ``workers > 1``, and ``dask.distributed`` (``Client.get_executor`` with
per-task retries) for ``--cluster local`` or ``--scheduler tcp://host:port``.

Tasks travel to other processes as cloudpickle bytes (when cloudpickle is installed, as it is
with the ``dask`` extra), so functions defined in a notebook (a ``metrics=`` callback, a custom
engine) work with every backend, not only with the CLI.

Engines (:data:`ENGINES`): ``abm`` (default) runs every run through the agent-based model;
``ic`` (:mod:`simulator.sweep_ic`) computes the final reach / follower reposts at every
``behaviour.p0`` of a task in one independent-cascade curve pass, for one-post scenarios with
fatigue, churn and the exposure response off (refused up front otherwise, through the engine's
``check`` hook in :data:`ENGINE_HOOKS`); it leaves time-based metrics NaN and writes no timeseries.

World cache: a task groups runs of one replicate whose points share the world-building fields
(:func:`world_key`); the follower world is built once per task and handed to each run with
``PropagationModel(loaded, world=world)``. The model never mutates a World, and build_world draws
only from the population/graph/audiences/churn streams of the seed, so results are bit-identical
with and without the cache (tested).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import pickle
import signal
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

PRELOAD = ("simulator.sweep_exec", "simulator.model", "simulator.results", "simulator.scenario_io")

# Summary keys that are not metrics (descriptive strings, or already a column of the runs table).
NON_METRICS = frozenset({"scenario", "topology", "seed", "propsim_version"})


@dataclass(frozen=True)
class RunSpec:
    """One run: its id, point index, replicate, seed, scenario overrides and column values."""

    run_id: str
    point: int
    replicate: int
    seed: int
    overrides: tuple  # ((path, value), ...)
    params: tuple  # ((column name, column value), ...)


@dataclass(frozen=True)
class TaskSpec:
    """A unit of work sent to a worker: runs of one replicate sharing one world, in plan order."""

    index: int
    runs: tuple[RunSpec, ...]


@dataclass
class RunContext:
    """What every task of a sweep shares: the scenario document and the per-run options."""

    doc: dict
    source: str
    locs: dict = field(default_factory=dict)
    fixed: tuple = ()  # fixed overrides ((path, value), ...) applied before the swept ones
    scale: float | None = None
    metrics: Callable[[Any], Mapping[str, Any]] | None = None
    cache_worlds: bool = True
    engine: str | Callable[[RunContext, TaskSpec], TaskResult] = "abm"


@dataclass
class TaskResult:
    """Tables of a finished task: ``runs`` (one row each), ``timeseries`` and ``frequency``."""

    index: int
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    frequency: pd.DataFrame

    @property
    def failed(self) -> int:
        return int((self.runs["status"] != "ok").sum())


# --- world cache ----------------------------------------------------------------------------------

def world_key(sc: Any, matrix: Any, with_seed: bool = True) -> str:
    """Hash of everything :func:`simulator.world.build_world` reads: the seed, population, graph,
    fatigue tolerance and churn rate, and the expanded accounts (followers, targeting, overlap,
    build order). Points with equal keys (and equal seeds) get the very same world."""
    accounts = []
    for a in matrix.accounts:
        d = {f.name: getattr(a, f.name) for f in dataclasses.fields(a) if f.name != "spec_path"}
        d["followers"] = a.followers.model_dump(mode="json")
        d["topics"] = sorted(a.topics)
        d["overlap"] = sorted(a.overlap.items())
        accounts.append(d)
    parts = {
        "seed": sc.seed if with_seed else None,
        "population": sc.population.model_dump(mode="json"),
        "graph": sc.graph.model_dump(mode="json"),
        "tolerance": sc.fatigue.tolerance.model_dump(mode="json"),
        "churn_per_day": sc.fatigue.churn_per_day,
        "accounts": accounts,
        "build_order": list(matrix.build_order),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


# --- one run ---------------------------------------------------------------------------------------

def simulate(loaded: Any, world: Any = None) -> Any:
    """Run one scenario to the horizon and return its :class:`~simulator.results.RunResult`."""
    from .model import PropagationModel
    from .results import collect

    return collect(PropagationModel(loaded, world=world).run())


def scalar_metrics(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Scalar metrics of a run summary (ints, floats; None -> NaN), without descriptive fields."""
    out: dict[str, Any] = {}
    for k, v in summary.items():
        if k in NON_METRICS:
            continue
        if v is None:
            out[k] = math.nan
        elif isinstance(v, bool):
            out[k] = int(v)
        elif isinstance(v, (int, float)):
            out[k] = v
        elif hasattr(v, "item") and not hasattr(v, "__len__"):  # numpy scalar
            out[k] = v.item()
    return out


def _extra_metrics(fn: Callable, result: Any, taken: set[str]) -> dict[str, Any]:
    got = fn(result)
    if not isinstance(got, Mapping):
        raise TypeError(f"the metrics function must return a mapping of name -> number, got {type(got).__name__}")
    out = {}
    for k, v in got.items():
        k = str(k)
        if k in taken:
            raise ValueError(f"the metrics function returned {k!r}, which is already a column of the runs table")
        if hasattr(v, "item") and not hasattr(v, "__len__"):
            v = v.item()
        if v is None:
            v = math.nan
        if not isinstance(v, (int, float, str)):
            raise TypeError(f"metric {k!r} must be a scalar, got {type(v).__name__}")
        out[k] = v
    return out


def run_task_abm(ctx: RunContext, task: TaskSpec) -> TaskResult:
    """The default engine: each run through the agent-based model, the world built once per key."""
    from .scenario_io import load_document
    from .world import build_world

    cached_key, cached_world = None, None
    rows, series, freqs = [], [], []
    for run in task.runs:
        t0 = time.perf_counter()
        base = {"run_id": run.run_id, **dict(run.params), "replicate": run.replicate, "seed": run.seed}
        try:
            overrides = list(ctx.fixed) + list(run.overrides) + [(("seed",), run.seed)]
            loaded = load_document(ctx.doc, ctx.source, ctx.locs, overrides, check_memory=False, scale=ctx.scale)
            world = None
            if ctx.cache_worlds:
                key = world_key(loaded.scenario, loaded.matrix)
                if key != cached_key:
                    cached_key, cached_world = None, None  # free the old world before building
                    cached_world = build_world(loaded.scenario, loaded.matrix)
                    cached_key = key
                world = cached_world
            result = simulate(loaded, world)
            metrics = scalar_metrics(result.summary)
            if ctx.metrics is not None:
                metrics.update(_extra_metrics(ctx.metrics, result, set(base) | set(metrics) | {
                    "status", "error", "duration_s", "traceback"}))
            ts = result.timeseries.copy()
            ts.insert(0, "run_id", run.run_id)
            fq = result.frequency.copy()
            fq.insert(0, "run_id", run.run_id)
        except Exception as e:  # a failing run is recorded, the sweep goes on
            rows.append({**base, "status": "failed", "error": f"{type(e).__name__}: {e}",
                         "duration_s": time.perf_counter() - t0, "traceback": traceback.format_exc()})
            continue
        series.append(ts)
        freqs.append(fq)
        rows.append({**base, "status": "ok", "error": None, "duration_s": time.perf_counter() - t0,
                     **metrics, "traceback": None})
    return TaskResult(task.index, _runs_frame(rows), _concat(series), _concat(freqs))


def _runs_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in df.columns:  # integer metrics stay integers next to a failed run's empty cells
        vals = [r[c] for r in rows if c in r and r[c] is not None]
        if (len(vals) < len(rows) and vals and c not in ("replicate", "seed")
                and all(isinstance(v, int) and not isinstance(v, bool) for v in vals)):
            df[c] = pd.array([r.get(c) for r in rows], dtype="Int64")
    cols = [c for c in df.columns if c != "traceback"] + ["traceback"]  # contract order, traceback last
    return df[cols]


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --- engines: where a whole-curve fast path plugs in ------------------------------------------------

ENGINES: dict[str, str] = {
    # name -> "module:function" taking (RunContext, TaskSpec) and returning a TaskResult; selected
    # with `propsim sweep --engine NAME` or `sweep(..., engine=NAME)` (or pass the callable itself).
    #
    # Hook for a whole-curve fast path (e.g. simulator.ic computing reach for every p of a
    # replicate's world in one pass): the planner already puts the runs of one replicate whose points
    # share a world into one task (up to batch_size of them, so use a large --batch-size), in point
    # order. The engine returns, per run of the task, a row with the keys of run_task_abm's rows
    # (run_id, the params columns, replicate, seed, status, error, duration_s, metrics..., traceback)
    # plus timeseries / frequency frames with a leading run_id column (empty frames are fine); it
    # records a failing run as status "failed" rather than raising. Everything else (seeds, resume,
    # parts, points table, executors) is shared.
    "abm": "simulator.sweep_exec:run_task_abm",
    # Whole-curve fast path (simulator.sweep_ic): one-post scenarios that reduce to plain IC; the
    # final reach / reposts at every behaviour.p0 of a task from one pass; no timeseries.
    "ic": "simulator.sweep_ic:run_task_ic",
}

# Optional per-engine hooks used by the planner (simulator.sweep_runner):
#   "check": "module:function" (context, spec, points, loaded points) -> list of problem strings;
#            called by prepare() after every point has loaded, before any run; any problem refuses
#            the sweep (ScenarioError, exit code 1).
#   "batch_size": default runs per task (a whole-curve engine wants a world group in one task).
ENGINE_HOOKS: dict[str, dict[str, Any]] = {
    "ic": {"check": "simulator.sweep_ic:check_plan", "batch_size": 254},
}


def engine_hook(engine: str | Callable, name: str) -> Any:
    """An engine's planner hook (see :data:`ENGINE_HOOKS`), a callable for "check"; None if unset."""
    if not isinstance(engine, str):
        return None
    value = ENGINE_HOOKS.get(engine, {}).get(name)
    if name == "check" and value is not None:
        import importlib

        mod, _, fn = value.partition(":")
        return getattr(importlib.import_module(mod), fn)
    return value


def resolve_engine(engine: str | Callable) -> Callable[[RunContext, TaskSpec], TaskResult]:
    """An engine by name (see :data:`ENGINES`) or a callable ``(context, task) -> TaskResult``."""
    if callable(engine):
        return engine
    if engine not in ENGINES:
        raise ValueError(f"unknown sweep engine {engine!r}; known: {', '.join(ENGINES)}")
    import importlib

    mod, _, fn = ENGINES[engine].partition(":")
    return getattr(importlib.import_module(mod), fn)


def execute(ctx: RunContext, task: TaskSpec) -> TaskResult:
    """Run one task in this process."""
    return resolve_engine(ctx.engine)(ctx, task)


def execute_payload(ctx_bytes: bytes, task: TaskSpec) -> TaskResult:
    """Run one task in a worker process from the pickled context (cloudpickle-compatible)."""
    return execute(pickle.loads(ctx_bytes), task)


def dumps(obj: Any) -> bytes:
    """cloudpickle if installed (functions from notebooks travel by value), else pickle."""
    try:
        import cloudpickle
    except ImportError:
        return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return cloudpickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


# --- executors -------------------------------------------------------------------------------------

class InProcessExecutor(Executor):
    """Runs each task when it is submitted, in the calling thread (``--workers 1``: debuggable).

    Exceptions go into the future like any executor's; KeyboardInterrupt propagates at once.
    """

    def submit(self, fn, /, *args, **kwargs) -> Future:  # type: ignore[override]
        f: Future = Future()
        try:
            f.set_result(fn(*args, **kwargs))
        except Exception as e:
            f.set_exception(e)
        return f


def _ignore_sigint() -> None:
    """Pool workers leave Ctrl-C to the main process, which cancels and saves what finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Backend:
    """An executor plus how to use it: ``capacity`` tasks run at once; ``remote`` tasks are pickled."""

    executor: Executor
    capacity: int
    remote: bool
    kind: str
    description: str
    _close: Callable[[bool], None] | None = None

    def close(self, interrupted: bool = False) -> None:
        if self._close is not None:
            self._close(interrupted)


def open_backend(workers: int = 1, cluster: str | None = None, scheduler: str | None = None,
                 executor: Executor | None = None) -> Backend:
    """The executor for ``workers`` / ``cluster="local"`` / ``scheduler=ADDRESS`` / a given one."""
    if executor is not None:
        remote = not isinstance(executor, InProcessExecutor)
        return Backend(executor, max(1, workers), remote, "custom", type(executor).__name__)
    if cluster is not None or scheduler is not None:
        return _dask_backend(workers, cluster, scheduler)
    if workers <= 1:
        return Backend(InProcessExecutor(), 1, False, "inprocess", "in-process")
    from concurrent.futures import ProcessPoolExecutor

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        # Import the model once in the fork server (a few seconds: mesa, pandas, scipy) instead of
        # in every worker; later pools in this process (a notebook, a test run) start at once.
        # Only affects a fork server not yet running; '__main__' is the default preload.
        ctx.set_forkserver_preload(["__main__", *PRELOAD])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)

    def close(interrupted: bool) -> None:
        if interrupted:
            _terminate_pool(pool)
        else:
            pool.shutdown(wait=True)

    return Backend(pool, workers, True, "processes", f"{workers} worker processes ({method})", close)


def _terminate_pool(pool: Any) -> None:
    """Stop a process pool now: cancel queued tasks and end running workers (their runs are lost,
    the finished ones are already on disk)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python >= 3.14
    if terminate is not None:
        terminate()
        return
    procs = list(getattr(pool, "_processes", {}).values())  # no public API before 3.14
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def _dask_backend(workers: int, cluster: str | None, scheduler: str | None) -> Backend:
    if cluster is not None and scheduler is not None:
        raise ValueError("give either --cluster local or --scheduler ADDRESS, not both")
    if cluster is not None and cluster != "local":
        raise ValueError(f"--cluster {cluster!r}: only 'local' is supported (or use --scheduler tcp://host:port)")
    try:
        import logging

        from distributed import Client, LocalCluster
    except ImportError:
        raise RuntimeError("--cluster / --scheduler need dask.distributed: install propsim with the 'dask' "
                           "extra (uv sync --extra dask, or pip install 'propsim[dask]')") from None
    lc = None
    if cluster == "local":
        lc = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                          dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(lc)
        desc = f"dask LocalCluster with {max(1, workers)} workers"
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as e:
            raise RuntimeError(f"cannot reach the dask scheduler at {scheduler}: {e}") from None
        desc = f"dask scheduler {scheduler}"
    capacity = max(1, sum(client.nthreads().values()) or workers)
    ex = client.get_executor(retries=2, pure=False)

    def close(interrupted: bool) -> None:
        try:
            client.close()
        finally:
            if lc is not None:
                lc.close()

    return Backend(ex, capacity, True, "dask", desc, close)


def cpu_count() -> int:
    """CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
