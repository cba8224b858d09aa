"""World reuse in sweeps (issue 13 item 2): each worker process builds a world once (bounded cache),
batching chosen from measured build and run costs, results identical with and without the cache."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from simulator.sweeps.batching import TARGET_TASK_S, Timing, candidates, choose_batch, pack, simulate
from simulator.sweeps.plan import prepare
from simulator.sweeps.runner import sweep
from simulator.sweeps.worldcache import WorldCache, object_bytes

from .conftest import write
from .test_sweep import TINY, same_tables

MB = 1 << 20


def fake_world(mb: int) -> SimpleNamespace:
    arr = np.zeros(mb * MB, dtype=np.uint8)
    return SimpleNamespace(graph=(arr, arr[:10]), audience={"x": np.ones(MB // 8)}, name="w")


def test_object_bytes_counts_each_array_once():
    w = fake_world(2)
    assert object_bytes(w) == 2 * MB + MB  # the view of the big array is not counted again


def test_world_cache_is_lru_and_bounded():
    cache = WorldCache()
    built: list[str] = []

    def get(key: str, mb: int = 1, budget: int = 5 * MB):
        return cache.get(key, lambda: built.append(key) or fake_world(mb), budget)

    a = get("a")
    assert get("a") is a and built == ["a"] and cache.stats.hits == 1
    get("b")
    get("c")  # 3 worlds of 2 MB each would exceed 5 MB: room is made before building
    assert list(cache.worlds) == ["b", "c"] and built == ["a", "b", "c"]
    get("b")
    get("d")  # b was used more recently than c
    assert list(cache.worlds) == ["b", "d"]
    big = get("huge", mb=20)  # larger than the budget on its own: kept while in use
    assert list(cache.worlds) == ["huge"] and cache.get("huge", lambda: None, 5 * MB) is big
    cache.clear()
    assert not cache.worlds and cache.nbytes == 0


def test_packing_model_matches_the_planner(tmp_path):
    f = write(tmp_path, TINY, "tiny.yaml")
    plan = prepare(f, {"population.size": [8000, 9000]})  # 2 world groups of 4 points, 3 replicates
    assert plan.units() == [4, 4] * 3
    for b in range(1, 11):
        plan.plan_tasks(b)
        assert [sum(n for _, n in t) for t in pack(plan.units(), b)] == [len(t.runs) for t in plan.tasks]
    assert len({r.point for r in plan.pilot_task().runs}) == 2 and plan.pilot_task().runs[0].replicate == 0


def test_batch_choice_follows_the_measured_costs():
    units = [20] * 30  # 30 replicates of a 20-point p0 sweep, one world each
    # an expensive world and cheap runs: whole replicates per task, every world built once
    assert choose_batch(units, 2, Timing(build_s=5.0, run_s=0.5), 64) == 20
    # a cheap world and long runs, fewer replicates than workers: split to keep both workers busy
    # (small tasks are free: each worker builds the world once and keeps it)
    cheap = Timing(build_s=0.01, run_s=1.0)
    b = choose_batch([20], 2, cheap, 64)
    assert b <= 10 and simulate([20], b, 2, cheap)[2] == 2
    # whatever is chosen is within 2% of the best simulated sweep
    for timing in (Timing(3.0, 0.2), Timing(0.2, 3.0), Timing(1.0, 1.0)):
        for w in (1, 2, 8):
            best = min(simulate(units, b, w, timing)[0] for b in candidates(units, 64))
            assert simulate(units, choose_batch(units, w, timing, 64), w, timing)[0] <= best * 1.02
    # a task stays under the target duration when it can
    long_runs = Timing(build_s=1.0, run_s=100.0)
    assert simulate([20], choose_batch([20], 1, long_runs, 64), 1, long_runs)[1] <= TARGET_TASK_S


def test_each_world_is_built_once_and_results_do_not_change(tmp_path):
    f = write(tmp_path, TINY, "tiny.yaml")  # one world group: 3 replicate worlds for 12 runs
    uncached = sweep(f, progress=False, cache_worlds=False, batch_size=1)
    assert uncached.manifest["progress"]["world_builds"] == 0  # each run built its own inside the model
    one_run_tasks = sweep(f, progress=False, batch_size=1)  # 12 tasks: the cache spans tasks
    assert one_run_tasks.manifest["progress"]["world_builds"] == 3
    chosen = sweep(f, progress=False)  # batch size from the pilot's measured costs
    assert chosen.manifest["progress"]["world_builds"] == 3
    same_tables(uncached, one_run_tasks)
    same_tables(uncached, chosen)


@pytest.mark.slow
def test_two_workers_build_each_world_at_most_once_each(tmp_path):
    f = write(tmp_path, TINY, "tiny.yaml")
    one = sweep(f, progress=False, cache_worlds=False, batch_size=1)
    for batch in (1, None):
        two = sweep(f, progress=False, workers=2, batch_size=batch)
        assert 3 <= two.manifest["progress"]["world_builds"] <= 6  # at most once per world and worker
        same_tables(one, two)
