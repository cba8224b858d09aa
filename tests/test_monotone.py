"""Common random numbers all the way down: at a fixed seed, more of a cause never gives less of its effect.

Every random decision draws its own keyed uniform (``simulator/streams.py``), so raising a probability
only flips the decisions whose uniform lies between the old and the new threshold, in the same
direction. Hence, at a fixed seed (issue "Decision-grade comparisons"):

* reach, follower reposts and account relays never decrease along a p0 sweep or a relay-probability
  sweep (checked on bundled scenarios with relays, 8 seeds x 6 values each);
* campaign exits never decrease when the same posts come more often (shorter ``every``).

Exact monotonicity is a property of the coupling, not a statistical claim: one violation fails.
"""

from __future__ import annotations

import pytest

import simulator

SEEDS = range(8)
SCALE = 0.01  # a few tens of thousands of people: the same shape as the bundled scenario


def _run(name: str, seed: int, *overrides: str) -> dict:
    loaded = simulator.load(
        f"scenarios/{name}.yaml", seed=seed, scale=SCALE, overrides=list(overrides), check_memory=False
    )  # tiny runs: never refuse them on a busy shared machine
    return dict(simulator.run(loaded).summary)


def _assert_monotone(rows: list[tuple[float, dict]], metrics: tuple[str, ...], what: str) -> None:
    for (x0, a), (x1, b) in zip(rows, rows[1:]):
        for m in metrics:
            assert b[m] >= a[m], f"{what}: {m} fell from {a[m]} at {x0} to {b[m]} at {x1}"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["case_sports_brand", "hub"])
def test_reach_reposts_and_relays_never_fall_as_p0_rises(name):
    values = (0.001, 0.002, 0.003, 0.0045, 0.007, 0.01)
    for seed in SEEDS:
        rows = [(p0, _run(name, seed, f"behaviour.p0={p0}")) for p0 in values]
        _assert_monotone(
            rows, ("reach", "follower_reposts", "repost_decisions", "account_relays"), f"{name} seed {seed}"
        )
        assert rows[-1][1]["follower_reposts"] > rows[0][1]["follower_reposts"]  # the sweep does something


@pytest.mark.slow
def test_reach_and_relays_never_fall_as_a_relay_probability_rises():
    values = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    for seed in SEEDS:
        rows = [(p, _run("hub", seed, f"topology.params.relay_probability={p}")) for p in values]
        _assert_monotone(rows, ("reach", "direct_reach", "account_relays", "follower_reposts"), f"hub seed {seed}")
        assert rows[0][1]["account_relays"] == 0 and rows[-1][1]["account_relays"] == 30


@pytest.mark.slow
def test_exits_never_fall_when_the_same_posts_come_more_often():
    # six posts of the official account, every 24, 12, 6 or 3 hours: more frequent = more load
    for seed in SEEDS:
        rows = [
            (
                every,
                _run(
                    "centralized",
                    seed,
                    "topology.params.posts=6",
                    f"topology.params.every={every}",
                    "time.horizon=150",
                    "fatigue.kappa=0.02",
                    "fatigue.tolerance.median=4",
                ),
            )
            for every in (24, 12, 6, 3)
        ]
        _assert_monotone(rows, ("exits", "fatigued"), f"centralized seed {seed}")
        assert rows[-1][1]["exits"] > rows[0][1]["exits"] > 0
