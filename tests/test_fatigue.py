"""Fatigue and exposure response against their closed forms (MODEL-REFERENCE section 4)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import simulator
from simulator.engine.state import MUTED as EDGE_MUTED
from simulator.engine.state import UNFOLLOWED as EDGE_UNFOLLOWED


def k_deliveries_doc(k: int, p0: float, alpha: float, beta: float, n: int = 40_000) -> dict:
    """Everyone follows k accounts; the first posts, the others relay it verbatim at once."""
    accounts = [{"id": "a1", "followers": n}] + [
        {"id": f"a{i}", "followers": n, "overlap": {"a1": 1.0}} for i in range(2, k + 1)
    ]
    relays = [
        {"source": "a1", "target": f"a{i}", "probability": 1.0, "latency": {"median": 0.001, "sigma": 0}}
        for i in range(2, k + 1)
    ]
    return {
        "name": f"k{k}",
        "seed": 3 + k,
        "time": {"horizon": 5},
        "population": {"size": n, "regions": {"all": 1}},
        "graph": {"mean_followees": 0},
        "accounts": accounts,
        "relays": relays,
        "campaign": [{"account": "a1", "at": 0, "appeal": 1.0}],
        "behaviour": {"p0": p0, "alpha": alpha, "beta": beta, "appeal_sigma": 0},
        "fatigue": {"enabled": False, "churn_per_day": 0},
    }


@pytest.mark.parametrize("k,alpha,beta", [(1, 1.0, 0.5), (3, 1.0, 0.5), (5, 1.0, 0.5), (4, 0.0, 0.0), (6, 2.0, 0.5)])
def test_ever_repost_after_k_deliveries(k, alpha, beta):
    p0, n = 0.05, 40_000
    model = simulator.PropagationModel(simulator.load_document(k_deliveries_doc(k, p0, alpha, beta, n), "<t>")).run()
    assert model.exposures.min() == k == model.exposures.max()
    # exposure memory x_j: first delivery at t=0, the k-1 relays at t=0.001 h (decayed a hair)
    d = 2 ** (-0.001 / 48.0)
    xs = [1.0] + [d + j for j in range(1, k)]
    h = [min(1.0, p0 * x**alpha * math.exp(-beta * (x - 1))) for x in xs]
    expected = 1 - np.prod([1 - hj for hj in h])
    observed = model.reposts_of(0) / n
    se = math.sqrt(expected * (1 - expected) / n)
    assert abs(observed - expected) < 4 * se, (observed, expected, se)


@pytest.mark.parametrize("promotional,w", [(False, 1.0), (True, 1.5)])
def test_load_after_n_deliveries(promotional, w):
    n_posts, every = 6, 12.0
    doc = {
        "name": "load",
        "seed": 1,
        "time": {"horizon": 80},
        "population": {"size": 3000},
        "graph": {"mean_followees": 0},
        "accounts": [{"id": "a", "followers": 3000}],
        "campaign": [{"account": "a", "at": 0, "repeat": n_posts, "every": every, "promotional": promotional}],
        "behaviour": {"p0": 0.0, "p0_promotional": 0.0},
        "fatigue": {"kappa": 0.0, "churn_per_day": 0, "w_promo": 0.5},
    }
    model = simulator.PropagationModel(simulator.load_document(doc, "<t>")).run()
    q = 2 ** (-every / (7 * 24.0))
    expected = w * (1 - q**n_posts) / (1 - q)
    np.testing.assert_allclose(model.load, expected, rtol=1e-5)
    assert (model.load_time == (n_posts - 1) * every).all()


def test_exit_hazard_and_mute_share():
    n, kappa, q_mute = 40_000, 0.02, 0.3
    doc = {
        "name": "exits",
        "seed": 2,
        "time": {"horizon": 10},
        "population": {"size": n},
        "graph": {"mean_followees": 0},
        "accounts": [{"id": "a", "followers": n}],
        "campaign": [{"account": "a", "at": 0}],
        "behaviour": {"p0": 0.0},
        # theta = 0.5 for everyone: load 1 after one delivery, so p_exit = kappa * (1/0.5 - 1)
        "fatigue": {"tolerance": 0.5, "kappa": kappa, "q_mute": q_mute, "churn_per_day": 0},
    }
    model = simulator.PropagationModel(simulator.load_document(doc, "<t>")).run()
    r = simulator.collect(model).summary
    p = kappa * (1 / 0.5 - 1)
    exits = r["mutes"] + r["unfollows"]
    assert abs(exits - n * p) < 4 * math.sqrt(n * p * (1 - p))
    assert abs(r["mutes"] / exits - q_mute) < 4 * math.sqrt(q_mute * (1 - q_mute) / exits)
    assert r["fatigued"] == n  # everyone's load (1) exceeded their tolerance (0.5)
    assert (model.edge_status == EDGE_MUTED).sum() == r["mutes"]
    assert (model.edge_status == EDGE_UNFOLLOWED).sum() == r["unfollows"]


def test_exited_followers_receive_nothing_more():
    n = 5000
    doc = {
        "name": "exit-then-silence",
        "seed": 4,
        "time": {"horizon": 100},
        "population": {"size": n},
        "graph": {"mean_followees": 0},
        "accounts": [{"id": "a", "followers": n}],
        "campaign": [{"account": "a", "at": 0, "repeat": 8, "every": 12}],
        "behaviour": {"p0": 0.0},
        "fatigue": {"tolerance": 1.0, "kappa": 0.05, "p_exit_max": 0.2, "churn_per_day": 0},
    }
    model = simulator.PropagationModel(simulator.load_document(doc, "<t>")).run()
    res = simulator.collect(model)
    gone = model.edge_status != 0
    assert gone.sum() == res.summary["exits"] > 0
    # everyone gets the first post; later posts reach only those still following then, so the
    # total deliveries are below 8 x n by exactly the missed deliveries of those who left
    assert model.exposures.max() == 8
    assert res.accounts.loc[0, "deliveries"] == model.exposures.sum() < 8 * n
    assert res.accounts.loc[0, "followers_final"] == n - res.summary["unfollows"]


def test_baseline_churn_rate():
    n, u0, horizon = 100_000, 0.01, 96.0
    doc = {
        "name": "churn",
        "seed": 5,
        "time": {"horizon": horizon},
        "population": {"size": n},
        "graph": {"mean_followees": 0},
        "accounts": [{"id": "a", "followers": n}],
        "campaign": [{"account": "a", "at": 0}],
        "behaviour": {"p0": 0.0},
        "fatigue": {"kappa": 0, "churn_per_day": u0},
    }
    r = simulator.run(simulator.load_document(doc, "<t>")).summary
    p = 1 - math.exp(-u0 * horizon / 24)
    assert abs(r["churned"] - n * p) < 4 * math.sqrt(n * p * (1 - p))
