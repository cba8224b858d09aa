"""Sweep engine ``"ic"``: the whole reach-vs-p0 curve of a replicate in one pass.

``propsim sweep FILE --engine ic`` / ``sweep(..., engine="ic")``. For a one-post scenario with
fatigue, baseline churn and the exposure response off, the model reduces to plain independent
cascade (:func:`simulator.ic.cascade.reduce_model`); :meth:`simulator.ic.cascade.ICProblem.curve` then gives the
final reach and follower reposts at every ``behaviour.p0`` of a task from one minimax pass over
shared edge uniforms, exactly equal to separate IC runs on the same uniforms.

Per task (runs of one replicate sharing a world): the world comes from the worker's cache
(:mod:`simulator.sweeps.worldcache`, built once per process); the runs are grouped
by their overrides other than ``behaviour.p0`` (one model and one curve per group, usually a
single group); every p0 of a group comes from the same curve. The edge uniforms of replicate
seed ``s`` come from :func:`curve_rng` ``(s)`` (a fresh copy of the seed's ``dynamics`` stream),
so a run's values do not depend on how the runs were packed into tasks, and the IC runs of
different p0 of one replicate use common random numbers.

Runs-table metrics (same columns as the ``abm`` engine):

- exact in the reduction: ``reach`` (IC exposed count), ``reach_share``, ``direct_reach`` (the
  posting account's distinct followers), ``second_level_reach`` (= reach - direct_reach),
  ``follower_reposts`` and ``repost_decisions`` (both the IC activated count), ``account_posts``
  (1), ``account_relays`` (0), ``fatigued``/``fatigue_share``/``mutes``/``unfollows``/``exits``/
  ``churned``/``net_audience_change`` (0: fatigue and churn are off), ``effective_reach`` (= reach
  when ``metrics.effective_reach_threshold`` <= 1, else NaN), and the descriptive ``population``,
  ``accounts``, ``items``, ``horizon_h``, ``effective_reach_threshold``;
- NaN (not defined by the final-size curve): the time-based ``t50_h``, ``t90_h``,
  ``pending_at_horizon``, and ``impressions``, ``mean_frequency``, ``duplicate_exposures``,
  ``max_depth``.

The values are final sizes (horizon -> infinity): latency only delays deliveries, so they equal
the agent-based model's in distribution when its horizon lets the cascade finish
(``pending_at_horizon`` 0); with a short horizon the ABM reports less. ``duration_s`` is the
group's build + curve time shared equally among its runs. No timeseries or frequency tables
(empty frames): ``propsim plot`` skips the time charts and draws the reach-vs-p charts.
"""

from __future__ import annotations

import math
import time
import traceback
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

P0 = ("behaviour", "p0")
P0_NAME = "behaviour.p0"
BATCH_SIZE = 254  # distinct p values one curve pass handles (simulator.ic.cascade.MAX_CURVE_POINTS)

# Metrics the final-size curve does not define (NaN in the runs table).
UNDEFINED = (
    "impressions",
    "mean_frequency",
    "duplicate_exposures",
    "pending_at_horizon",
    "max_depth",
    "t50_h",
    "t90_h",
)


def curve_rng(seed: int) -> np.random.Generator:
    """The generator whose first draw keys the edge uniforms of replicate seed ``seed``."""
    from simulator.seeding import streams

    return streams(seed)["dynamics"]


def point_problems(scenario: Any, matrix: Any) -> list[str]:
    """Why one loaded point cannot be computed by this engine (empty: it can)."""
    from simulator.engine.reduction import reduction_problems

    problems = reduction_problems(SimpleNamespace(config=scenario, matrix=matrix))
    if len(matrix.items) == 1:
        item = matrix.items[0]
        if item.promotional:
            problems.append(
                "the post is promotional (its repost probability is behaviour.p0_promotional, not behaviour.p0)"
            )
        if item.at >= scenario.time.horizon:
            problems.append(f"the post is at {item.at:g} h, not before the horizon ({scenario.time.horizon:g} h)")
    return problems


def _check_plan(ctx: Any, spec: Any, points: Any, loaded: Any) -> list[str]:
    """Problems that keep the whole sweep from running on this engine, each said once (naming a
    point when only some points have it); called by ``prepare`` before any run."""
    out: list[str] = []
    if ctx.metrics is not None:
        out.append("a metrics= function needs each run's RunResult, which the ic engine does not produce")
    where: dict[str, list] = {}
    for pt, ld in zip(points, loaded):
        for p in point_problems(ld.scenario, ld.matrix):
            where.setdefault(p, []).append(pt)
    for p, pts in where.items():
        if len(pts) == len(points):  # the base scenario's problem
            out.append(p)
        else:
            out.append(f"{p} (at {len(pts)} of {len(points)} sweep points, e.g. {spec.label(pts[0])})")
    return out


def _row_metrics(model: Any, reach: int, reposts: int, direct: int) -> dict[str, Any]:
    sc = model.config
    n = model.world.n
    thr = sc.metrics.effective_reach_threshold
    m: dict[str, Any] = {
        "population": n,
        "accounts": len(model.accounts),
        "items": 1,
        "horizon_h": sc.time.horizon,
        "reach": reach,
        "reach_share": reach / n,
        "direct_reach": direct,
        "second_level_reach": reach - direct,
        "effective_reach": reach if thr <= 1 else math.nan,
        "effective_reach_threshold": thr,
        "account_posts": 1,
        "account_relays": 0,
        "follower_reposts": reposts,
        "repost_decisions": reposts,
        "fatigued": 0,
        "fatigue_share": 0.0,
        "mutes": 0,
        "unfollows": 0,
        "exits": 0,
        "churned": 0,
        "net_audience_change": 0,
    }
    for k in UNDEFINED:
        m[k] = math.nan
    return m


def _run_task(ctx: Any, task: Any) -> Any:
    """Engine ``"ic"``: one model and one reach curve per group of runs differing only in p0."""
    from simulator.engine.model import PropagationModel
    from simulator.engine.reduction import ICProblem, reduce_model
    from simulator.scenario.loading import load_document
    from simulator.sweeps.tasks import TaskResult, runs_frame, world_key
    from simulator.sweeps.worldcache import CACHE
    from simulator.world.build import build_world

    groups: dict[tuple, list] = {}
    for run in task.runs:
        rest = tuple((p, v) for p, v in run.overrides if tuple(p) != P0)
        groups.setdefault((run.seed, repr(rest)), []).append(run)

    rows: dict[str, dict] = {}
    for runs in groups.values():
        t0 = time.perf_counter()
        first = runs[0]
        try:
            overrides = list(ctx.fixed) + list(first.overrides) + [(("seed",), first.seed)]
            loaded = load_document(ctx.doc, ctx.source, ctx.locs, overrides, check_memory=False, scale=ctx.scale)
            key = world_key(loaded.scenario, loaded.matrix)
            world = CACHE.get(key, partial(build_world, loaded.scenario, loaded.matrix), ctx.world_cache_bytes)
            model = PropagationModel(loaded, world=world)
            problem: ICProblem = reduce_model(model)
            p0s = np.array([_p0(ctx, loaded, r) for r in runs], dtype=np.float64)
            reach, reposts = _curve(problem, p0s, first.seed)
            direct = len(np.unique(problem.audience))
        except Exception as e:  # the group's runs are recorded as failed, the sweep goes on
            dt = (time.perf_counter() - t0) / len(runs)
            for r in runs:
                rows[r.run_id] = {
                    **_base(r),
                    "status": "failed",
                    "error": f"{type(e).__name__}: {e}",
                    "duration_s": dt,
                    "traceback": traceback.format_exc(),
                }
            continue
        dt = (time.perf_counter() - t0) / len(runs)
        for r, a, b in zip(runs, reach, reposts):
            rows[r.run_id] = {
                **_base(r),
                "status": "ok",
                "error": None,
                "duration_s": dt,
                **_row_metrics(model, int(a), int(b), direct),
                "traceback": None,
            }
    ordered = [rows[r.run_id] for r in task.runs]  # plan order
    return TaskResult(task.index, runs_frame(ordered), pd.DataFrame(), pd.DataFrame())


def _base(run: Any) -> dict[str, Any]:
    return {"run_id": run.run_id, **dict(run.params), "replicate": run.replicate, "seed": run.seed}


def _p0(ctx: Any, loaded: Any, run: Any) -> float:
    """The run's behaviour.p0: its swept value, else the group's loaded scenario's."""
    for p, v in run.overrides:
        if tuple(p) == P0:
            return float(v)
    return float(loaded.scenario.behaviour.p0)


def _curve(problem: Any, p0s: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(reach, reposts) at each p0, in chunks of at most BATCH_SIZE distinct values; every chunk
    uses the same uniforms, so chunking changes nothing."""
    levels = np.unique(p0s)
    reach = np.empty(len(levels), dtype=np.int64)
    reposts = np.empty(len(levels), dtype=np.int64)
    for lo in range(0, len(levels), BATCH_SIZE):
        c = problem.curve(levels[lo : lo + BATCH_SIZE], rng=curve_rng(seed))
        reach[lo : lo + BATCH_SIZE] = c.exposed
        reposts[lo : lo + BATCH_SIZE] = c.activated
    idx = np.searchsorted(levels, p0s)
    return reach[idx], reposts[idx]


class ICEngine:
    """Engine ``"ic"``: a replicate's whole reach-vs-p0 curve in one pass (see the module docstring)."""

    name = "ic"
    batch_size: int | None = BATCH_SIZE  # a replicate's world group in one task

    def check(self, ctx: Any, spec: Any, points: Any, loaded: Any) -> list[str]:
        return _check_plan(ctx, spec, points, loaded)

    def run_task(self, ctx: Any, task: Any) -> Any:
        return _run_task(ctx, task)


IC = ICEngine()
