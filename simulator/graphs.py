"""Follower-to-follower graphs generated straight into CSR arrays (no networkx: at 1M nodes a
networkx graph costs minutes and gigabytes).

Direction: an edge u -> v means v follows u, so row u of the CSR lists the people who see u's
reposts. The generator is a directed Chung-Lu model with regional locality, see
:func:`follower_graph`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CSR:
    """Compressed sparse rows: the out-neighbours of row ``u`` are ``indices[indptr[u]:indptr[u+1]]``."""

    indptr: np.ndarray  # int64, length n_rows + 1
    indices: np.ndarray  # int32

    @property
    def n_rows(self) -> int:
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        return int(self.indptr[-1])

    def degrees(self) -> np.ndarray:
        """Out-degree of every row (int64)."""
        return np.diff(self.indptr)

    def row(self, u: int) -> np.ndarray:
        return self.indices[self.indptr[u]:self.indptr[u + 1]]

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Concatenate the rows ``rows``: returns (neighbours, position in ``rows`` of each).

        >>> g = csr_from_edges(3, np.array([0, 0, 2]), np.array([1, 2, 0]))
        >>> g.gather(np.array([2, 0]))
        (array([0, 1, 2], dtype=int32), array([0, 1, 1]))
        """
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.indptr[rows]
        lengths = self.indptr[rows + 1] - starts
        total = int(lengths.sum())
        owner = np.repeat(np.arange(len(rows)), lengths)
        if total == 0:
            return self.indices[:0], owner
        # position of each output element inside its own row, then offset by the row start
        offsets = np.cumsum(lengths) - lengths
        within = np.arange(total, dtype=np.int64) - np.repeat(offsets, lengths)
        return self.indices[np.repeat(starts, lengths) + within], owner


def csr_from_edges(n: int, src: np.ndarray, dst: np.ndarray, dedupe: bool = True) -> CSR:
    """Build a CSR (rows = ``src``) from edge arrays, dropping self-loops and, optionally, repeats."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    key = src[keep] * n + dst[keep]
    key.sort()  # np.unique is ~15x slower than sort + neighbour compare on 20M int64 keys
    if dedupe and len(key):
        first = np.empty(len(key), dtype=bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        key = key[first]
    rows = key // n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return CSR(indptr, (key - rows * n).astype(np.int32))


def powerlaw_weights(n: int, exponent: float | None, rng: np.random.Generator) -> np.ndarray:
    """Pareto weights with density ~ w^-exponent (w >= 1); all ones when ``exponent`` is None."""
    if exponent is None:
        return np.ones(n)
    return (1.0 - rng.random(n)) ** (-1.0 / (exponent - 1.0))


def follower_graph(n: int, mean_followees: float, tail_exponent: float | None, locality: float,
                   region_bounds: np.ndarray, rng: np.random.Generator) -> CSR:
    """Directed Chung-Lu follower graph with regional locality, as CSR (rows = followee).

    Each node's follower count is Poisson with mean proportional to its weight (power law with
    ``tail_exponent``, or constant), and each follower is drawn uniformly, from the followee's
    region with probability ``locality``; followee counts are thus light-tailed and independent
    of follower counts (so <jk> = <j><k> in MODEL-REFERENCE section 4).

    Args:
        n: number of followers (nodes).
        mean_followees: mean number of accounts each node follows (edges = n x this, before
            removing self-loops and repeated pairs).
        tail_exponent: power-law exponent of follower counts (> 2), or None for Poisson.
        locality: probability that an edge's followee is drawn from the follower's region.
        region_bounds: node index boundaries of the regions (nodes are laid out region by region).
        rng: the graph's random stream.
    """
    m = int(round(n * mean_followees))
    if m == 0 or n < 2:
        return CSR(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    w = powerlaw_weights(n, tail_exponent, rng)
    # Cap weights so no node expects more than half the population as followers.
    np.minimum(w, 0.5 * n * w.sum() / m, out=w)
    # Follower counts first (mixed Poisson: Chung-Lu), so edges come out grouped by followee
    # and no weighted search over n nodes is needed per edge.
    degree = rng.poisson(w * (m / w.sum()))
    src = np.repeat(np.arange(n, dtype=np.int64), degree)
    del degree, w
    total = len(src)
    if locality > 0 and len(region_bounds) > 2:
        region = np.searchsorted(region_bounds, np.arange(n), side="right") - 1
        lo = region_bounds[:-1][region]
        size = np.diff(region_bounds)[region]
        local = rng.random(total) < locality
        # Local edges draw the follower inside the followee's region, the rest anywhere.
        base = np.where(local, lo[src], 0)
        span = np.where(local, size[src], n)
        del local, region, lo, size
        dst = base + (rng.random(total) * span).astype(np.int64)
        del base, span
    else:
        dst = rng.integers(0, n, size=total, dtype=np.int64)
    return csr_from_edges(n, src, dst)
