"""Running the full engine in plain independent-cascade mode on hand-built worlds.

Fatigue and churn off, exposure response ``alpha = beta = 0``, appeal fixed at 1, general topic:
every delivery to a follower who has not yet reposted is an independent chance ``T = p0``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.engine.model import PropagationModel
from simulator.results.reposts import executed_reposts
from simulator.scenario.loading import load_document
from simulator.world.build import custom_world
from simulator.world.graphs import CSR

# Plain-IC latency: short and random so that waves interleave inside ticks (exercising the
# event buckets) while every cascade still finishes long before the horizon.
IC_LATENCY = {"median": 0.1, "sigma": 1.0}  # hours
IC_TICK_H = 1.0
IC_HORIZON_H = 100.0  # P(one latency > 100 h) = P(Z > ln(1000)) ~ 3e-12

MAX_ITEMS_PER_RUN = 500  # the matrix allows 1000 items
MAX_STATE_CELLS = 20_000_000  # items x followers per run: per-item state is ~9 bytes a cell (180 MB)


def plain_ic_document(
    n: int, n_items: int, T: float, seed: int, name: str = "oracle", **behaviour: Any
) -> dict[str, Any]:
    """A scenario putting the engine in plain-IC mode: ``n_items`` accounts each posting one
    item at t = 0 (item i from account i), repost probability ``T`` per delivery."""
    beh = {"p0": float(T), "appeal_sigma": 0.0, "alpha": 0.0, "beta": 0.0, "latency": dict(IC_LATENCY)}
    beh.update(behaviour)
    return {
        "name": name,
        "seed": int(seed),
        "time": {"tick": IC_TICK_H, "horizon": IC_HORIZON_H},
        "population": {"size": int(n), "regions": {"all": 1.0}, "interests": {"general": 1.0}},
        "graph": {"mean_followees": 0.0},  # unused: the graph is supplied with the World
        "accounts": [{"id": "seed", "count": int(n_items), "followers": 1}],
        "campaign": [{"account": "seed", "at": 0.0, "appeal": 1.0}],
        "behaviour": beh,
        "fatigue": {"enabled": False, "churn_per_day": 0.0},
    }


@dataclass
class Cascades:
    """Per-item outcome of one plain-IC run."""

    reposters: np.ndarray  # (items,) followers who reposted (decided), seeds excluded
    depth_counts: np.ndarray  # (items, max_depth + 1) executed reposts per depth
    pending: int  # reposts/relays still pending at the horizon (0 when cascades finished)


def run_plain_ic(
    graph: CSR,
    audiences: Sequence[np.ndarray],
    T: float,
    seed: int,
    active: np.ndarray | None = None,
    max_depth: int = 64,
) -> Cascades:
    """Run the engine in plain-IC mode: item ``i`` is posted by an account whose followers are
    ``audiences[i]``. ``active[i]`` (optional) is a follower already active for item ``i`` (the
    seed node of a node-seeded cascade: it can receive the item but never repost it)."""
    n = graph.n_rows
    loaded = load_document(plain_ic_document(n, len(audiences), T, seed), "<plain-IC oracle>", check_memory=False)
    model = PropagationModel(loaded, world=custom_world(n, graph, audiences), record_reposts=True)
    if active is not None:
        # The seed node of IC is active from the start: pre-mark it as having reposted.
        for item, person in enumerate(np.asarray(active)):
            model.mark_reposted(item, int(person))
    model.run()
    reposters = np.array([model.reposts_of(i) for i in range(len(audiences))], dtype=np.int64)
    if active is not None:
        reposters -= 1
    log = executed_reposts(model.repost_table(), [it.at for it in model.matrix.items])
    depth = np.zeros((len(audiences), max_depth + 1), dtype=np.int64)
    np.add.at(depth, (log["item"].to_numpy(), np.minimum(log["depth"].to_numpy(), max_depth)), 1)
    return Cascades(reposters, depth, int(model.counters["pending_at_horizon"]))


def run_batches(
    make: Callable[[int, np.random.Generator], tuple[list[np.ndarray], np.ndarray | None]],
    graph: CSR,
    T: float,
    total: int,
    seq: np.random.SeedSequence,
    max_depth: int = 64,
    per_run: int = MAX_ITEMS_PER_RUN,
) -> Cascades:
    """Run ``total`` cascades in runs of at most ``per_run`` items.

    ``make(k, rng)`` returns the audiences (and optional active seeds) of ``k`` cascades.
    (The engine loops over the items of a wave, so runs of many *large* cascades are
    slower than several runs of fewer.)
    """
    parts: list[Cascades] = []
    done = 0
    per_run = max(1, min(per_run, MAX_ITEMS_PER_RUN, MAX_STATE_CELLS // graph.n_rows))
    for child in seq.spawn(math.ceil(total / per_run)):
        k = min(per_run, total - done)
        rng = np.random.default_rng(child)
        audiences, active = make(k, rng)
        parts.append(run_plain_ic(graph, audiences, T, int(rng.integers(2**62)), active, max_depth))
        done += k
    return Cascades(
        np.concatenate([p.reposters for p in parts]),
        np.vstack([p.depth_counts for p in parts]),
        sum(p.pending for p in parts),
    )
