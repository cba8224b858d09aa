"""The compiled engine against independent implementations of the same model.

* the keyed random streams: compiled kernels and plain-Python twins give bit-identical numbers;
* the follower graph: a generated row equals the materialised CSR row, for every person checked;
* a whole run: the engine equals the plain-Python reference (:mod:`simulator.engine.reference`) counter
  for counter, repost for repost, on scenarios that exercise relays, fatigue and exits, repeated exposure,
  commentary, topics and regional scope;
* the two world representations (explicit CSR, implicit on-demand rows) give identical runs.
"""

from __future__ import annotations

import numpy as np
import pytest

import simulator
from simulator import streams as S
from simulator.engine.model import PropagationModel
from simulator.engine.reference import run_reference
from simulator.world.build import build_world
from simulator.world.generator import follower_row, graph_model, materialize

SCENARIO = """
name: reference
seed: {seed}
time: {{tick: 1, horizon: 96}}
population:
  size: 6000
  regions: {{north: 1, south: 2}}
  interests: {{general: 2, sport: 1}}
graph: {{mean_followees: 40, tail_exponent: 2.3, locality: 0.6, world: {world}}}
accounts:
  - {{id: official, kind: official, followers: 2500}}
  - {{id: sport, kind: sub_brand, followers: 900, interest: sport, overlap: {{official: 0.3}}}}
  - {{id: boss, kind: executive, followers: 700, overlap: {{official: 0.2}}}}
  - {{id: city, kind: regional, count: 3, followers: {{median: 300, sigma: 0.4}}, region: "*",
     overlap: {{official: 0.25}}}}
relays:
  - {{source: official, target: sport, probability: 0.8, off_topic_probability: 0.3}}
  - {{source: official, target: boss, probability: 0.7, variation: commentary}}
  - {{source: official, target: city, probability: 0.6, variation: cosmetic, latency: {{median: 0.5, sigma: 1.0}}}}
  - {{source: boss, target: official, probability: 0.5}}
  - {{source: sport, target: city, probability: 0.4}}
campaign:
  - {{account: official, at: 0, repeat: 4, every: 6}}
  - {{account: official, at: 2, topic: sport}}
  - {{account: city.1, at: 5, scope: north, promotional: true}}
behaviour: {{p0: 0.03, appeal_sigma: 0.6}}
fatigue: {{tolerance: {{median: 3, sigma: 0.5}}, kappa: 0.05, churn_per_day: 0.01}}
"""


def _load(seed: int = 3, world: str = "explicit", **over: object):
    text = SCENARIO.format(seed=seed, world=world)
    return simulator.load_text(text, overrides=[f"{k}={v}" for k, v in over.items()])


def test_stream_twins_are_bit_identical():
    rng = np.random.default_rng(0)
    for _ in range(20):
        key = int(rng.integers(0, 2**63)) * 2 + 1
        xs = rng.integers(0, 2**40, 50)
        np.testing.assert_array_equal(S.uniforms(key, xs), [S.uniform(key, int(x)) for x in xs])
        np.testing.assert_array_equal(S.normals(key, xs), [S.normal(key, int(x)) for x in xs])
    u = S.uniforms(S.kind_key(1, S.REPOST), np.arange(200_000))
    assert u.min() > 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.003  # 0.5 +- 5 SE (SE = 0.00065)
    z = S.normals(S.kind_key(1, S.APPEAL), np.arange(200_000))
    assert abs(z.mean()) < 0.012 and abs(z.std() - 1) < 0.01


def test_generated_rows_equal_the_materialised_graph():
    bounds = np.array([0, 4000, 10_000], dtype=np.int64)
    gm = graph_model(10_000, 60.0, 2.2, 0.5, bounds, seed=11)
    g = materialize(gm)
    for u in [0, 1, 17, 3999, 4000, 9999] + list(np.random.default_rng(1).integers(0, 10_000, 40)):
        np.testing.assert_array_equal(follower_row(gm, int(u)), g.row(int(u)))
    rows = np.repeat(np.arange(g.n_rows), g.degrees())
    assert not (rows == g.indices).any()  # no self-loops
    pairs = rows.astype(np.int64) * g.n_rows + g.indices
    assert len(np.unique(pairs)) == len(pairs)  # no one follows the same person twice
    assert abs(g.n_edges / 10_000 - 60) < 3  # mean degree z (capped heavy tail; repeats dropped)


def assert_same_counts(model: PropagationModel, ref) -> None:
    """Every counter and per-account statistic of the engine equals the reference's."""
    got = model.counters
    for k, v in ref.counters.items():
        assert got[k] == v, (k, got[k], v)
    for k, v in ref.account_stats.items():
        assert list(model.account_stats[k]) == v, k


@pytest.mark.parametrize("seed,horizon", [(3, 96), (8, 96), (4, 7)])
def test_engine_equals_the_reference_implementation(seed, horizon):
    """(A 7-hour horizon leaves relays and reposts pending: the pending counts must agree too.)"""
    loaded = _load(seed, **{"time.horizon": horizon, "campaign.0.every": 6 if horizon > 48 else 1.5})
    world = build_world(loaded.scenario, loaded.matrix)
    model = PropagationModel(loaded, world=world, record_reposts=True).run()
    ref = run_reference(loaded, world)
    assert_same_counts(model, ref)
    got = model.counters
    table = model.repost_table()
    ids = [a.data.id for a in model.accounts]
    mine = sorted(
        zip(
            table["follower"],
            table["item"],
            table["depth"],
            [ids.index(o) for o in table["origin"]],
            table["decided_h"],
            table["due_h"],
        )
    )
    assert [tuple(map(float, r)) for r in mine] == [tuple(map(float, r)) for r in ref.reposts]
    assert sorted((r["source"], r["target"], r["item"], r["relayed_h"]) for r in model.relay_log) == sorted(ref.relays)
    # the scenario exercises what it claims to
    assert got["account_relays"] > 3 and got["duplicate_exposures"] > 0 and got["follower_reposts"] > 20
    if horizon > 48:
        assert got["mutes"] + got["unfollows"] > 0 and max(model.depth_counts) >= 2 and got["churned"] > 0
    else:
        assert got["pending_at_horizon"] > 0


def test_explicit_and_implicit_worlds_give_identical_runs():
    a = simulator.run(_load(5, "explicit"))
    b = simulator.run(_load(5, "implicit"))
    sa, sb = dict(a.summary), dict(b.summary)
    assert sa == sb
    assert a.accounts.equals(b.accounts) and a.frequency.equals(b.frequency)
    assert a.timeseries.equals(b.timeseries)
