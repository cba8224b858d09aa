"""The item table's archive (:mod:`simulator.engine.archive`) is storage only: runs with pairs archived at
every tick equal runs that never archive, and the plain-Python reference, counter for counter."""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator.engine import archive as A
from simulator.engine import model as M
from simulator.engine import state as T
from simulator.engine.kernel import _item_slot
from simulator.engine.model import PropagationModel
from simulator.engine.reference import run_reference
from simulator.world.build import build_world

from .test_engine_reference import _load, assert_same_counts

# Big enough for several archive buckets (person >> 16), small enough to run in seconds (implicit rows).
WIDE = """
name: archive
seed: {seed}
time: {{tick: 1, horizon: 120}}
population: {{size: 300000, regions: {{north: 1, south: 2}}, interests: {{general: 2, sport: 1}}}}
graph: {{mean_followees: 30, world: {world}}}
accounts:
  - {{id: official, kind: official, followers: 20000}}
  - {{id: sport, kind: sub_brand, followers: 6000, interest: sport, overlap: {{official: 0.5}}}}
  - {{id: city, kind: regional, count: 3, followers: {{median: 3000, sigma: 0.4}}, region: "*",
     overlap: {{official: 0.5}}}}
relays:
  - {{source: official, target: sport, probability: 0.8, off_topic_probability: 0.5}}
  - {{source: official, target: city, probability: 0.7, variation: cosmetic, latency: {{median: 30, sigma: 0.3}}}}
campaign:
  - {{account: official, at: 0, repeat: 3, every: 40}}
  - {{account: sport, at: 50, topic: sport}}
behaviour: {{p0: 0.02, appeal_sigma: 0.3, latency: {{median: 6, sigma: 1.5}}}}
fatigue: {{tolerance: {{median: 4, sigma: 0.5}}, kappa: 0.05}}
"""


@pytest.fixture
def archive_every_tick(monkeypatch):
    """Archive every pair not delivered in the last tick, at every tick, whatever the table's size."""
    monkeypatch.setattr(M, "ARCHIVE_AFTER", 0.0)
    monkeypatch.setattr(M, "ARCHIVE_MIN_PAIRS", 0)
    monkeypatch.setattr(M, "ARCHIVE_MIN_SHARE", 0.0)


def _wide(seed: int = 1, world: str = "implicit"):
    return simulator.load_text(WIDE.format(seed=seed, world=world))


def _archived_pairs(model: PropagationModel) -> set[tuple[int, int]]:
    """(item, person) of every live archived pair."""
    t, out = model._tables, set()
    for c in range(len(t.arch_dead)):
        low, lp, d = t.arch_low[c], t.arch_lp[c], t.arch_dir[c]
        for b in range(len(d) - 1):
            for j in range(d[b], d[b + 1]):
                if lp[j, 1] >= 0:
                    out.add((c, (b << T.ARCH_SHIFT) | int(low[j])))
    return out


def _run(loaded, world, steps=None):
    model = PropagationModel(loaded, world=world, record_reposts=True)
    while model.running:
        model.step()
        if steps is not None:
            steps.append((model.hours, _archived_pairs(model), model.state_bytes()))
    return model


def _same_run(a: PropagationModel, b: PropagationModel) -> None:
    assert dict(a.counters) == dict(b.counters)
    for k, v in a.account_stats.items():
        np.testing.assert_array_equal(v, b.account_stats[k], err_msg=k)
    assert a.repost_table().equals(b.repost_table())
    np.testing.assert_array_equal(a.exposures, b.exposures)
    np.testing.assert_array_equal(a.reposts_per_person(), b.reposts_per_person())
    np.testing.assert_array_equal(a.exposure_frequency(), b.exposure_frequency())
    np.testing.assert_array_equal(a.first_exposure_times()[0], b.first_exposure_times()[0])
    assert a.delivered_pairs() == b.delivered_pairs()
    assert [a.reposts_of(i) for i in range(len(a.items))] == [b.reposts_of(i) for i in range(len(b.items))]


def test_archived_pairs_come_back_exactly(monkeypatch):
    """Archive on (every tick) vs off: identical runs; archived pairs were delivered again (counted as
    duplicates: the duplicate count equals the run without archive), and some reposted after coming back."""
    loaded = _wide()
    world = build_world(loaded.scenario, loaded.matrix)
    off = _run(loaded, world)
    assert off.state_bytes()["archive_pairs"] == 0  # below ARCHIVE_MIN_PAIRS: never archives
    monkeypatch.setattr(M, "ARCHIVE_AFTER", 0.0)
    monkeypatch.setattr(M, "ARCHIVE_MIN_PAIRS", 0)
    monkeypatch.setattr(M, "ARCHIVE_MIN_SHARE", 0.0)
    steps: list = []
    on = _run(loaded, world, steps)
    _same_run(on, off)
    sb = on.state_bytes()
    assert sb["archive_moved_back"] > 100 and sb["archive_pairs"] > 0
    assert on.counters["duplicate_exposures"] >= sb["archive_moved_back"]
    # a pair archived at some hour and reposted at a later delivery: its threshold survival came back
    reposts = on.repost_table()
    late = 0
    for hour, pairs, _ in steps[:-1]:
        after = reposts[reposts["decided_h"] >= hour]
        late += sum((int(i), int(f)) in pairs for i, f in zip(after["item"], after["follower"]))
    assert late > 0
    # every delivered pair is either hot or archived; the archive costs 10 bytes a pair plus directories
    assert on.delivered_pairs() == sb["item_used"] + sb["archive_pairs"] == off.state_bytes()["item_used"]
    assert 10 * sb["archive_pairs"] <= sb["archive_bytes"]


@pytest.mark.parametrize("world", ["explicit", "implicit"])
def test_reference_equal_with_archive_every_tick(world, archive_every_tick):
    loaded = _load(3, world)
    w = build_world(loaded.scenario, loaded.matrix)
    model = PropagationModel(loaded, world=w, record_reposts=True).run()
    assert_same_counts(model, run_reference(loaded, w))
    assert model.state_bytes()["archive_moved_back"] > 0  # the archive was exercised


def test_mark_reposted_finds_archived_pairs(archive_every_tick):
    """A pair marked reposted after it was archived moves back with its floats, counted once."""
    loaded = _load(3, "explicit", **{"time.horizon": 30})
    model = PropagationModel(loaded)
    for _ in range(10):
        model.step()
    pairs = sorted(_archived_pairs(model))
    assert pairs
    item, person = pairs[len(pairs) // 2]
    before = model.delivered_pairs(), model.reposts_of(item)
    model.mark_reposted(item, person)
    assert (item, person) not in _archived_pairs(model)
    assert model.delivered_pairs() == before[0] and model.reposts_of(item) == before[1] + 1
    assert model.reposts_per_person()[person] >= 1


@pytest.mark.parametrize("batch", [A.BATCH_PAIRS, 300])
def test_compaction_deletes_without_losing_keys(batch, monkeypatch):
    """Backward-shift deletion from the linear-probing table keeps every remaining key reachable, in one
    scan or in several (batches of 300 pairs), and clears every delivered-since flag."""
    monkeypatch.setattr(A, "BATCH_PAIRS", batch)
    rng = np.random.default_rng(0)
    t = T.new_tables(1 << 20, True, 3000, False, 4)
    keys = np.unique(rng.integers(0, 1 << 20, 2500) | (rng.integers(0, 4, 2500) << 32))

    it = A.rehash_items(np.full((8, 2), T.EMPTY, np.int64), len(t.it))
    t = t._replace(it=it, itf=it.view(np.float32))
    for k in keys:  # insert through a rehash of a one-key table (the compiled probe)
        one = np.full((1, 2), T.EMPTY, np.int64)
        one[0] = (int(k) | (T.TOUCHED if k % 3 else 0), 0)
        merged = A.rehash_items(np.concatenate([t.it, one]), len(t.it))
        t = t._replace(it=merged, itf=merged.view(np.float32))
    t.sizes[T.IT_USED] = len(keys)
    t, moved = A.compact(t, 1 << 20, 0.0)
    cold = {int(k) for k in keys if not k % 3}
    assert moved == len(cold) and t.sizes[T.IT_USED] == len(keys) - len(cold)
    left = {int(k) & T.KEY_MASK for k in t.it[:, 0] if k != T.EMPTY}
    assert left == {int(k) for k in keys if k % 3}
    assert not any(int(k) & T.TOUCHED for k in t.it[:, 0] if k != T.EMPTY)
    for k in left:  # each remaining key is found by the kernel's probe
        assert t.it[_item_slot(t.it, k), 0] & T.KEY_MASK == k
    got = A.item_counts(t, 4)[0]
    assert got.sum() == len(keys) - len(cold) + len(cold)  # archived pairs still counted as delivered
