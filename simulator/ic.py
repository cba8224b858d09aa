"""Plain independent cascade (IC) on a follower CSR, and the whole reach-vs-p curve in one pass.

This is what the full model reduces to with fatigue and time dynamics off (alpha = beta = 0, no
exit, horizon long enough): every delivery ``u -> v`` is one independent trial that makes ``v``
repost with probability ``p`` (times an optional per-follower weight, e.g. the suitability
s(i, c) of MODEL-REFERENCE section 2).

Semantics (one cascade):

* ``seeds`` are active from the start (depth 0), like the seed nodes of cynetdiff or NDlib.
* ``audience`` (optional) are the followers of an outside account that posts once: each of them
  is *exposed* at the start and reposts (activates, depth 1) with probability ``p``, exactly like
  the followers of a matrix account in :mod:`simulator.model`.
* An active node exposes all its followers; each exposure ``u -> v`` activates an inactive ``v``
  iff the edge's uniform ``U_e`` satisfies ``U_e / w_v <= p`` (``w_v = 1`` without weights).
* ``activated`` = seeds + reposters (what cynetdiff counts); ``exposed`` = nodes that received at
  least one delivery (the model's *reach*); ``reached`` = activated or exposed.

Randomness: every transmission trial has one uniform in (0, 1], either given
(``edge_uniforms``, ``audience_uniforms``) or computed from a 64-bit stream key by a counter-based
hash (SplitMix64 of the edge index), so the outcome of edge ``e`` does not depend on the order in
which a backend visits edges. Hence the numba queue and the vectorised numpy frontier give
identical results, and a cascade at ``p`` and the reach curve with the same key/uniforms agree
exactly at every grid point (common random numbers). Uniforms and ``p`` are compared in float32
(24-bit uniforms ``k / 2^24``, ``k = 1..2^24``), the precision cynetdiff uses, so cynetdiff given
the same float32 uniforms returns the very same sizes.

The whole curve: with one uniform per trial reused for every p, node v is active at p iff some
path from the seeds/audience has all its trial uniforms <= p, i.e. iff its bottleneck threshold
(minimum over paths of the maximum uniform) is <= p. :meth:`Cascader.curve` finds the level of
every node for a grid of p in one bucketed pass (each node's edges scanned once, when it
activates), at ~1.5-2x the cost of the single run at max(p) instead of one run per p.

API: :func:`independent_cascade` / :meth:`Cascader.run` (one cascade), :meth:`Cascader.run_many`
(many independent cascades in one call: per-call overhead paid once), :func:`reach_curve` /
:meth:`Cascader.curve` (the curve), :func:`edge_uniforms` / :func:`hash_uniforms` (the trial
uniforms, to share with another library), :func:`reduce_model` (the IC problem a one-post
scenario with fatigue, churn and the exposure response off reduces to).

Backends: ``"numba"`` (compiled, level-synchronous breadth-first search; the default when numba
imports) and ``"numpy"`` (vectorised fallback, no compiler, same results). ``backend="auto"``
picks numba unless the environment variable ``PROPSIM_BACKEND=numpy`` forces the fallback.
At 1M nodes the compiled kernel is limited by memory latency, so large levels are expanded in
node order and scratch arrays are reused and reset only where touched.

>>> from simulator.graphs import csr_from_edges
>>> g = csr_from_edges(4, np.array([0, 1, 2]), np.array([1, 2, 3]))  # a path 0 -> 1 -> 2 -> 3
>>> independent_cascade(g, [0], 1.0, rng=0).n_activated
4
>>> reach_curve(g, [0], [0.0, 1.0], rng=0).activated.tolist()
[1, 4]
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .graphs import CSR

from .backend import _numba, available_backends, resolve_backend

__all__ = ["BatchResult", "CascadeResult", "Cascader", "ICProblem", "ReachCurve", "available_backends",
           "edge_uniforms", "hash_uniforms", "independent_cascade", "reach_curve", "reduce_model",
           "reduction_problems", "resolve_backend", "stream_key"]

# SplitMix64 constants (Steele, Lea & Flood 2014); the stream of key k at counter c is
# mix(k + (c + 1) * GOLDEN), the same generator SplitMix64 uses, indexed instead of stepped.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)
_U24 = np.float32(2.0 ** -24)
_NONE = 255  # "not (yet) active / exposed" in the uint8 level arrays of the reach curve
MAX_CURVE_POINTS = 254


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def stream_key(rng: np.random.Generator | int | None) -> int:
    """The 64-bit key of a cascade's hash uniforms.

    A Generator is advanced by one draw (successive calls give independent cascades); an int
    is a seed (equal ints give equal cascades: common random numbers); None draws fresh entropy.
    """
    if isinstance(rng, np.random.Generator):
        if isinstance(rng.bit_generator, _RAW64):  # ~5x cheaper than integers(); same quality
            return int(rng.bit_generator.random_raw())
        return int(rng.integers(0, 2**64, dtype=np.uint64))
    if rng is None:
        return int(np.random.default_rng().integers(0, 2**64, dtype=np.uint64))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return _splitmix(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, not {type(rng).__name__}")


_RAW64 = (np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox)


def _splitmix(x: int) -> int:
    """SplitMix64 finaliser of ``x + GOLDEN`` (an int seed -> a well-mixed 64-bit key)."""
    mask = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def hash_uniforms(key: int, counters: np.ndarray) -> np.ndarray:
    """The float32 uniforms in (0, 1] of stream ``key`` at the given counters (edge indices).

    Trial ``e`` of a cascade with key ``k`` uses ``hash_uniforms(k, [e])``; the audience trial
    ``i`` uses counter ``n_edges + i``.

    >>> u = hash_uniforms(1, np.arange(100_000))
    >>> bool(u.min() > 0 and u.max() <= 1 and abs(u.mean() - 0.5) < 0.005)
    True
    """
    with np.errstate(over="ignore"):
        z = np.uint64(key) + (np.asarray(counters).astype(np.uint64) + np.uint64(1)) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
        z ^= z >> np.uint64(31)
    return ((z >> np.uint64(40)) + np.uint64(1)).astype(np.float32) * _U24


def edge_uniforms(graph: CSR, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """One float32 uniform in (0, 1] per edge (materialised; 4 bytes per edge).

    Passing the result as ``edge_uniforms=`` gives the same cascades as passing ``rng`` would
    (when both come from the same seed); materialise them to share with another library.
    """
    return hash_uniforms(stream_key(rng), np.arange(graph.n_edges, dtype=np.int64))


@dataclass
class CascadeResult:
    """Outcome of one cascade.

    Attributes:
        activated: active node ids (int32) in breadth-first order: seeds first, then depth 1...
            (order inside one depth level is backend-specific).
        level_starts: ``activated[level_starts[d]:level_starts[d+1]]`` are the nodes at depth d.
        n_exposed: nodes that received at least one delivery (None if not counted).
        n_reached: nodes activated or exposed (None if exposures were not counted).
        edges_examined: transmission trials made = total out-degree of the activated nodes
            (+ audience trials); the work an edge-by-edge simulator does.
    """

    activated: np.ndarray
    level_starts: np.ndarray
    n_exposed: int | None
    n_reached: int | None
    edges_examined: int

    @property
    def n_activated(self) -> int:
        """Seeds plus reposters (the count cynetdiff and NDlib report)."""
        return len(self.activated)

    size = n_activated

    @property
    def depth(self) -> np.ndarray:
        """Depth (hops from the seeds; audience reposters are at depth 1) of each activated node."""
        return np.repeat(np.arange(len(self.level_starts) - 1, dtype=np.int32), np.diff(self.level_starts))

    @property
    def max_depth(self) -> int:
        return max(len(self.level_starts) - 2, 0)

    def mask(self, n: int) -> np.ndarray:
        """Boolean mask of the activated nodes among ``n``."""
        m = np.zeros(n, dtype=bool)
        m[self.activated] = True
        return m


@dataclass
class BatchResult:
    """Per-replicate outcomes of :meth:`Cascader.run_many` (int64 arrays, one entry each)."""

    n_activated: np.ndarray
    n_exposed: np.ndarray | None
    n_reached: np.ndarray | None
    edges_examined: np.ndarray


@dataclass
class ReachCurve:
    """Final sizes of one replicate at every p of a grid (same uniforms for every p).

    ``activated[k]``, ``exposed[k]`` and ``reached[k]`` are what :func:`independent_cascade`
    returns at ``ps[k]`` with the same key / uniforms (exposed and reached are None when not
    counted).
    """

    ps: np.ndarray
    activated: np.ndarray
    exposed: np.ndarray | None
    reached: np.ndarray | None
    edges_examined: int


# --------------------------------------------------------------------------------------------
# numba kernels
# --------------------------------------------------------------------------------------------
# Breadth-first levels larger than n / _SORT_DIVISOR are put in node order before they are
# expanded: rows are then read in address order (near-streaming) instead of at random, which
# cut the time of a large cascade at 1M nodes by ~40% (memory latency, not arithmetic, dominates).
_SORT_DIVISOR = 64
_SORT_MIN_NODES = 1 << 17  # below this the graph is cache-resident and sorting only costs
_CHUNK = 256  # edges whose trials are computed in one vectorisable batch

if _numba is not None:
    # error_model="numpy": x / 0 gives inf (a weight-0 follower never reposts), as in numpy
    _njit = _numba.njit(cache=True, nogil=True, error_model="numpy")
    _inline = _numba.njit(cache=True, inline="always", error_model="numpy")

    @_inline
    def _hash_bits(key, c):  # pragma: no cover - compiled
        """24 random bits k of trial ``c``; its uniform is (k + 1) / 2^24."""
        z = key + (np.uint64(c) + np.uint64(1)) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
        z = z ^ (z >> np.uint64(31))
        return z >> np.uint64(40)

    @_inline
    def _hash_u(key, c):  # pragma: no cover - compiled
        return np.float32(_hash_bits(key, c) + np.uint64(1)) * _U24

    @_inline
    def _threshold_bits(p32):  # pragma: no cover - compiled
        """(k + 1) / 2^24 <= p32  <=>  k < floor(p32 2^24): an integer test, exact."""
        return np.uint64(np.floor(np.float64(p32) * 16777216.0))

    @_njit
    def _check_nodes(nodes, n):  # pragma: no cover - compiled
        for i in range(nodes.size):
            if nodes[i] < 0 or nodes[i] >= n:
                return False
        return True

    @_njit
    def _sort_segment(queue, lo, hi, mark):  # pragma: no cover - compiled
        """Put queue[lo:hi] (distinct node ids) in ascending order with a bitmap pass."""
        for i in range(lo, hi):
            mark[queue[i]] = 1
        j = lo
        for u in range(mark.size):
            if mark[u]:
                mark[u] = 0
                queue[j] = u
                j += 1

    @_njit
    def _cascade_nb(indptr, indices, seeds, audience, aud_u, key, p, uniforms, weights, count_exposed,
                    active, queue, starts, exposed, exposed_list, mark):  # pragma: no cover - compiled
        """Level-synchronous breadth-first search.

        Returns (n_active, len(starts) used, n_exposed, edges_examined). ``active``/``exposed``
        are all-zero scratch on entry and are left dirty: the caller resets them through
        ``queue`` / ``exposed_list`` (only where touched).
        """
        n = indptr.size - 1
        n_edges = indptr[n]
        use_u = uniforms.size > 0
        use_w = weights.size > 0
        per_edge = use_w or count_exposed
        p32 = np.float32(p)
        tp = _threshold_bits(p32)
        fired = np.empty(_CHUNK, dtype=np.bool_)
        big = n // _SORT_DIVISOR if n >= _SORT_MIN_NODES else n + 1
        tail = 0
        for i in range(seeds.size):
            s = seeds[i]
            if active[s] == 0:
                active[s] = 1
                queue[tail] = s
                tail += 1
        n_seeds = tail
        n_exp = 0
        examined = audience.size
        for i in range(audience.size):  # the outside account's post: depth-1 trials
            v = audience[i]
            if count_exposed and exposed[v] == 0:
                exposed[v] = 1
                exposed_list[n_exp] = v
                n_exp += 1
            x = aud_u[i] if aud_u.size > 0 else _hash_u(key, n_edges + i)
            if use_w:
                x = np.float32(np.float64(x) / np.float64(weights[v]))
            if x <= p32 and active[v] == 0:
                active[v] = 1
                queue[tail] = v
                tail += 1
        starts[0] = 0
        n_lv = 1
        lstart = 0
        lend = n_seeds
        while True:
            if lend - lstart > big:
                _sort_segment(queue, lstart, lend, mark)
            for i in range(lstart, lend):
                u = queue[i]
                lo = indptr[u]
                hi = indptr[u + 1]
                examined += hi - lo
                if per_edge:
                    for e in range(lo, hi):
                        v = indices[e]
                        if count_exposed and exposed[v] == 0:
                            exposed[v] = 1
                            exposed_list[n_exp] = v
                            n_exp += 1
                        x = uniforms[e] if use_u else _hash_u(key, e)
                        if use_w:
                            x = np.float32(np.float64(x) / np.float64(weights[v]))
                        if x <= p32 and active[v] == 0:
                            active[v] = 1
                            queue[tail] = v
                            tail += 1
                    continue
                # two passes per chunk: the trials vectorise, the rare successes branch
                while lo < hi:
                    m = min(hi - lo, _CHUNK)
                    if use_u:
                        for j in range(m):
                            fired[j] = uniforms[lo + j] <= p32
                    else:
                        for j in range(m):
                            fired[j] = _hash_bits(key, lo + j) < tp
                    for j in range(m):
                        if fired[j]:
                            v = indices[lo + j]
                            if active[v] == 0:
                                active[v] = 1
                                queue[tail] = v
                                tail += 1
                    lo += m
            if tail == lend:
                break
            starts[n_lv] = lend
            n_lv += 1
            lstart = lend
            lend = tail
        starts[n_lv] = tail
        return tail, n_lv + 1, n_exp, examined

    @_njit
    def _plain_nb(indptr, indices, seeds, key, p, active, queue, starts, mark):  # pragma: no cover
        """The common call (seeds only, hash uniforms) with its bookkeeping compiled too: one
        dispatch per cascade keeps small cascades cheap. Returns (activated, level_starts,
        edges_examined), or an empty level_starts for out-of-range seeds."""
        if not _check_nodes(seeds, indptr.size - 1):
            return queue[:0].copy(), np.zeros(0, dtype=np.int64), -1
        empty_i = np.zeros(0, dtype=np.int32)
        empty_f = np.zeros(0, dtype=np.float32)
        n_act, n_starts, _, examined = _cascade_nb(
            indptr, indices, seeds, empty_i, empty_f, key, p, empty_f, np.zeros(0, dtype=np.float64), False,
            active, queue, starts, active, empty_i, mark)
        activated = queue[:n_act].copy()
        level_starts = starts[:n_starts].astype(np.int64)
        for i in range(n_act):
            active[queue[i]] = 0
        return activated, level_starts, examined

    @_njit
    def _batch_nb(indptr, indices, offsets, flat_seeds, keys, p, count_exposed, active, queue, starts,
                  exposed, exposed_list, mark, out_active, out_exposed, out_reached, out_examined):  # pragma: no cover
        """Independent cascades, replicate r from flat_seeds[offsets[r]:offsets[r+1]] with key
        keys[r]; scratch is reset between replicates. Fills the three per-replicate outputs."""
        empty_i = np.zeros(0, dtype=np.int32)
        empty_f = np.zeros(0, dtype=np.float32)
        empty_w = np.zeros(0, dtype=np.float64)
        for r in range(keys.size):
            n_act, _, n_exp, examined = _cascade_nb(
                indptr, indices, flat_seeds[offsets[r]:offsets[r + 1]], empty_i, empty_f, keys[r], p, empty_f,
                empty_w, count_exposed, active, queue, starts, exposed, exposed_list, mark)
            seeds_unexposed = 0
            if count_exposed:
                for i in range(offsets[r], offsets[r + 1]):  # seeds count once in reached
                    s = flat_seeds[i]
                    if exposed[s] == 0:
                        seeds_unexposed += 1
                        exposed[s] = 2
                        exposed_list[n_exp] = s
                        n_exp += 1
            out_active[r] = n_act
            out_exposed[r] = n_exp - seeds_unexposed
            out_reached[r] = n_exp
            out_examined[r] = examined
            for i in range(n_act):
                active[queue[i]] = 0
            for i in range(n_exp):
                exposed[exposed_list[i]] = 0

    @_njit
    def _bucket(ps, x):  # pragma: no cover - compiled
        """Smallest k with x <= ps[k] (ps ascending, x <= ps[-1])."""
        lo = 0
        hi = ps.size - 1
        while lo < hi:
            mid = (lo + hi) >> 1
            if x <= ps[mid]:
                hi = mid
            else:
                lo = mid + 1
        return lo

    @_njit
    def _curve_nb(indptr, indices, seeds, audience, aud_u, key, ps, uniforms, weights, count_exposed,
                  level, queue, exposed, exposed_list, mark, new_active, new_exposed):  # pragma: no cover
        """Bucketed bottleneck search: node v is active at ps[k] iff min over paths of the max
        trial uniform is <= ps[k]. Each node's edges are scanned once, when it activates; a
        trial too expensive for the current level waits in the bucket of the level where it
        succeeds (a linked list per bucket).

        ``level``/``exposed`` are all-255 scratch on entry, reset by the caller via ``queue`` /
        ``exposed_list``. Returns (n_active, n_exposed, edges_examined).
        """
        n = indptr.size - 1
        n_edges = indptr[n]
        use_u = uniforms.size > 0
        use_w = weights.size > 0
        per_edge = use_w or count_exposed
        K = ps.size
        pmax = ps[K - 1]
        big = n // _SORT_DIVISOR if n >= _SORT_MIN_NODES else n + 1
        xs = np.empty(_CHUNK, dtype=np.float32)
        b_head = np.full(K, -1, dtype=np.int64)
        cap = 1024
        p_node = np.empty(cap, dtype=np.int32)
        p_next = np.empty(cap, dtype=np.int64)
        n_pend = 0
        tail = 0
        for i in range(seeds.size):
            s = seeds[i]
            if level[s] == 255:
                level[s] = 0
                queue[tail] = s
                tail += 1
        new_active[0] += tail
        n_exp = 0
        examined = audience.size
        for i in range(audience.size):
            v = audience[i]
            if count_exposed and exposed[v] == 255:
                exposed[v] = 0
                exposed_list[n_exp] = v
                n_exp += 1
                new_exposed[0] += 1
            x = aud_u[i] if aud_u.size > 0 else _hash_u(key, n_edges + i)
            if use_w:
                x = np.float32(np.float64(x) / np.float64(weights[v]))
            if x <= pmax and level[v] == 255:
                b = _bucket(ps, x)
                if n_pend == cap:
                    cap *= 2
                    t1 = np.empty(cap, dtype=np.int32)
                    t1[:n_pend] = p_node[:n_pend]
                    p_node = t1
                    t2 = np.empty(cap, dtype=np.int64)
                    t2[:n_pend] = p_next[:n_pend]
                    p_next = t2
                p_node[n_pend] = v
                p_next[n_pend] = b_head[b]
                b_head[b] = n_pend
                n_pend += 1
        head = 0
        for k in range(K):
            pk = ps[k]
            j = b_head[k]
            while j >= 0:
                v = p_node[j]
                if level[v] == 255:
                    level[v] = k
                    queue[tail] = v
                    tail += 1
                    new_active[k] += 1
                j = p_next[j]
            while head < tail:
                wave_end = tail
                if wave_end - head > big:
                    _sort_segment(queue, head, wave_end, mark)
                for i in range(head, wave_end):
                    u = queue[i]
                    lo = indptr[u]
                    hi = indptr[u + 1]
                    examined += hi - lo
                    while lo < hi:
                        m = min(hi - lo, _CHUNK)
                        if per_edge:
                            for jj in range(m):
                                v = indices[lo + jj]
                                if count_exposed and exposed[v] == 255:
                                    exposed[v] = k
                                    exposed_list[n_exp] = v
                                    n_exp += 1
                                    new_exposed[k] += 1
                                x = uniforms[lo + jj] if use_u else _hash_u(key, lo + jj)
                                if use_w:
                                    x = np.float32(np.float64(x) / np.float64(weights[v]))
                                xs[jj] = x
                        elif use_u:
                            for jj in range(m):
                                xs[jj] = uniforms[lo + jj]
                        else:
                            for jj in range(m):
                                xs[jj] = _hash_u(key, lo + jj)
                        for jj in range(m):
                            x = xs[jj]
                            if x > pmax:
                                continue
                            v = indices[lo + jj]
                            if level[v] != 255:
                                continue
                            if x <= pk:
                                level[v] = k
                                queue[tail] = v
                                tail += 1
                                new_active[k] += 1
                            else:
                                b = _bucket(ps, x)
                                if n_pend == cap:
                                    cap *= 2
                                    t1 = np.empty(cap, dtype=np.int32)
                                    t1[:n_pend] = p_node[:n_pend]
                                    p_node = t1
                                    t2 = np.empty(cap, dtype=np.int64)
                                    t2[:n_pend] = p_next[:n_pend]
                                    p_next = t2
                                p_node[n_pend] = v
                                p_next[n_pend] = b_head[b]
                                b_head[b] = n_pend
                                n_pend += 1
                        lo += m
                head = wave_end
        return tail, n_exp, examined

    @_njit
    def _reset_nb(arr, idx, n, value):  # pragma: no cover - compiled
        for i in range(n):
            arr[idx[i]] = value


# --------------------------------------------------------------------------------------------
# numpy fallback (same trials, vectorised by breadth-first level)
# --------------------------------------------------------------------------------------------
def _row_edges(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edge ids of the given rows, concatenated, and the position in ``rows`` of each."""
    lo = indptr[rows]
    lengths = indptr[rows + 1] - lo
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    return lo[owner] + (np.arange(total, dtype=np.int64) - first[owner]), owner


def _trial_keys(key: int, counters: np.ndarray, given: np.ndarray | None, targets: np.ndarray,
                weights: np.ndarray | None) -> np.ndarray:
    x = given[counters] if given is not None else hash_uniforms(key, counters)
    if weights is not None:
        with np.errstate(divide="ignore", invalid="ignore"):  # weight 0: never succeeds (inf / nan)
            x = (x.astype(np.float64) / weights[targets]).astype(np.float32)
    return x


def _audience_keys(key: int, n_edges: int, audience: np.ndarray, aud_u: np.ndarray | None,
                   weights: np.ndarray | None) -> np.ndarray:
    x = aud_u if aud_u is not None else hash_uniforms(key, n_edges + np.arange(len(audience), dtype=np.int64))
    if weights is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (x.astype(np.float64) / weights[audience]).astype(np.float32)
    return x


def _cascade_np(g: CSR, seeds, audience, aud_u, key, p32, uniforms, weights, count_exposed, active, exposed):
    """Level-synchronous frontier; same contract as :func:`_cascade_nb` but returns arrays."""
    indptr, indices = g.indptr, g.indices
    seeds = np.unique(seeds)
    active[seeds] = 1
    levels = [seeds.astype(np.int32)]
    touched_exp: list[np.ndarray] = []
    examined = len(audience)
    first = np.zeros(0, dtype=np.int32)
    if len(audience):
        if count_exposed:
            touched_exp.append(np.unique(audience))
            exposed[touched_exp[-1]] = 1
        hit = audience[_audience_keys(key, g.n_edges, audience, aud_u, weights) <= p32]
        first = np.unique(hit[active[hit] == 0]).astype(np.int32)
        active[first] = 1
    frontier = levels[0]
    pending_first = first
    while len(frontier) or len(pending_first):
        eids, _ = _row_edges(indptr, frontier.astype(np.int64))
        examined += len(eids)
        need_targets = weights is not None or count_exposed
        targets = indices[eids] if need_targets else None
        if count_exposed and len(eids):
            new = targets[exposed[targets] == 0]
            if len(new):
                new = np.unique(new)
                exposed[new] = 1
                touched_exp.append(new)
        x = _trial_keys(key, eids, uniforms, targets, weights)
        fired = x <= p32
        child = targets[fired] if targets is not None else indices[eids[fired]]
        child = child[active[child] == 0]
        nxt = np.unique(np.concatenate([pending_first, child])).astype(np.int32)
        pending_first = np.zeros(0, dtype=np.int32)
        active[nxt] = 1
        if len(nxt):
            levels.append(nxt)
        frontier = nxt
    n_exp = sum(len(t) for t in touched_exp)
    exp_nodes = np.concatenate(touched_exp) if touched_exp else np.zeros(0, dtype=np.int32)
    return levels, exp_nodes, n_exp, examined


def _curve_np(g: CSR, seeds, audience, aud_u, key, ps32, uniforms, weights, count_exposed, level, exposed):
    """Bucketed levels, vectorised: same contract as :func:`_curve_nb`."""
    indptr, indices = g.indptr, g.indices
    K = len(ps32)
    pmax = ps32[-1]
    new_active = np.zeros(K, dtype=np.int64)
    new_exposed = np.zeros(K, dtype=np.int64)
    seeds = np.unique(seeds).astype(np.int32)
    level[seeds] = 0
    new_active[0] += len(seeds)
    touched = [seeds]
    touched_exp: list[np.ndarray] = []
    examined = len(audience)
    pending: list[list[np.ndarray]] = [[] for _ in range(K)]
    if len(audience):
        if count_exposed:
            a = np.unique(audience)
            exposed[a] = 0
            new_exposed[0] += len(a)
            touched_exp.append(a)
        x = _audience_keys(key, g.n_edges, audience, aud_u, weights)
        ok = x <= pmax
        _push(pending, audience[ok], np.searchsorted(ps32, x[ok], side="left"))
    frontier = seeds
    for k in range(K):
        waiting = np.concatenate(pending[k]) if pending[k] else np.zeros(0, dtype=np.int32)
        pending[k] = []
        waiting = np.unique(waiting[level[waiting] == _NONE]).astype(np.int32)
        level[waiting] = k
        new_active[k] += len(waiting)
        touched.append(waiting)
        frontier = np.concatenate([frontier, waiting]) if k == 0 else waiting
        while len(frontier):
            eids, _ = _row_edges(indptr, frontier.astype(np.int64))
            examined += len(eids)
            targets = indices[eids]
            if count_exposed and len(eids):
                new = np.unique(targets[exposed[targets] == _NONE])
                exposed[new] = k
                new_exposed[k] += len(new)
                touched_exp.append(new)
            x = _trial_keys(key, eids, uniforms, targets, weights)
            live = (x <= pmax) & (level[targets] == _NONE)
            x, targets = x[live], targets[live]
            now = x <= ps32[k]
            later = ~now
            _push(pending, targets[later], np.searchsorted(ps32, x[later], side="left"))
            nxt = np.unique(targets[now]).astype(np.int32)
            level[nxt] = k
            new_active[k] += len(nxt)
            touched.append(nxt)
            frontier = nxt
    exp_nodes = np.concatenate(touched_exp) if touched_exp else np.zeros(0, dtype=np.int32)
    return np.concatenate(touched), exp_nodes, new_active, new_exposed, examined


def _push(pending: list[list[np.ndarray]], nodes: np.ndarray, buckets: np.ndarray) -> None:
    if len(nodes) == 0:
        return
    order = np.argsort(buckets, kind="stable")
    nodes, buckets = nodes[order], buckets[order]
    cuts = np.flatnonzero(np.diff(buckets)) + 1
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(nodes)]):
        pending[int(buckets[lo])].append(nodes[lo:hi])


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
@dataclass(eq=False)
class Cascader:
    """IC runs on one graph, with scratch arrays reused across calls (reset only where touched).

    Not thread-safe: use one Cascader per thread. Scratch costs ~11 bytes per node.

    >>> from simulator.graphs import csr_from_edges
    >>> c = Cascader(csr_from_edges(3, np.array([0, 0]), np.array([1, 2])))
    >>> c.run([0], 1.0, rng=1, count_exposed=True).n_exposed
    2
    """

    graph: CSR
    backend: str = "auto"
    _scratch: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.backend = resolve_backend(self.backend)
        g = self.graph
        if g.indptr.dtype != np.int64 or g.indices.dtype != np.int32:
            self.graph = CSR(np.ascontiguousarray(g.indptr, dtype=np.int64),
                             np.ascontiguousarray(g.indices, dtype=np.int32))
        self._n = self.graph.n_rows
        self._key = np.zeros(1, dtype=np.uint64)  # a uint64 numpy scalar costs ~1 us to create
        self._plain: tuple[np.ndarray, ...] | None = None  # scratch of the fast path, once allocated

    # Scratch is allocated on first use; the kernels leave it dirty only at the nodes they
    # list (queue / exposed list) and the callers reset exactly those: O(cascade) per call.
    def _get(self, name: str, dtype: Any, fill: int) -> np.ndarray:
        arr = self._scratch.get(name)
        if arr is None:
            arr = np.full(self._n + 1, fill, dtype=dtype)
            self._scratch[name] = arr
        return arr

    def _reset(self, arr: np.ndarray, idx: np.ndarray, n: int, value: int) -> None:
        if self.backend == "numba":
            _reset_nb(arr, idx, n, value)
        else:
            arr[idx[:n]] = value

    def _inputs(self, seeds, audience, edge_uniforms, audience_uniforms, node_weights, rng, key=None):
        g, n = self.graph, self._n
        check = self.backend == "numpy"  # the numba kernels check node ranges themselves
        seeds = _nodes(seeds, n, "seeds", check)
        audience = _nodes(audience, n, "audience", check)
        if edge_uniforms is not None:
            edge_uniforms = np.ascontiguousarray(edge_uniforms, dtype=np.float32)
            if edge_uniforms.shape != (g.n_edges,):
                raise ValueError(f"edge_uniforms needs one value per edge ({g.n_edges}), got {edge_uniforms.shape}")
        if audience_uniforms is not None:
            audience_uniforms = np.ascontiguousarray(audience_uniforms, dtype=np.float32)
            if audience_uniforms.shape != audience.shape:
                raise ValueError("audience_uniforms needs one value per audience member")
        if node_weights is not None:
            node_weights = np.ascontiguousarray(node_weights)
            if node_weights.shape != (n,) or node_weights.dtype.kind != "f":
                raise ValueError(f"node_weights needs one float per node ({n})")
            node_weights = node_weights.astype(np.float64, copy=False)
            if not (node_weights >= 0).all():
                raise ValueError("node_weights must be >= 0")
        need_key = edge_uniforms is None or (len(audience) and audience_uniforms is None)
        if key is None:
            key = stream_key(rng) if need_key else 0
        return seeds, audience, edge_uniforms, audience_uniforms, node_weights, key

    def run(self, seeds: Any, p: float, *, audience: Any = None, rng: np.random.Generator | int | None = None,
            edge_uniforms: np.ndarray | None = None, audience_uniforms: np.ndarray | None = None,
            node_weights: np.ndarray | None = None, count_exposed: bool = False) -> CascadeResult:
        """One cascade at transmissibility ``p`` (see the module docstring for the semantics).

        Args:
            seeds: node ids active from the start (may be empty).
            p: probability that one delivery makes its (inactive) recipient repost, in [0, 1].
            audience: node ids exposed at the start by an outside account (each reposts with p).
            rng: Generator / int seed / None for the hash uniforms (ignored where uniforms are
                given); see :func:`stream_key`.
            edge_uniforms: one uniform in (0, 1] per edge (float32), shared e.g. with cynetdiff.
            audience_uniforms: one uniform per audience entry.
            node_weights: per-node multiplier of p (a delivery to v succeeds iff U / w_v <= p).
            count_exposed: also count exposed / reached nodes (touches every out-edge of every
                active node: ~1.5x slower for large cascades).
        """
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        if (self.backend == "numba" and audience is None and edge_uniforms is None and node_weights is None
                and not count_exposed):
            # fast path: small cascades cost ~1 us, so the Python around them must stay thin
            seeds = _nodes(seeds, self._n, "seeds", False)
            self._key[0] = stream_key(rng)
            if self._plain is None:
                self._plain = (self._get("active", np.uint8, 0), self._get("queue", np.int32, 0),
                               self._get("starts", np.int32, 0), self._get("mark", np.uint8, 0))
            active, queue, starts, mark = self._plain
            activated, level_starts, examined = _plain_nb(self.graph.indptr, self.graph.indices, seeds,
                                                          self._key[0], float(p), active, queue, starts, mark)
            if examined < 0:
                raise ValueError(f"seeds must be node ids in [0, {self._n - 1}]")
            return CascadeResult(activated, level_starts, None, None, examined)
        return self._run(seeds, p, audience, rng, edge_uniforms, audience_uniforms, node_weights, count_exposed)

    def _run(self, seeds, p, audience, rng, edge_uniforms, audience_uniforms, node_weights, count_exposed,
             key=None) -> CascadeResult:
        seeds, audience, eu, au, w, key = self._inputs(seeds, audience, edge_uniforms, audience_uniforms,
                                                       node_weights, rng, key)
        g = self.graph
        active = self._get("active", np.uint8, 0)
        exposed = self._get("exposed", np.uint8, 0)
        if self.backend == "numba":
            queue = self._get("queue", np.int32, 0)
            starts = self._get("starts", np.int32, 0)
            exp_list = self._get("exposed_list", np.int32, 0)
            mark = self._get("mark", np.uint8, 0)
            if not (_check_nodes(seeds, self._n) and _check_nodes(audience, self._n)):
                raise ValueError(f"seeds and audience must be node ids in [0, {self._n - 1}]")
            self._key[0] = key
            n_act, n_starts, n_exp, examined = _cascade_nb(
                g.indptr, g.indices, seeds, audience, _EMPTY_F32 if au is None else au, self._key[0], float(p),
                _EMPTY_F32 if eu is None else eu, _EMPTY_F64 if w is None else w, count_exposed, active, queue,
                starts, exposed, exp_list, mark)
            activated = queue[:n_act].copy()
            level_starts = starts[:n_starts].astype(np.int64)
            seed_exposed = int(exposed[np.unique(seeds)].sum()) if count_exposed else 0
            _reset_nb(active, queue, n_act, 0)
            if n_exp:
                _reset_nb(exposed, exp_list, n_exp, 0)
        else:
            levels, exp_nodes, n_exp, examined = _cascade_np(g, seeds, audience, au, key, np.float32(p), eu, w,
                                                             count_exposed, active, exposed)
            activated = np.concatenate(levels).astype(np.int32)
            level_starts = np.concatenate([[0], np.cumsum([len(x) for x in levels])]).astype(np.int64)
            seed_exposed = int(exposed[np.unique(seeds)].sum()) if count_exposed else 0
            active[activated] = 0
            exposed[exp_nodes] = 0
        if count_exposed:
            n_reached = n_exp + len(np.unique(seeds)) - seed_exposed
            return CascadeResult(activated, level_starts, int(n_exp), int(n_reached), int(examined))
        return CascadeResult(activated, level_starts, None, None, int(examined))

    def run_many(self, seed_sets: Any, p: float, *, rng: np.random.Generator | int | None = None,
                 count_exposed: bool = False) -> BatchResult:
        """Independent cascades in one call (one per seed set), as :meth:`run` would give them.

        With a Generator ``rng``, replicate r equals the r-th of successive ``run(seed_sets[r],
        p, rng=rng)`` calls; an int seed stands for ``np.random.default_rng(seed)``. Per-call
        overhead is paid once, which matters for small cascades (~1 us each at p = 0.01).

        Args:
            seed_sets: a 2-D int array (one row of seeds per replicate) or a list of 1-D arrays.
        """
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        if isinstance(seed_sets, np.ndarray) and seed_sets.ndim == 2:
            rows = list(seed_sets)
        else:
            rows = [np.atleast_1d(np.asarray(s)) for s in seed_sets]
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        flat = _nodes(np.concatenate(rows) if len(rows) else _EMPTY_I32, self._n, "seeds", True)
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        R = len(rows)
        if isinstance(gen.bit_generator, _RAW64):  # the same draws as R successive stream_key(gen)
            keys = np.asarray(gen.bit_generator.random_raw(R), dtype=np.uint64).reshape(R)
        else:
            keys = np.array([stream_key(gen) for _ in range(R)], dtype=np.uint64)
        out = [np.zeros(R, dtype=np.int64) for _ in range(4)]
        if self.backend == "numba":
            _batch_nb(self.graph.indptr, self.graph.indices, offsets, flat, keys, float(p), count_exposed,
                      self._get("active", np.uint8, 0), self._get("queue", np.int32, 0),
                      self._get("starts", np.int32, 0), self._get("exposed", np.uint8, 0),
                      self._get("exposed_list", np.int32, 0), self._get("mark", np.uint8, 0), *out)
        else:
            for r in range(R):
                res = self._run(flat[offsets[r]:offsets[r + 1]], p, None, None, None, None, None, count_exposed,
                                key=int(keys[r]))
                out[0][r], out[3][r] = res.n_activated, res.edges_examined
                if count_exposed:
                    out[1][r], out[2][r] = res.n_exposed, res.n_reached
        return BatchResult(out[0], out[1] if count_exposed else None, out[2] if count_exposed else None, out[3])

    def curve(self, seeds: Any, ps: Any, *, audience: Any = None, rng: np.random.Generator | int | None = None,
              edge_uniforms: np.ndarray | None = None, audience_uniforms: np.ndarray | None = None,
              node_weights: np.ndarray | None = None, count_exposed: bool = True) -> ReachCurve:
        """Final sizes at every p of ``ps`` from one pass over the graph (arguments as :meth:`run`).

        Equal to calling :meth:`run` at each p with the same ``rng`` seed / uniforms, at roughly
        the cost of the single run at ``max(ps)``. At most 254 distinct p (as float32).
        """
        ps = np.asarray(ps, dtype=np.float64)
        if ps.ndim != 1 or len(ps) == 0:
            raise ValueError("ps must be a non-empty 1-D sequence")
        if not ((ps >= 0) & (ps <= 1)).all():
            raise ValueError("every p must be in [0, 1]")
        grid, inverse = np.unique(ps.astype(np.float32), return_inverse=True)  # ascending float32 levels
        if len(grid) > MAX_CURVE_POINTS:
            raise ValueError(f"at most {MAX_CURVE_POINTS} distinct p values per curve")
        seeds, audience, eu, au, w, key = self._inputs(seeds, audience, edge_uniforms, audience_uniforms,
                                                       node_weights, rng)
        g = self.graph
        level = self._get("level", np.uint8, _NONE)
        exposed = self._get("exposed_level", np.uint8, _NONE)
        if self.backend == "numba":
            queue = self._get("queue", np.int32, 0)
            exp_list = self._get("exposed_list", np.int32, 0)
            mark = self._get("mark", np.uint8, 0)
            if not (_check_nodes(seeds, self._n) and _check_nodes(audience, self._n)):
                raise ValueError(f"seeds and audience must be node ids in [0, {self._n - 1}]")
            new_active = np.zeros(len(grid), dtype=np.int64)
            new_exposed = np.zeros(len(grid), dtype=np.int64)
            self._key[0] = key
            n_act, n_exp, examined = _curve_nb(
                g.indptr, g.indices, seeds, audience, _EMPTY_F32 if au is None else au, self._key[0], grid,
                _EMPTY_F32 if eu is None else eu, _EMPTY_F64 if w is None else w, count_exposed, level, queue,
                exposed, exp_list, mark, new_active, new_exposed)
            seed_levels = exposed[np.unique(seeds)].copy()
            _reset_nb(level, queue, n_act, _NONE)
            _reset_nb(exposed, exp_list, n_exp, _NONE)
        else:
            act_nodes, exp_nodes, new_active, new_exposed, examined = _curve_np(
                g, seeds, audience, au, key, grid, eu, w, count_exposed, level, exposed)
            seed_levels = exposed[np.unique(seeds)].copy()
            level[act_nodes] = _NONE
            exposed[exp_nodes] = _NONE
        activated = np.cumsum(new_active)[inverse]
        if not count_exposed:
            return ReachCurve(ps, activated, None, None, int(examined))
        exposed_c = np.cumsum(new_exposed)
        # reached = exposed + seeds not (yet) exposed at that level
        unexposed_seeds = (seed_levels[None, :] > np.arange(len(grid))[:, None]).sum(axis=1)
        reached = exposed_c + unexposed_seeds
        return ReachCurve(ps, activated, exposed_c[inverse], reached[inverse], int(examined))


_EMPTY_F32 = np.zeros(0, dtype=np.float32)
_EMPTY_F64 = np.zeros(0, dtype=np.float64)
_EMPTY_I32 = np.zeros(0, dtype=np.int32)


def _nodes(nodes: Any, n: int, what: str, check: bool) -> np.ndarray:
    """Node ids as a contiguous int32 array (range-checked here when ``check`` or when a cast
    could wrap; the numba kernels check int32 ids themselves)."""
    if nodes is None:
        return _EMPTY_I32
    if isinstance(nodes, np.ndarray) and nodes.dtype == np.int32 and nodes.ndim == 1 and nodes.flags.c_contiguous:
        arr = nodes
    else:
        arr = np.asarray(nodes)
        if arr.size == 0:
            return _EMPTY_I32
        if arr.dtype.kind not in "iu":
            raise ValueError(f"{what} must be integer node ids")
        arr = arr.ravel()
        if arr.dtype != np.int32:
            check = True
    if check and arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"{what} must be node ids in [0, {n - 1}]")
    return np.ascontiguousarray(arr, dtype=np.int32)


_CACHE: dict[int, tuple[weakref.ref, Cascader]] = {}


def _cascader(graph: CSR, backend: str) -> Cascader:
    backend = resolve_backend(backend)
    k = id(graph)
    hit = _CACHE.get(k)
    if hit is not None and hit[0]() is graph and hit[1].backend == backend:
        return hit[1]
    for key in [key for key, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[key]
    if len(_CACHE) >= 4:  # scratch is ~11 bytes per node: keep only a few graphs
        _CACHE.pop(next(iter(_CACHE)))
    c = Cascader(graph, backend)
    _CACHE[k] = (weakref.ref(graph), c)
    return c


def independent_cascade(graph: CSR, seeds: Any, p: float, rng: np.random.Generator | int | None = None,
                        edge_uniforms: np.ndarray | None = None, backend: str = "auto", **kw: Any) -> CascadeResult:
    """One IC cascade from ``seeds`` at ``p`` (see :meth:`Cascader.run` for every argument).

    Scratch arrays are cached per graph (a few graphs at most), so repeated calls cost
    O(cascade), not O(n).
    """
    return _cascader(graph, backend).run(seeds, p, rng=rng, edge_uniforms=edge_uniforms, **kw)


def reach_curve(graph: CSR, seeds: Any, ps: Any, rng: np.random.Generator | int | None = None,
                edge_uniforms: np.ndarray | None = None, backend: str = "auto", **kw: Any) -> ReachCurve:
    """The whole reach-vs-p curve of one replicate in one pass (see :meth:`Cascader.curve`)."""
    return _cascader(graph, backend).curve(seeds, ps, rng=rng, edge_uniforms=edge_uniforms, **kw)


# --------------------------------------------------------------------------------------------
# Where the full model reduces to plain IC
# --------------------------------------------------------------------------------------------
@dataclass
class ICProblem:
    """The plain-IC problem a one-post scenario reduces to (see :func:`reduce_model`).

    A delivery to follower v succeeds with probability ``min(1, p0 * scale * s_v)`` where
    ``scale`` = item appeal x variation multiplier and ``s_v`` the suitability s(i, c); the
    model's reach is the IC *exposed* count from ``audience``, its follower reposts the
    *activated* count (no seeds).
    """

    graph: CSR
    audience: np.ndarray  # the posting account's followers (int32)
    scale: float
    suitability: np.ndarray | None  # s(i, c) per follower, None when it is 1 for everyone

    def _args(self, p0s: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        p0s = np.asarray(p0s, dtype=np.float64)
        if self.suitability is None:  # min(1, p0 scale) is exact without weights
            return np.minimum(p0s * self.scale, 1.0), None
        return p0s, self.suitability * self.scale  # u / (scale s) <= p0  <=>  u <= p0 scale s

    def curve(self, p0s: Any, rng: np.random.Generator | int | None = None, backend: str = "auto") -> ReachCurve:
        """Reach (``exposed``) and reposts (``activated``) at every p0, one pass, same uniforms."""
        ps, w = self._args(np.atleast_1d(p0s))
        out = reach_curve(self.graph, [], ps, rng=rng, backend=backend, audience=self.audience, node_weights=w)
        out.ps = np.asarray(p0s, dtype=np.float64)
        return out

    def run(self, p0: float, rng: np.random.Generator | int | None = None, backend: str = "auto") -> CascadeResult:
        """One cascade at base repost probability ``p0`` (exposures counted)."""
        ps, w = self._args(np.array([p0]))
        return independent_cascade(self.graph, [], float(ps[0]), rng=rng, backend=backend, audience=self.audience,
                                   node_weights=w, count_exposed=True)


def reduction_problems(model: Any) -> list[str]:
    """Why a built :class:`~simulator.model.PropagationModel` does not reduce to plain IC
    (empty list: it does)."""
    sc = model.config
    problems = []
    if sc.fatigue.enabled:
        problems.append("fatigue is on (fatigue.enabled: false)")
    if sc.fatigue.churn_per_day > 0:
        problems.append("baseline churn is on (fatigue.churn_per_day: 0)")
    if sc.behaviour.alpha != 0 or sc.behaviour.beta != 0:
        problems.append("the exposure response r(x) is not constant (behaviour.alpha: 0, behaviour.beta: 0)")
    if len(model.matrix.items) != 1:
        problems.append(f"the campaign has {len(model.matrix.items)} posts (the reduction covers one)")
    elif model.matrix.out_edges(model.matrix.items[0].account):
        problems.append("the posting account has relay edges (relay decisions are not IC trials)")
    return problems


def reduce_model(model: Any) -> ICProblem:
    """The plain-IC problem of a one-post scenario with fatigue, churn and the exposure response
    off: final (horizon -> infinity) reach and reposts, the whole p0 curve in one pass.

    Raises ValueError listing what prevents the reduction. Latency only delays deliveries, so
    the model agrees when its horizon is long enough for the cascade to finish.
    """
    problems = reduction_problems(model)
    if problems:
        raise ValueError("the model does not reduce to plain independent cascade: " + "; ".join(problems))
    from .kernel import suitability

    item = model.items[0]
    account = model.matrix.items[0].account
    world = model.world
    audience = world.audience.indices[world.audience.indptr[account]:world.audience.indptr[account + 1]]
    s = None
    if item.topic >= 0 or item.scope >= 0:
        s = suitability(np.arange(world.n), item, world.interest, world.region, model.beh.s_off).astype(np.float64)
    return ICProblem(world.graph, np.ascontiguousarray(audience, dtype=np.int32), float(item.appeal), s)
