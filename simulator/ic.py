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

Backends: ``"numba"`` (compiled queue, the default when numba imports) and ``"numpy"`` (pure
vectorised fallback, no compiler). ``backend="auto"`` picks numba unless the environment
variable ``PROPSIM_BACKEND=numpy`` forces the fallback.

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

try:  # numba is optional (the "fast" extra): everything has a numpy twin
    import numba as _numba
except ImportError:  # pragma: no cover - exercised by the PROPSIM_BACKEND=numpy runs instead
    _numba = None

__all__ = ["CascadeResult", "Cascader", "ReachCurve", "available_backends", "edge_uniforms",
           "hash_uniforms", "independent_cascade", "reach_curve", "resolve_backend", "stream_key"]

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
def available_backends() -> list[str]:
    """Backends usable in this environment, fastest first."""
    return (["numba"] if _numba is not None else []) + ["numpy"]


def resolve_backend(backend: str = "auto") -> str:
    """``"auto"`` -> ``$PROPSIM_BACKEND`` if set, else numba when importable, else numpy."""
    if backend == "auto":
        backend = os.environ.get("PROPSIM_BACKEND", "").strip().lower() or "auto"
        if backend == "auto":
            return "numba" if _numba is not None else "numpy"
    if backend not in ("numba", "numpy"):
        raise ValueError(f"unknown backend {backend!r}; choose 'auto', 'numba' or 'numpy'")
    if backend == "numba" and _numba is None:
        raise ImportError("backend 'numba' needs numba (pip install 'propsim[fast]')")
    return backend


def stream_key(rng: np.random.Generator | int | None) -> int:
    """A 64-bit stream key for the hash uniforms, drawn from ``rng`` (a Generator is advanced;
    an int is a seed, so equal ints give equal cascades; None draws fresh entropy)."""
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    return int(gen.integers(0, 2**64, dtype=np.uint64))


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
if _numba is not None:
    _njit = _numba.njit(cache=True, nogil=True)

    @_numba.njit(cache=True, inline="always")
    def _hash_u(key, c):  # pragma: no cover - compiled
        z = key + (np.uint64(c) + np.uint64(1)) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
        z = z ^ (z >> np.uint64(31))
        return np.float32((z >> np.uint64(40)) + np.uint64(1)) * _U24

    @_njit
    def _cascade_nb(indptr, indices, seeds, audience, aud_u, key, p, uniforms, weights, count_exposed,
                    active, queue, starts, exposed, exposed_list):  # pragma: no cover - compiled
        """Breadth-first queue; returns (n_active, n_levels + 1, n_exposed, edges_examined).

        ``active``/``exposed`` are all-zero scratch on entry and are left dirty: the caller
        resets them through ``queue`` / ``exposed_list`` (only where touched).
        """
        n_edges = indptr[-1]
        use_u = uniforms.size > 0
        use_w = weights.size > 0
        tail = 0
        for i in range(seeds.size):
            s = seeds[i]
            if active[s] == 0:
                active[s] = 1
                queue[tail] = s
                tail += 1
        level_end = tail
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
            if x <= p and active[v] == 0:
                active[v] = 1
                queue[tail] = v
                tail += 1
        starts[0] = 0
        n_lv = 1
        head = 0
        while True:
            if head == level_end:
                if head == tail:
                    break
                starts[n_lv] = head
                n_lv += 1
                level_end = tail
            u = queue[head]
            head += 1
            lo = indptr[u]
            hi = indptr[u + 1]
            examined += hi - lo
            for e in range(lo, hi):
                x = uniforms[e] if use_u else _hash_u(key, e)
                if use_w or count_exposed:
                    v = indices[e]
                    if count_exposed and exposed[v] == 0:
                        exposed[v] = 1
                        exposed_list[n_exp] = v
                        n_exp += 1
                    if use_w:
                        x = np.float32(np.float64(x) / np.float64(weights[v]))
                    if x <= p and active[v] == 0:
                        active[v] = 1
                        queue[tail] = v
                        tail += 1
                elif x <= p:
                    v = indices[e]
                    if active[v] == 0:
                        active[v] = 1
                        queue[tail] = v
                        tail += 1
        starts[n_lv] = tail
        return tail, n_lv + 1, n_exp, examined

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
                  level, queue, exposed, exposed_list, new_active, new_exposed):  # pragma: no cover
        """Bucketed bottleneck search: node v is active at ps[k] iff min over paths of the max
        edge key is <= ps[k]. Each node's edges are scanned once, when it activates; edges too
        expensive for the current level wait in the bucket of the level where they fire.

        ``level``/``exposed`` are all-255 scratch on entry, reset by the caller via ``queue`` /
        ``exposed_list``. Returns (n_active, n_exposed, edges_examined).
        """
        n_edges = indptr[-1]
        use_u = uniforms.size > 0
        use_w = weights.size > 0
        K = ps.size
        pmax = ps[K - 1]
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
                u = queue[head]
                head += 1
                lo = indptr[u]
                hi = indptr[u + 1]
                examined += hi - lo
                for e in range(lo, hi):
                    x = uniforms[e] if use_u else _hash_u(key, e)
                    if use_w or count_exposed:
                        v = indices[e]
                        if count_exposed and exposed[v] == 255:
                            exposed[v] = k
                            exposed_list[n_exp] = v
                            n_exp += 1
                            new_exposed[k] += 1
                        if use_w:
                            x = np.float32(np.float64(x) / np.float64(weights[v]))
                    if x > pmax:
                        continue
                    v = indices[e]
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
        x = (x.astype(np.float64) / weights[targets].astype(np.float64)).astype(np.float32)
    return x


def _audience_keys(key: int, n_edges: int, audience: np.ndarray, aud_u: np.ndarray | None,
                   weights: np.ndarray | None) -> np.ndarray:
    x = aud_u if aud_u is not None else hash_uniforms(key, n_edges + np.arange(len(audience), dtype=np.int64))
    if weights is not None:
        x = (x.astype(np.float64) / weights[audience].astype(np.float64)).astype(np.float32)
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

    Not thread-safe: use one Cascader per thread. Scratch costs ~10 bytes per node.

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

    # scratch: allocated on first use; kernels leave them dirty only where listed, and
    # the callers below reset exactly those entries (O(cascade), not O(n), per call).
    def _get(self, name: str, dtype: Any, fill: int) -> np.ndarray:
        arr = self._scratch.get(name)
        if arr is None:
            arr = np.full(self.graph.n_rows + 1, fill, dtype=dtype)
            self._scratch[name] = arr
        return arr

    def _reset(self, arr: np.ndarray, idx: np.ndarray, n: int, value: int) -> None:
        if self.backend == "numba":
            _reset_nb(arr, idx, n, value)
        else:
            arr[idx[:n]] = value

    def _inputs(self, seeds, audience, edge_uniforms, audience_uniforms, node_weights, rng):
        g = self.graph
        n = g.n_rows
        seeds = _nodes(seeds, n, "seeds")
        audience = _nodes(audience, n, "audience")
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
            if (node_weights < 0).any():
                raise ValueError("node_weights must be >= 0")
        need_key = edge_uniforms is None or (len(audience) and audience_uniforms is None)
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
            rng: Generator / int seed / None for the hash uniforms (ignored where uniforms are given).
            edge_uniforms: one uniform in (0, 1] per edge (float32), shared e.g. with cynetdiff.
            audience_uniforms: one uniform per audience entry.
            node_weights: per-node multiplier of p (a delivery to v succeeds iff U / w_v <= p).
            count_exposed: also count exposed / reached nodes (touches every out-edge of every
                active node: slower for large cascades).
        """
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        seeds, audience, eu, au, w, key = self._inputs(seeds, audience, edge_uniforms, audience_uniforms,
                                                       node_weights, rng)
        g, p32 = self.graph, np.float32(p)
        active = self._get("active", np.uint8, 0)
        exposed = self._get("exposed", np.uint8, 0)
        if self.backend == "numba":
            queue = self._get("queue", np.int32, 0)
            starts = self._get("starts", np.int32, 0)
            exp_list = self._get("exposed_list", np.int32, 0)
            n_act, n_starts, n_exp, examined = _cascade_nb(
                g.indptr, g.indices, seeds, audience, _or_empty(au, np.float32), np.uint64(key), p32,
                _or_empty(eu, np.float32), _or_empty(w, np.float64), count_exposed, active, queue, starts,
                exposed, exp_list)
            activated = queue[:n_act].copy()
            level_starts = starts[:n_starts].astype(np.int64)
            seed_exposed = int(exposed[np.unique(seeds)].sum()) if count_exposed else 0
            self._reset(active, queue, n_act, 0)
            self._reset(exposed, exp_list, n_exp, 0)
        else:
            levels, exp_nodes, n_exp, examined = _cascade_np(g, seeds, audience, au, key, p32, eu, w,
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

    def curve(self, seeds: Any, ps: Any, *, audience: Any = None, rng: np.random.Generator | int | None = None,
              edge_uniforms: np.ndarray | None = None, audience_uniforms: np.ndarray | None = None,
              node_weights: np.ndarray | None = None, count_exposed: bool = True) -> ReachCurve:
        """Final sizes at every p of ``ps`` from one pass over the graph (arguments as :meth:`run`).

        Equal to calling :meth:`run` at each p with the same ``rng`` seed / uniforms, at roughly
        the cost of the single run at ``max(ps)``.
        """
        ps = np.asarray(ps, dtype=np.float64)
        if ps.ndim != 1 or len(ps) == 0:
            raise ValueError("ps must be a non-empty 1-D sequence")
        if ((ps < 0) | (ps > 1)).any():
            raise ValueError("every p must be in [0, 1]")
        ps32 = ps.astype(np.float32)
        grid, inverse = np.unique(ps32, return_inverse=True)  # ascending distinct float32 levels
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
            new_active = np.zeros(len(grid), dtype=np.int64)
            new_exposed = np.zeros(len(grid), dtype=np.int64)
            n_act, n_exp, examined = _curve_nb(
                g.indptr, g.indices, seeds, audience, _or_empty(au, np.float32), np.uint64(key), grid,
                _or_empty(eu, np.float32), _or_empty(w, np.float64), count_exposed, level, queue,
                exposed, exp_list, new_active, new_exposed)
            seed_levels = exposed[np.unique(seeds)].copy() if count_exposed else None
            self._reset(level, queue, n_act, _NONE)
            self._reset(exposed, exp_list, n_exp, _NONE)
        else:
            act_nodes, exp_nodes, new_active, new_exposed, examined = _curve_np(
                g, seeds, audience, au, key, grid, eu, w, count_exposed, level, exposed)
            seed_levels = exposed[np.unique(seeds)].copy() if count_exposed else None
            level[act_nodes] = _NONE
            exposed[exp_nodes] = _NONE
        activated = np.cumsum(new_active)[inverse]
        if not count_exposed:
            return ReachCurve(ps, activated, None, None, int(examined))
        exposed_c = np.cumsum(new_exposed)
        # seeds are reached from level 0; those exposed at level j were already counted from j on
        unexposed_seeds = np.array([(seed_levels > k).sum() for k in range(len(grid))], dtype=np.int64)
        reached = exposed_c + unexposed_seeds
        return ReachCurve(ps, activated, exposed_c[inverse], reached[inverse], int(examined))


def _or_empty(arr: np.ndarray | None, dtype: Any) -> np.ndarray:
    return arr if arr is not None else np.zeros(0, dtype=dtype)


def _nodes(nodes: Any, n: int, what: str) -> np.ndarray:
    arr = np.zeros(0, dtype=np.int32) if nodes is None else np.asarray(nodes)
    arr = np.atleast_1d(arr)
    if arr.size and arr.dtype.kind not in "iu":
        raise ValueError(f"{what} must be integer node ids")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"{what} must be node ids in [0, {n - 1}]")
    return np.ascontiguousarray(arr, dtype=np.int32).ravel()


_CACHE: dict[int, tuple[weakref.ref, Cascader]] = {}


def _cascader(graph: CSR, backend: str) -> Cascader:
    backend = resolve_backend(backend)
    k = id(graph)
    hit = _CACHE.get(k)
    if hit is not None and hit[0]() is graph and hit[1].backend == backend:
        return hit[1]
    for key in [key for key, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[key]
    if len(_CACHE) >= 4:  # scratch is ~10 bytes per node: keep only a few graphs
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
