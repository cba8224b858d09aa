"""The engine against analytic oracles (MODEL-REFERENCE section 4), plain-IC mode.

Tolerances are |z| < 4 with the standard error estimated from the replicates themselves.
"""

from __future__ import annotations

import math

import numpy as np

import simulator


def plain_ic(doc: dict, T: float) -> dict:
    """Fatigue off, r(k) = 1, appeal 1: every delivery is one independent chance T."""
    doc = dict(doc)
    doc["behaviour"] = {
        "p0": T,
        "alpha": 0.0,
        "beta": 0.0,
        "appeal_sigma": 0.0,
        "latency": {"median": 0.5, "sigma": 0.0},
    }
    doc["fatigue"] = {"enabled": False, "churn_per_day": 0.0}
    return doc


def test_directed_seed_account_mean_reposts():
    """E[reposts] = T F / (1 - R), R = T <jk>/z, on a light-tailed directed follower graph."""
    T, F, n, reps = 0.1, 2000, 100_000, 40
    sizes, theory = [], []
    for rep in range(reps):
        doc = plain_ic(
            {
                "name": "oracle",
                "seed": 1000 + rep,
                "time": {"horizon": 400},
                "population": {"size": n, "regions": {"all": 1}},
                "graph": {"mean_followees": 5, "tail_exponent": None, "locality": 0.0},
                "accounts": [{"id": "seed", "followers": F}],
                "campaign": [{"account": "seed", "at": 0}],
            },
            T,
        )
        model = simulator.PropagationModel(simulator.load_document(doc, "<t>"))
        g = model.world.graph
        k = g.degrees().astype(float)
        j = np.bincount(g.indices, minlength=n).astype(float)
        R = T * (j * k).mean() / k.mean()
        theory.append(T * F / (1 - R))
        model.run()
        assert model.counters["pending_at_horizon"] == 0  # the cascade finished
        sizes.append(model.counters["repost_decisions"])
    sizes = np.array(sizes, dtype=float)
    z = (sizes.mean() - np.mean(theory)) / (sizes.std(ddof=1) / math.sqrt(reps))
    assert abs(z) < 4, (sizes.mean(), np.mean(theory), z)
    assert 0.45 < R < 0.55  # the regime we meant to test (R = T z = 0.5)


def test_union_reach_of_independent_audiences():
    """Direct reach of independent uniform audiences = N [1 - prod(1 - F_i / N)]."""
    n, fs, reps = 50_000, [3000, 8000, 15000, 1000, 20000], 10
    expected = n * (1 - np.prod([1 - f / n for f in fs]))
    got = []
    for rep in range(reps):
        doc = {
            "name": "union",
            "seed": rep,
            "population": {"size": n},
            "graph": {"mean_followees": 0},
            "accounts": [{"id": f"u{i}", "followers": f} for i, f in enumerate(fs)],
            "campaign": [{"account": f"u{i}", "at": 0} for i in range(len(fs))],
            "behaviour": {"p0": 0.0},
            "fatigue": {"enabled": False, "churn_per_day": 0},
        }
        got.append(simulator.run(simulator.load_document(doc, "<t>")).summary["direct_reach"])
    p = expected / n
    se = math.sqrt(n * p * (1 - p) / reps)  # binomial bound; fixed audience sizes only shrink it
    assert abs(np.mean(got) - expected) < 4 * se, (np.mean(got), expected)


def test_hub_expected_relays():
    """HUB with R regional accounts relaying with probability p: E[relays] = R p."""
    R, p, reps = 30, 0.6, 60
    relays = []
    for rep in range(reps):
        doc = {
            "name": "hub",
            "seed": rep,
            "topology": {
                "preset": "hub",
                "params": {
                    "regional": R,
                    "relay_probability": p,
                    "official_followers": 2000,
                    "regional_followers": {"median": 200, "sigma": 0.3},
                },
            },
            "population": {"size": 20_000},
            "graph": {"mean_followees": 0},
        }
        relays.append(simulator.run(simulator.load_document(doc, "<t>")).summary["account_relays"])
    se = math.sqrt(R * p * (1 - p) / reps)
    assert abs(np.mean(relays) - R * p) < 4 * se, np.mean(relays)
