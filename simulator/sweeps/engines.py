"""Sweep engines: how a worker turns a task into result rows.

An engine is an object with a ``name``, an optional default ``batch_size`` (runs per task), a
``check`` called by the planner before any run (problems that refuse the sweep up front) and
``run_task(context, task) -> TaskResult``. Built in: :data:`ABM` (every run through the agent-based
model, the default) and ``"ic"`` (:mod:`simulator.sweeps.ic_engine`: the whole reach-vs-p0 curve of
a replicate in one independent-cascade pass, for scenarios that reduce to plain IC). A custom engine
is any object with the same attributes (it travels to workers by cloudpickle).

Per run an engine returns a row with ``run_id``, the swept columns, ``replicate``, ``seed``,
``status``, ``error``, ``duration_s``, the metrics and ``traceback``, plus timeseries and frequency
frames with a leading ``run_id`` column (empty frames are fine); a failing run is recorded as
status ``"failed"`` rather than raised.
"""

from __future__ import annotations

import pickle
import time
import traceback
from collections.abc import Sequence
from functools import partial
from typing import Any, Protocol, runtime_checkable

import pandas as pd

from simulator.sweeps.tasks import (
    RunContext,
    RunSpec,
    TaskResult,
    TaskSpec,
    concat_frames,
    extra_metrics,
    runs_frame,
    scalar_metrics,
    world_key,
)
from simulator.sweeps.worldcache import CACHE


@runtime_checkable
class Engine(Protocol):
    """What the sweep planner and workers need from an engine."""

    name: str
    batch_size: int | None  # runs per task when the engine needs whole groups (None: the planner decides)

    def check(self, ctx: RunContext, spec: Any, points: Sequence[tuple], loaded: Sequence[Any]) -> list[str]:
        """Problems that keep the whole sweep from running on this engine (empty: it can run)."""
        ...

    def run_task(self, ctx: RunContext, task: TaskSpec) -> TaskResult:
        """Run every run of ``task`` (in order) and return its tables."""
        ...


def cached_world(ctx: RunContext, loaded: Any) -> Any:
    """The loaded point's world from this process's cache (built if missing), or None to let the
    model build its own (``cache_worlds=False``)."""
    if not ctx.cache_worlds:
        return None
    from simulator.world.build import build_world

    key = world_key(loaded.scenario, loaded.matrix)
    return CACHE.get(key, partial(build_world, loaded.scenario, loaded.matrix), ctx.world_cache_bytes)


def _abm_run(ctx: RunContext, run: RunSpec) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """One run through the agent-based model: (metrics, timeseries, frequency)."""
    from simulator.results.collect import simulate
    from simulator.scenario.loading import load_document

    overrides = list(ctx.fixed) + list(run.overrides) + [(("seed",), run.seed)]
    loaded = load_document(ctx.doc, ctx.source, ctx.locs, overrides, check_memory=False, scale=ctx.scale)
    result = simulate(loaded, cached_world(ctx, loaded))
    metrics = scalar_metrics(result.summary)
    if ctx.metrics is not None:
        taken = {"run_id", *dict(run.params), "replicate", "seed", "status", "error", "duration_s", "traceback"}
        metrics.update(extra_metrics(ctx.metrics, result, taken | set(metrics)))
    ts = result.timeseries.copy()
    ts.insert(0, "run_id", run.run_id)
    fq = result.frequency.copy()
    fq.insert(0, "run_id", run.run_id)
    return metrics, ts, fq


class AbmEngine:
    """The default engine: each run through the agent-based model, each world built once per
    worker process (:mod:`simulator.sweeps.worldcache`)."""

    name = "abm"
    batch_size: int | None = None

    def check(self, ctx: RunContext, spec: Any, points: Sequence[tuple], loaded: Sequence[Any]) -> list[str]:
        return []

    def run_task(self, ctx: RunContext, task: TaskSpec) -> TaskResult:
        rows, series, freqs = [], [], []
        builds0, build_s0 = CACHE.stats.builds, CACHE.stats.build_s
        t_task = time.perf_counter()
        for run in task.runs:
            t0 = time.perf_counter()
            base = {"run_id": run.run_id, **dict(run.params), "replicate": run.replicate, "seed": run.seed}
            try:
                metrics, ts, fq = _abm_run(ctx, run)
            except Exception as e:  # a failing run is recorded, the sweep goes on
                rows.append(
                    {
                        **base,
                        "status": "failed",
                        "error": f"{type(e).__name__}: {e}",
                        "duration_s": time.perf_counter() - t0,
                        "traceback": traceback.format_exc(),
                    }
                )
                continue
            series.append(ts)
            freqs.append(fq)
            duration = time.perf_counter() - t0
            rows.append({**base, "status": "ok", "error": None, "duration_s": duration, **metrics, "traceback": None})
        build_s = CACHE.stats.build_s - build_s0
        timings = {
            "builds": float(CACHE.stats.builds - builds0),
            "build_s": build_s,
            "run_s": time.perf_counter() - t_task - build_s,
            "world_bytes": float(max(CACHE.stats.sizes[builds0:], default=0)),
        }
        return TaskResult(task.index, runs_frame(rows), concat_frames(series), concat_frames(freqs), timings)


ABM = AbmEngine()


def get_engine(engine: str | Engine) -> Engine:
    """An engine by name (``"abm"``, ``"ic"``) or the engine object itself."""
    if not isinstance(engine, str):
        if not isinstance(engine, Engine):
            raise TypeError(
                "an engine needs name, batch_size, check(ctx, spec, points, loaded) and run_task(ctx, task)"
            )
        return engine
    if engine == "abm":
        return ABM
    if engine == "ic":  # imported on demand: most sweeps never need the IC kernels
        from simulator.sweeps.ic_engine import IC

        return IC
    raise ValueError(f"unknown sweep engine {engine!r}; known: abm, ic")


def execute(ctx: RunContext, task: TaskSpec) -> TaskResult:
    """Run one task in this process."""
    return get_engine(ctx.engine).run_task(ctx, task)


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
