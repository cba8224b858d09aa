"""Graphs built for the oracle report (configuration model, light-tailed follower graphs)."""

from __future__ import annotations

import numpy as np

from simulator.world.generator import graph_model, materialize
from simulator.world.graphs import CSR, csr_from_edges


def configuration_model(degrees: np.ndarray, rng: np.random.Generator) -> CSR:
    """Undirected configuration model as a CSR storing both directions of every edge.

    Stubs are matched at random; self-loops and repeated pairs are dropped (the theory then
    uses the realised degrees, see :func:`degree_pk`).
    """
    d = np.asarray(degrees, dtype=np.int64).copy()
    if d.sum() % 2:
        d[int(rng.integers(len(d)))] += 1
    stubs = np.repeat(np.arange(len(d), dtype=np.int64), d)
    rng.shuffle(stubs)
    a, b = stubs[0::2], stubs[1::2]
    return csr_from_edges(len(d), np.concatenate([a, b]), np.concatenate([b, a]))


def negative_binomial_degrees(n: int, mean: float, shape: float, rng: np.random.Generator) -> np.ndarray:
    """Light-tailed degrees: negative binomial with the given mean and shape r
    (variance ``mean + mean^2 / r``)."""
    return rng.negative_binomial(shape, shape / (shape + mean), n)


def light_follower_graph(n: int, z: float, rng: np.random.Generator) -> CSR:
    """The engine's own follower-graph generator with Poisson follower counts, no locality
    (:mod:`simulator.world.generator`, keyed by a seed drawn from ``rng``)."""
    seed = int(rng.integers(0, 2**62))
    return materialize(graph_model(n, z, None, 0.0, np.array([0, n], dtype=np.int64), seed))
