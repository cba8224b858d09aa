"""Follower-to-follower graphs generated straight into CSR arrays (no networkx: at 1M nodes a
networkx graph costs minutes and gigabytes).

Direction: an edge u -> v means v follows u, so row u of the CSR lists the people who see u's
reposts. The generator is a directed Chung-Lu model with regional locality, see
:func:`follower_graph`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

try:  # optional compiled build of large graphs (same output as the numpy path)
    import numba as _numba
except ImportError:  # pragma: no cover
    _numba = None  # type: ignore[assignment]


def _numba_enabled() -> bool:
    """numba is used when importable, unless ``PROPSIM_BACKEND=numpy`` forces the fallback."""
    return _numba is not None and os.environ.get("PROPSIM_BACKEND", "").strip().lower() != "numpy"


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
        return self.indices[self.indptr[u] : self.indptr[u + 1]]

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


def follower_graph(
    n: int,
    mean_followees: float,
    tail_exponent: float | None,
    locality: float,
    region_bounds: np.ndarray,
    rng: np.random.Generator,
) -> CSR:
    """Directed Chung-Lu follower graph with regional locality, as CSR (rows = followee).

    Each node's follower count is Poisson with mean proportional to its weight (power law with
    ``tail_exponent``, or constant), and each follower is drawn uniformly, from the followee's
    region with probability ``locality``; followee counts are thus light-tailed and independent
    of follower counts (so <jk> = <j><k> in docs/model.md#directed-follower-graph).

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
    del w
    total = int(degree.sum())
    ends = np.cumsum(degree)
    if locality > 0 and len(region_bounds) > 2:
        region = np.searchsorted(region_bounds, np.arange(n), side="right") - 1
        lo = region_bounds[:-1][region].astype(np.int64)
        size = np.diff(region_bounds)[region].astype(np.int64)
        del region
        # Same draws, in the same order, as one rng.random(total) for the local flags and a
        # second for the positions; drawn in slices so no edge-length float64 array is held.
        local = np.empty(total, dtype=bool)
        for a in range(0, total, _DRAW_CHUNK):
            b = min(a + _DRAW_CHUNK, total)
            np.less(rng.random(b - a), locality, out=local[a:b])
        return _rows_to_csr(n, degree, ends, lambda a, b: (rng.random(b - a), local[a:b], lo, size, None))
    # One call, as before (bounded integers are buffered per call, so slicing would differ).
    dst_all = rng.integers(0, n, size=total, dtype=np.int64).astype(np.int32)
    return _rows_to_csr(n, degree, ends, lambda a, b: (None, None, None, None, dst_all[a:b]))


# Edges per slice when building a follower graph: big enough to amortise numpy call overhead,
# small enough that each slice's sort runs in cache (2^21 int64 keys = 16 MB).
_DRAW_CHUNK = 1 << 21


def _rows_to_csr(n: int, degree: np.ndarray, ends: np.ndarray, draw) -> CSR:
    """Build the CSR slice by slice of whole rows (so sorting each slice sorts the whole):
    drops self-loops and repeated pairs, sorts each row, and never holds edge-length int64
    arrays (peak ~ 5 bytes per edge: the int32 result and the locality flags).

    ``draw(a, b)`` returns the randomness of edges ``a:b`` (called in increasing order of ``a``):
    ``(u, local, lo, size, None)`` -> follower ``lo[row] + floor(u size[row])`` where ``local``,
    else ``floor(u n)``; or ``(None, None, None, None, dst)`` with the followers themselves.
    """
    total = int(ends[-1]) if len(ends) else 0
    out = np.empty(total, dtype=np.int32)
    counts = np.zeros(n, dtype=np.int64)
    fast = _numba_enabled()
    buf = np.empty(int(degree.max()) if fast and len(degree) else 0, dtype=np.int64)
    filled = 0
    r0 = 0
    while r0 < n:
        a = int(ends[r0 - 1]) if r0 else 0
        # rows r0..r1-1 hold about _DRAW_CHUNK edges (at least one row)
        r1 = min(max(int(np.searchsorted(ends, a + _DRAW_CHUNK, side="right")), r0 + 1), n)
        b = int(ends[r1 - 1])
        if b > a:
            u, local, lo, size, dst = draw(a, b)
            if fast:
                filled = _chunk_nb(
                    r0,
                    r1,
                    degree,
                    u is not None,
                    _or(u, np.float64),
                    _or(local, np.bool_),
                    _or(lo, np.int64),
                    _or(size, np.int64),
                    _or(dst, np.int32),
                    n,
                    out,
                    filled,
                    counts,
                    buf,
                )
            else:
                filled = _chunk_np(r0, r1, degree, u, local, lo, size, dst, n, out, filled, counts)
        r0 = r1
    out.resize(filled, refcheck=False)  # in place: no copy of the result
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return CSR(indptr, out)


def _or(arr: np.ndarray | None, dtype) -> np.ndarray:
    return np.zeros(0, dtype=dtype) if arr is None else arr


def _chunk_np(r0, r1, degree, u, local, lo, size, dst, n, out, filled, counts) -> int:
    """Rows r0..r1-1 into ``out[filled:]`` (numpy: one sort of row-major keys)."""
    src = np.repeat(np.arange(r0, r1, dtype=np.int64), degree[r0:r1])
    if u is not None:
        # Local edges draw the follower inside the followee's region, the rest anywhere.
        base = np.where(local, lo[src], 0)
        span = np.where(local, size[src], n)
        dst = base + (u * span).astype(np.int64)
    keep = src != dst
    key = (src[keep] - r0) * n + dst[keep]
    key.sort()
    if len(key):
        first = np.empty(len(key), dtype=bool)
        first[0] = True
        np.not_equal(key[1:], key[:-1], out=first[1:])
        key = key[first]
    rows = key // n
    counts[r0:r1] = np.bincount(rows, minlength=r1 - r0)
    out[filled : filled + len(key)] = key - rows * n
    return filled + len(key)


if _numba is not None:

    @_numba.njit(cache=True, nogil=True)
    def _chunk_nb(r0, r1, degree, has_u, u, local, lo, size, dst, n, out, filled, counts, buf):  # pragma: no cover
        """Rows r0..r1-1 into ``out[filled:]``: the same followers as :func:`_chunk_np` (same
        float arithmetic), each row sorted on its own (insertion sort for short rows)."""
        e = 0
        for r in range(r0, r1):
            length = 0
            for _ in range(degree[r]):
                if has_u:
                    if local[e]:
                        v = lo[r] + np.int64(u[e] * np.float64(size[r]))
                    else:
                        v = np.int64(u[e] * np.float64(n))
                else:
                    v = np.int64(dst[e])
                e += 1
                if v != r:
                    buf[length] = v
                    length += 1
            if length > 32:
                buf[:length].sort()
            else:
                for i in range(1, length):
                    x = buf[i]
                    j = i - 1
                    while j >= 0 and buf[j] > x:
                        buf[j + 1] = buf[j]
                        j -= 1
                    buf[j + 1] = x
            written = 0
            for i in range(length):
                if i == 0 or buf[i] != buf[i - 1]:
                    out[filled + written] = buf[i]
                    written += 1
            counts[r] = written
            filled += written
        return filled
