"""The follower graph as a pure function: the followers of person ``u`` from ``(seed, u)`` alone.

A directed Chung-Lu graph with regional locality (an edge ``u -> v`` means ``v`` follows ``u``):

* person ``u`` has a weight ``w_u`` (Pareto with the scenario's ``tail_exponent``, capped; all equal
  for a light-tailed graph) and ``k_u ~ Poisson(lambda_u)`` follower draws, ``lambda_u = w_u z / E[w]``
  so that the mean number of followees (and followers) is ``z = graph.mean_followees``;
* each draw is, with probability ``locality``, a uniform person of ``u``'s region, else a uniform person
  of the whole population; self-draws are dropped and repeated draws count once (rows keep draw order).

Followee counts are then light-tailed and independent of follower counts, so ``<jk> = <j><k>``
(``docs/model.md``, oracles). Every number comes from :mod:`simulator.streams` keyed by ``(seed, u, j)``,
so the same ``u`` always yields the same followers: an *implicit* world generates a row when someone
reposts, an *explicit* world materialises all rows once into a CSR (:func:`materialize`) — the very same
graph, which is why the two worlds give identical results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator import streams as S
from simulator.backend import numba as _numba
from simulator.world.graphs import CSR

MAX_FOLLOWER_SHARE = 0.05  # no one expects more than 5% of the world as followers (finite-size cap)
POISSON_NORMAL_ABOVE = 64.0  # above this mean, Poisson draws use the normal approximation (skew < 0.125)


@dataclass(frozen=True)
class GraphModel:
    """Parameters of the follower-graph generator (see the module docstring).

    Attributes:
        n: people; z: mean followers per person (= mean followees).
        alpha: Pareto shape of the weights (tail_exponent - 1), 0 for a light-tailed graph.
        w_cap: cap of the weights; lam_scale: lambda_u = min(w_u, w_cap) * lam_scale.
        locality: probability that a follower comes from the person's own region.
        region_bounds: int64 region boundaries of the population.
        key_w, key_deg, key_loc, key_pos: stream keys (weights, counts, local flags, positions).
    """

    n: int
    z: float
    alpha: float
    w_cap: float
    lam_scale: float
    locality: float
    region_bounds: np.ndarray
    key_w: int
    key_deg: int
    key_loc: int
    key_pos: int

    def arrays(self) -> tuple:
        """The model as a tuple of scalars and arrays for the compiled kernels."""
        return (
            np.int64(self.n),
            np.float64(self.alpha),
            np.float64(self.w_cap),
            np.float64(self.lam_scale),
            np.float64(self.locality),
            self.region_bounds,
            np.uint64(self.key_w),
            np.uint64(self.key_deg),
            np.uint64(self.key_loc),
            np.uint64(self.key_pos),
        )

    def expected_lambda(self) -> np.ndarray:
        """Mean follower count of every person (float64; for tests and small worlds)."""
        if self.alpha <= 0:
            return np.full(self.n, self.lam_scale)
        u = S.uniforms(self.key_w, np.arange(self.n, dtype=np.int64))
        return np.minimum(u ** (-1.0 / self.alpha), self.w_cap) * self.lam_scale


def _capped_pareto_mean(alpha: float, cap: float) -> float:
    """E[min(W, cap)] for W ~ Pareto(shape alpha, minimum 1)."""
    if cap <= 1:
        return cap
    if abs(alpha - 1.0) < 1e-12:
        return 1.0 + math.log(cap)
    return 1.0 + (1.0 - cap ** (1.0 - alpha)) / (alpha - 1.0)


def graph_model(
    n: int, mean_followees: float, tail_exponent: float | None, locality: float, region_bounds: np.ndarray, seed: int
) -> GraphModel:
    """The generator of a scenario's follower graph (no edge is drawn here)."""
    z = float(mean_followees)
    keys = [S.kind_key(seed, k) for k in (S.WEIGHT, S.DEGREE, S.EDGE_LOCAL, S.EDGE_POS)]
    bounds = np.ascontiguousarray(region_bounds, dtype=np.int64)
    if tail_exponent is None or z <= 0 or n < 2:
        return GraphModel(n, z, 0.0, 1.0, z, locality, bounds, *keys)
    alpha = float(tail_exponent) - 1.0
    lam_max = max(z, MAX_FOLLOWER_SHARE * n)
    cap = lam_max  # solve cap = lam_max * E[min(W, cap)] / z by fixed-point iteration (monotone)
    for _ in range(200):
        new = lam_max * _capped_pareto_mean(alpha, cap) / z
        if abs(new - cap) <= 1e-12 * cap:
            break
        cap = new
    cap = max(cap, 1.0)
    return GraphModel(n, z, alpha, cap, z / _capped_pareto_mean(alpha, cap), locality, bounds, *keys)


if _numba is not None:
    _njit = _numba.njit(cache=True, nogil=True)
    nb_uniform = S.nb_uniform
    nb_normal = S.nb_normal
    nb_derive = S.nb_derive

    @_numba.njit(cache=True, inline="always")
    def nb_lambda(alpha, w_cap, lam_scale, key_w, u):  # pragma: no cover - compiled
        if alpha <= 0.0:
            return lam_scale
        w = nb_uniform(key_w, u) ** (-1.0 / alpha)
        return min(w, w_cap) * lam_scale

    @_numba.njit(cache=True, inline="always")
    def nb_poisson(lam, key, u):  # pragma: no cover - compiled
        """Poisson(lam) by inversion of one uniform (normal approximation above 64)."""
        if lam <= 0.0:
            return 0
        if lam > 64.0:
            k = np.floor(lam + np.sqrt(lam) * nb_normal(key, u) + 0.5)
            return np.int64(max(k, 0.0))
        x = nb_uniform(key, u)
        p = np.exp(-lam)
        cdf = p
        k = 0
        while x > cdf and k < 1000:
            k += 1
            p *= lam / k
            cdf += p
        return np.int64(k)

    @_numba.njit(cache=True, inline="always")
    def nb_draws(g, u):  # pragma: no cover - compiled
        """Number of follower draws of person ``u`` (before dropping self and repeated draws)."""
        n, alpha, w_cap, lam_scale, locality, bounds, key_w, key_deg, key_loc, key_pos = g
        return nb_poisson(nb_lambda(alpha, w_cap, lam_scale, key_w, u), key_deg, u)

    @_numba.njit(cache=True, inline="always")
    def nb_region_bounds_of(bounds, u):  # pragma: no cover - compiled
        r = np.searchsorted(bounds, u, side="right") - 1
        return bounds[r], bounds[r + 1] - bounds[r]

    @_numba.njit(cache=True, nogil=True)
    def nb_row(g, u, buf, seen):  # pragma: no cover - compiled
        """Write the followers of ``u`` into ``buf[:k]`` (distinct, in draw order, without ``u``); return k.

        ``buf`` must hold at least ``nb_draws(g, u)`` entries; ``seen`` is scratch for the repeated-draw
        check: an int64 array of a power-of-two size >= 2 x that, all -1 (it is left all -1)."""
        n, alpha, w_cap, lam_scale, locality, bounds, key_w, key_deg, key_loc, key_pos = g
        k = nb_draws(g, u)
        if k == 0:
            return 0
        lo, size = nb_region_bounds_of(bounds, u)
        kl = nb_derive(key_loc, u)
        kp = nb_derive(key_pos, u)
        cap = 16
        while cap < 2 * k:
            cap *= 2
        mask = np.uint64(cap - 1)
        m = 0
        for j in range(k):
            if locality > 0.0 and nb_uniform(kl, j) < locality:
                v = lo + np.int64(nb_uniform(kp, j) * size)
            else:
                v = np.int64(nb_uniform(kp, j) * n)
            if v == u:
                continue
            h = np.int64(S.nb_mix(np.uint64(v)) & mask)
            while seen[h] != -1 and seen[h] != v:
                h = (h + 1) & (cap - 1)
            if seen[h] == -1:  # first draw of v: keep it (a repeated draw is the same follow)
                seen[h] = v
                buf[m] = v
                m += 1
        for i in range(m):  # leave the scratch clean: clear exactly the slots used
            h = np.int64(S.nb_mix(np.uint64(buf[i])) & mask)
            while seen[h] != buf[i]:
                h = (h + 1) & (cap - 1)
            seen[h] = -1
        return m

    @_numba.njit(cache=True, inline="always")
    def scratch_size(k):  # pragma: no cover - compiled
        cap = 16
        while cap < 2 * k:
            cap *= 2
        return cap

    @_njit
    def _draw_counts(g, n):  # pragma: no cover - compiled
        out = np.empty(n + 1, np.int64)
        out[0] = 0
        for u in range(n):
            out[u + 1] = out[u] + nb_draws(g, u)
        return out

    @_numba.njit(cache=True, nogil=True, parallel=True)
    def _fill_rows(g, n, bound, out, lengths, top):  # pragma: no cover - compiled
        step = (n + 63) // 64
        for chunk in _numba.prange(64):  # one scratch per chunk of rows (the rows are independent)
            seen = np.full(scratch_size(top), -1, np.int64)
            buf = np.empty(max(top, 1), np.int64)
            for u in range(chunk * step, min(n, (chunk + 1) * step)):
                k = nb_row(g, u, buf, seen)
                out[bound[u] : bound[u] + k] = buf[:k]
                lengths[u] = k

    @_njit
    def _compact(bound, lengths, out, indptr):  # pragma: no cover - compiled
        w = 0
        for u in range(lengths.size):
            src = bound[u]
            for i in range(lengths[u]):
                out[w + i] = out[src + i]
            w += lengths[u]
            indptr[u + 1] = w
        return w


def materialize(model: GraphModel) -> CSR:
    """The whole follower graph as a CSR (rows in draw order): the explicit world's graph.

    Memory: 4 bytes per draw (int32 indices) plus 8 per person; rows are generated in parallel.
    """
    n = model.n
    if _numba is None:  # pragma: no cover - numba is a core dependency; twin kept for readability
        raise RuntimeError("materialising a follower graph needs numba")
    g = model.arrays()
    bound = _draw_counts(g, n)
    out = np.empty(int(bound[-1]), dtype=np.int64 if n >= 2**31 else np.int32)
    lengths = np.zeros(n, dtype=np.int64)
    top = int(np.diff(bound).max()) if n else 0
    _fill_rows(g, n, bound, out, lengths, top)
    indptr = np.zeros(n + 1, dtype=np.int64)
    total = _compact(bound, lengths, out, indptr)
    out.resize(total, refcheck=False)
    return CSR(indptr, out)


def follower_row(model: GraphModel, u: int) -> np.ndarray:
    """The followers of person ``u`` (int64, in draw order), generated on demand."""
    g = model.arrays()
    k = int(_draw_counts_one(g, u))
    buf = np.empty(k, dtype=np.int64)
    k = nb_row(g, np.int64(u), buf, np.full(int(scratch_size(k)), -1, np.int64))
    return buf[:k]


if _numba is not None:

    @_njit
    def _draw_counts_one(g, u):  # pragma: no cover - compiled
        return nb_draws(g, u)
