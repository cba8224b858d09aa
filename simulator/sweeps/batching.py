"""How many runs go into one task: chosen from the measured cost of building a world and of a run.

Before a new sweep's tasks are planned, one *pilot* task builds the world of replicate 0 and runs
the first and the last point of its world group in a worker (the world then stays in that
worker's cache: :mod:`simulator.sweeps.worldcache`). ``B`` is the measured build time (a fresh
worker's first build also pays for loading the compiled kernels, so ``B`` errs high, towards fewer
builds) and ``R`` the time of the second run (warm, on the built world). Each candidate batch size
is scored by simulating the plan on ``capacity`` workers: tasks are handed to whichever worker is
free first (as the executors do), a task pays ``B`` for each world its worker does not already
hold, ``R`` per run and a fixed :data:`TASK_OVERHEAD_S`. The batch size with the shortest simulated
sweep wins; among those within 2% of it, the one with the fewest world builds (less CPU on a
shared machine), then the smallest (more tasks: finer progress, better balance when runs are
slower than measured, less work lost to an interrupt), as long as a task stays under
:data:`TARGET_TASK_S`. Large worlds with short runs thus get whole world groups per task (each
world built once); cheap worlds with long runs get small tasks that keep every worker busy.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

TASK_OVERHEAD_S = 0.05  # sending a task, collecting and writing its parts
TARGET_TASK_S = 600.0  # longest task the batching aims for
SIMULATED_UNITS = 2000  # plans with more world units are scored on their first ones
NEAR_BEST = 1.02


@dataclass(frozen=True)
class Timing:
    """Measured costs (seconds): building one world, one run on a built world."""

    build_s: float
    run_s: float


def pack(units: Sequence[int], batch: int) -> list[list[tuple[int, int]]]:
    """Tasks as lists of (unit, runs), packed exactly as :meth:`SweepPlan.plan_tasks` packs them:
    whole units while they fit, a unit larger than ``batch`` in slices of ``batch``."""
    tasks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    size = 0
    for u, n in enumerate(units):
        if size + n > batch and current:
            tasks.append(current)
            current, size = [], 0
        left = n
        while left:
            take = min(left, batch - size) if size else min(left, batch)
            current.append((u, take))
            size += take
            left -= take
            if size >= batch:
                tasks.append(current)
                current, size = [], 0
    if current:
        tasks.append(current)
    return tasks


def simulate(units: Sequence[int], batch: int, capacity: int, timing: Timing) -> tuple[float, float, int]:
    """(makespan s, longest task s, world builds) of the plan packed at ``batch`` on ``capacity`` workers."""
    free = [(0.0, w) for w in range(max(1, capacity))]
    held: dict[int, int] = {}  # worker -> the world (unit) it built or used last
    longest = end = 0.0
    builds = 0
    for task in pack(units, batch):
        start, w = heapq.heappop(free)
        cost = TASK_OVERHEAD_S
        for u, n in task:
            if held.get(w) != u:
                cost += timing.build_s
                builds += 1
                held[w] = u
            cost += n * timing.run_s
        longest = max(longest, cost)
        end = max(end, start + cost)
        heapq.heappush(free, (start + cost, w))
    return end, longest, builds


def candidates(units: Sequence[int], limit: int) -> list[int]:
    """Batch sizes worth scoring: slices of the largest unit and multiples of it, up to ``limit``."""
    p = max(units, default=1)
    out = {max(1, min(limit, math.ceil(p / s))) for s in range(1, p + 1)}
    out.update(min(limit, p * m) for m in range(1, limit // max(1, p) + 2))
    return sorted(out)


def choose_batch(units: Sequence[int], capacity: int, timing: Timing, limit: int) -> int:
    """The batch size (runs per task) for a plan of ``units`` (runs per replicate x world group, in
    plan order) on ``capacity`` workers, from measured ``timing`` (see the module docstring)."""
    units = list(units)[:SIMULATED_UNITS]
    scored = [(b, *simulate(units, b, capacity, timing)) for b in candidates(units, limit)]
    fitting = [s for s in scored if s[2] <= TARGET_TASK_S] or [min(scored, key=lambda s: s[0])]
    best = min(s[1] for s in fitting)
    near = [s for s in fitting if s[1] <= best * NEAR_BEST]
    return min(near, key=lambda s: (s[3], s[0]))[0]
