"""Plain independent cascade (IC) on a follower CSR, and the whole reach-vs-p curve in one pass.

This is what the full model reduces to with fatigue and time dynamics off (alpha = beta = 0, no
exit, horizon long enough): every delivery ``u -> v`` is one independent trial that makes ``v``
repost with probability ``p`` (times an optional per-follower weight, e.g. the suitability
s(i, c) of docs/model.md#suitability).

Semantics (one cascade):

* ``seeds`` are active from the start (depth 0), like the seed nodes of cynetdiff or NDlib.
* ``audience`` (optional) are the followers of an outside account that posts once: each of them
  is *exposed* at the start and reposts (activates, depth 1) with probability ``p``, exactly like
  the followers of a matrix account in :mod:`simulator.engine.model`.
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
At 1M nodes the compiled kernel is limited by memory latency, so it prefetches the rows and
targets it is about to read (see :mod:`simulator.ic.kernels_numba`); scratch arrays are reused
and reset only where touched.

>>> from simulator.world.graphs import csr_from_edges
>>> g = csr_from_edges(4, np.array([0, 1, 2]), np.array([1, 2, 3]))  # a path 0 -> 1 -> 2 -> 3
>>> independent_cascade(g, [0], 1.0, rng=0).n_activated
4
>>> reach_curve(g, [0], [0.0, 1.0], rng=0).activated.tolist()
[1, 4]
"""

from __future__ import annotations

import ctypes
import sys
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulator.backend import _numba, resolve_backend
from simulator.ic import kernels_numpy as K_np
from simulator.ic.results import BatchResult, CascadeResult, ReachCurve, _LazyResult
from simulator.seeding import RAW64_BITGENS, hash_uniforms, stream_key

if _numba is not None:
    from simulator.ic import kernels_numba as K_nb
from simulator.world.graphs import CSR

_NONE = 255  # "not (yet) active / exposed" in the uint8 level arrays of the reach curve
MAX_CURVE_POINTS = 254  # distinct p values one curve pass handles (levels fit a uint8 with 255 = none)


def edge_uniforms(graph: CSR, rng: np.random.Generator | int | None = None) -> np.ndarray:
    """One float32 uniform in (0, 1] per edge (materialised; 4 bytes per edge).

    Passing the result as ``edge_uniforms=`` gives the same cascades as passing ``rng`` would
    (when both come from the same seed); materialise them to share with another library.
    """
    return hash_uniforms(stream_key(rng), np.arange(graph.n_edges, dtype=np.int64))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
_U63 = 1 << 63
_U64 = 1 << 64
_NOTHING = object()  # matches no rng argument
_new_result = object.__new__
# CPython before 3.14 counts every reference, so a lazy result nobody else holds has a known
# count and need not be copied out (see Cascader._settle); elsewhere weak references track it
# (~0.4 us more per call: clearing a weak reference when its object dies is not free).
_EXACT_REFCOUNTS = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _signed(key: int) -> int:
    """A 64-bit stream key as the signed int64 with the same bits: the numba kernels take one
    int64 key type (one compiled signature; a Python int is also far cheaper to pass than a
    numpy uint64 scalar, ~0.05 vs ~1 us per call)."""
    return key - _U64 if key >= _U63 else key


@dataclass(eq=False)
class Cascader:
    """IC runs on one graph, with scratch arrays reused across calls (reset only where touched).

    Not thread-safe: use one Cascader per thread. Scratch costs ~9 bytes per node for plain
    runs, ~11 with exposures / curves.

    >>> from simulator.world.graphs import csr_from_edges
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
            self.graph = CSR(
                np.ascontiguousarray(g.indptr, dtype=np.int64), np.ascontiguousarray(g.indices, dtype=np.int32)
            )
        self._n = self.graph.n_rows
        self._fast = self.backend == "numba"
        # The fast path alternates between two result buffers (queue + level starts): in the usual
        # loop ``res = c.run(...)`` the previous result is still alive while the next call runs,
        # and with one buffer it would have to be copied out every time.
        self._plain: tuple[np.ndarray, ...] | None = None  # contexts + scratch of the fast path, once allocated
        self._held: list[Any] = [None, None]  # the lazy result of each buffer (or a weak reference to it)
        self._slot = 0
        self._gen: Any = _NOTHING  # the Generator whose C interface the fast path's contexts hold

    # Scratch is allocated on first use; the kernels leave it dirty only at the nodes they
    # list (queue / exposed list) and the callers reset exactly those: O(cascade) per call.
    def _get(self, name: str, dtype: Any, fill: int) -> np.ndarray:
        arr = self._scratch.get(name)
        if arr is None:
            size = K_nb.FIRED_BLOCK + 256 if name == "fired" else self._n + 1
            arr = np.full(size, fill, dtype=dtype)
            self._scratch[name] = arr
        return arr

    def _settle(self, slot: int | None = None) -> None:
        """Copy lazy results' node lists out of the scratch before it is reused (one buffer, or
        both when ``slot`` is None), unless nothing else references the result any more."""
        for k in (0, 1) if slot is None else (slot,):
            held = self._held[k]
            if held is None:
                continue
            if _EXACT_REFCOUNTS:
                if sys.getrefcount(held) > 3:  # the list, this local, the argument; more = in use
                    held._materialize()
            elif (res := held()) is not None:
                res._materialize()
            self._held[k] = None

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

    def run(
        self,
        seeds: Any,
        p: float,
        *,
        audience: Any = None,
        rng: np.random.Generator | int | None = None,
        edge_uniforms: np.ndarray | None = None,
        audience_uniforms: np.ndarray | None = None,
        node_weights: np.ndarray | None = None,
        count_exposed: bool = False,
    ) -> CascadeResult:
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
        if (
            self._fast
            and audience is None
            and edge_uniforms is None
            and node_weights is None
            and audience_uniforms is None
            and not count_exposed
        ):
            return self._run_plain(seeds, p, rng)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be in [0, 1], got {p}")
        return self._run(seeds, p, audience, rng, edge_uniforms, audience_uniforms, node_weights, count_exposed)

    def _run_plain(self, seeds: Any, p: float, rng: np.random.Generator | int | None) -> CascadeResult:
        """The common call (numba, seeds only, hash uniforms).

        A tiny cascade costs ~2 us of compiled work at 1M nodes (mostly cache misses), so the
        Python around it is kept to ~1 us: no copy of contiguous int32 seeds, the key drawn
        without the general dispatch of :func:`stream_key`, one kernel call with two array
        arguments and scalar results, and a lazy result in one of two alternating buffers
        (see :class:`CascadeResult`).
        """
        if not (type(seeds) is np.ndarray and seeds.dtype is _I32 and seeds.strides == (4,)):
            seeds = _nodes(seeds, self._n, "seeds", False)  # contiguous int32: one compiled signature
        slot = self._slot = self._slot ^ 1
        old = self._held[slot]  # _settle(slot), inlined where it has nothing to do
        if old is not None and (not _EXACT_REFCOUNTS or sys.getrefcount(old) > 3):
            del old
            self._settle(slot)
        plain = self._plain
        if plain is None:
            plain = self._plain = self._plain_context()
        if rng is self._gen or self._adopt(rng):  # the kernel draws the key from the Generator
            n_act, n_starts, examined = K_nb.plain_draw_nb(plain[slot], seeds, float(p))
        else:
            key = stream_key(rng)
            if key >= _U63:
                key -= _U64  # the same 64 bits as a signed int64 (see _signed)
            n_act, n_starts, examined = K_nb.plain_nb(plain[slot], seeds, key, float(p))
        if examined < 0:
            if examined == -2:
                raise ValueError(f"p must be in [0, 1], got {p}")
            raise ValueError(f"seeds must be node ids in [0, {self._n - 1}]")
        res = _new_result(_LazyResult)  # _LazyResult.__init__ inlined: a Python frame less
        res._src = (plain[2 + 2 * slot], plain[3 + 2 * slot], n_starts)
        res.n_activated = n_act
        res.edges_examined = examined
        self._held[slot] = res if _EXACT_REFCOUNTS else weakref.ref(res)
        return res

    def _adopt(self, rng: Any) -> bool:
        """Let the fast path draw keys from ``rng`` itself, if it is a Generator whose raw draw
        is its stream key (see :func:`stream_key`): its C ``next_uint64`` and state addresses
        go into both contexts, and holding ``rng`` here keeps them valid. A Python-level draw
        (``random_raw``, which also takes the generator's lock) costs ~0.4 us more per call; a
        Generator shared between threads needs its own lock around calls anyway."""
        if not (type(rng) is np.random.Generator and isinstance(rng.bit_generator, RAW64_BITGENS)):
            return False
        iface = rng.bit_generator.ctypes
        fn = ctypes.cast(iface.next_uint64, ctypes.c_void_p).value
        assert self._plain is not None and fn
        for ctx in self._plain[:2]:
            ctx[K_nb.CTX_GEN_NEXT], ctx[K_nb.CTX_GEN_STATE] = fn, iface.state_address
        self._gen = rng
        return True

    def _plain_context(self) -> tuple[np.ndarray, ...]:
        """The fast path's two contexts (addresses and sizes, see kernels_numba.CTX_*; one per
        result buffer), the two buffers (queue, starts) x 2, then every other array the
        contexts point into: holding them here keeps the addresses valid."""
        g = self.graph
        buffers = (
            self._get("queue", np.int32, 0),
            self._get("starts", np.int32, 0),
            np.zeros(self._n + 1, dtype=np.int32),
            np.zeros(self._n + 1, dtype=np.int32),
        )
        shared = (g.indptr, g.indices, self._get("active", np.uint8, 0), self._get("fired", np.int64, 0))
        hit = np.zeros(256, dtype=np.uint8)  # per-chunk trial outcomes
        ctxs = []
        for queue, starts in (buffers[:2], buffers[2:]):
            arrays = (g.indptr, g.indices, shared[2], queue, starts, shared[3], hit)
            assert all(a.flags.c_contiguous and a.ndim == 1 for a in arrays)
            ctx = np.zeros(K_nb.CTX_SIZE, dtype=np.int64)
            ctx[: len(arrays)] = [a.ctypes.data for a in arrays]
            ctx[K_nb.CTX_N], ctx[K_nb.CTX_M] = self._n, g.n_edges
            ctxs.append(ctx)
        return (*ctxs, *buffers, *shared, hit)

    def _run(
        self, seeds, p, audience, rng, edge_uniforms, audience_uniforms, node_weights, count_exposed, key=None
    ) -> CascadeResult:
        seeds, audience, eu, au, w, key = self._inputs(
            seeds, audience, edge_uniforms, audience_uniforms, node_weights, rng, key
        )
        self._settle()
        g = self.graph
        active = self._get("active", np.uint8, 0)
        exposed = self._get("exposed", np.uint8, 0)
        if self.backend == "numba":
            queue = self._get("queue", np.int32, 0)
            starts = self._get("starts", np.int32, 0)
            exp_list = self._get("exposed_list", np.int32, 0)
            if not (K_nb.check_nodes(seeds, self._n) and K_nb.check_nodes(audience, self._n)):
                raise ValueError(f"seeds and audience must be node ids in [0, {self._n - 1}]")
            au, eu, w = (
                _EMPTY_F32 if au is None else au,
                _EMPTY_F32 if eu is None else eu,
                _EMPTY_F64 if w is None else w,
            )
            n_act, n_starts, n_exp, examined = K_nb.cascade_nb(
                g.indptr, g.indices, seeds, audience, au, _signed(key), float(p), eu, w, count_exposed,
                active, queue, starts, exposed, exp_list, self._get("fired", np.int64, 0),
            )  # fmt: skip
            activated = queue[:n_act].copy()
            level_starts = starts[:n_starts].astype(np.int64)
            seed_exposed = int(exposed[np.unique(seeds)].sum()) if count_exposed else 0
            K_nb.reset_nb(active, queue, n_act, 0)
            if n_exp:
                K_nb.reset_nb(exposed, exp_list, n_exp, 0)
        else:
            levels, exp_nodes, n_exp, examined = K_np.cascade_np(
                g, seeds, audience, au, key, np.float32(p), eu, w, count_exposed, active, exposed
            )
            activated = np.concatenate(levels).astype(np.int32)
            level_starts = np.concatenate([[0], np.cumsum([len(x) for x in levels])]).astype(np.int64)
            seed_exposed = int(exposed[np.unique(seeds)].sum()) if count_exposed else 0
            active[activated] = 0
            exposed[exp_nodes] = 0
        if count_exposed:
            n_reached = n_exp + len(np.unique(seeds)) - seed_exposed
            return CascadeResult(activated, level_starts, int(n_exp), int(n_reached), int(examined))
        return CascadeResult(activated, level_starts, None, None, int(examined))

    def run_many(
        self, seed_sets: Any, p: float, *, rng: np.random.Generator | int | None = None, count_exposed: bool = False
    ) -> BatchResult:
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
        if isinstance(gen.bit_generator, RAW64_BITGENS):  # the same draws as R successive stream_key(gen)
            keys = np.asarray(gen.bit_generator.random_raw(R), dtype=np.uint64).reshape(R)
        else:
            keys = np.array([stream_key(gen) for _ in range(R)], dtype=np.uint64)
        out = [np.zeros(R, dtype=np.int64) for _ in range(4)]
        self._settle()
        if self.backend == "numba":
            K_nb.batch_nb(
                self.graph.indptr,
                self.graph.indices,
                offsets,
                flat,
                keys.view(np.int64),  # same bits (see _signed)
                float(p),
                count_exposed,
                self._get("active", np.uint8, 0),
                self._get("queue", np.int32, 0),
                self._get("starts", np.int32, 0),
                self._get("exposed", np.uint8, 0),
                self._get("exposed_list", np.int32, 0),
                self._get("fired", np.int64, 0),
                *out,
            )
        else:
            for r in range(R):
                res = self._run(
                    flat[offsets[r] : offsets[r + 1]], p, None, None, None, None, None, count_exposed, key=int(keys[r])
                )
                out[0][r], out[3][r] = res.n_activated, res.edges_examined
                if count_exposed:
                    out[1][r], out[2][r] = res.n_exposed or 0, res.n_reached or 0
        return BatchResult(out[0], out[1] if count_exposed else None, out[2] if count_exposed else None, out[3])

    def curve(
        self,
        seeds: Any,
        ps: Any,
        *,
        audience: Any = None,
        rng: np.random.Generator | int | None = None,
        edge_uniforms: np.ndarray | None = None,
        audience_uniforms: np.ndarray | None = None,
        node_weights: np.ndarray | None = None,
        count_exposed: bool = True,
    ) -> ReachCurve:
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
        args = self._inputs(seeds, audience, edge_uniforms, audience_uniforms, node_weights, rng)
        new_active, new_exposed, seed_levels, examined = self._curve_pass(grid, count_exposed, *args)
        activated = np.cumsum(new_active)[inverse]
        if not count_exposed:
            return ReachCurve(ps, activated, None, None, int(examined))
        exposed_c = np.cumsum(new_exposed)
        # reached = exposed + seeds not (yet) exposed at that level
        unexposed_seeds = (seed_levels[None, :] > np.arange(len(grid))[:, None]).sum(axis=1)
        reached = exposed_c + unexposed_seeds
        return ReachCurve(ps, activated, exposed_c[inverse], reached[inverse], int(examined))

    def _curve_pass(self, grid, count_exposed, seeds, audience, eu, au, w, key):
        """The curve kernel of the backend: (new actives per level, new exposed per level, the
        level at which each distinct seed is exposed (255 = never), edges examined)."""
        self._settle()
        g = self.graph
        level = self._get("level", np.uint8, _NONE)
        exposed = self._get("exposed_level", np.uint8, _NONE)
        if self.backend == "numpy":
            act_nodes, exp_nodes, new_active, new_exposed, examined = K_np.curve_np(
                g, seeds, audience, au, key, grid, eu, w, count_exposed, level, exposed
            )
            seed_levels = exposed[np.unique(seeds)].copy()
            level[act_nodes] = _NONE
            exposed[exp_nodes] = _NONE
            return new_active, new_exposed, seed_levels, examined
        queue = self._get("queue", np.int32, 0)
        exp_list = self._get("exposed_list", np.int32, 0)
        if not (K_nb.check_nodes(seeds, self._n) and K_nb.check_nodes(audience, self._n)):
            raise ValueError(f"seeds and audience must be node ids in [0, {self._n - 1}]")
        new_active = np.zeros(len(grid), dtype=np.int64)
        new_exposed = np.zeros(len(grid), dtype=np.int64)
        au, eu, w = _EMPTY_F32 if au is None else au, _EMPTY_F32 if eu is None else eu, _EMPTY_F64 if w is None else w
        n_act, n_exp, examined = K_nb.curve_nb(
            g.indptr, g.indices, seeds, audience, au, _signed(key), grid, eu, w, count_exposed,
            level, queue, exposed, exp_list, new_active, new_exposed,
        )  # fmt: skip
        seed_levels = exposed[np.unique(seeds)].copy()
        K_nb.reset_nb(level, queue, n_act, _NONE)
        K_nb.reset_nb(exposed, exp_list, n_exp, _NONE)
        return new_active, new_exposed, seed_levels, examined


_EMPTY_F32 = np.zeros(0, dtype=np.float32)
_EMPTY_F64 = np.zeros(0, dtype=np.float64)
_EMPTY_I32 = np.zeros(0, dtype=np.int32)
_I32 = np.dtype(np.int32)


def _nodes(nodes: Any, n: int, what: str, check: bool) -> np.ndarray:
    """Node ids as a contiguous, writeable int32 array (the one type the kernels are compiled
    for), range-checked here when ``check`` or when a cast could wrap; the numba kernels check
    int32 ids themselves."""
    if nodes is None:
        return _EMPTY_I32
    if type(nodes) is list and 0 < len(nodes) <= 64 and all(type(x) is int for x in nodes):
        # a short list of Python ints (the common hand-written call): checked in Python, which
        # is ~3x cheaper than numpy reductions on a tiny array
        if min(nodes) < 0 or max(nodes) >= n:
            raise ValueError(f"{what} must be node ids in [0, {n - 1}]")
        return np.array(nodes, dtype=np.int32)
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
    arr = np.ascontiguousarray(arr, dtype=np.int32)
    return arr if arr.flags.writeable else arr.copy()


# The public functions' Cascaders, by (graph id, backend argument); "auto" is resolved (from
# PROPSIM_BACKEND) when a graph is first seen: reading the environment costs ~0.7 us, as much as
# a tiny cascade. A weak reference checks that the id still names the same graph.
_CACHE: dict[tuple[int, str], tuple[weakref.ref, Cascader]] = {}
_LAST: list[Any] = [None, None, None]  # the last hit: weak reference to the graph, backend, Cascader


def _cascader(graph: CSR, backend: str) -> Cascader:
    """The cached Cascader of ``graph`` (the public functions' scratch), made on first use."""
    last = _LAST
    if last[1] == backend and last[0] is not None and last[0]() is graph:  # the same graph as last time
        return last[2]
    k = (id(graph), backend)
    hit = _CACHE.get(k)
    if hit is not None and hit[0]() is graph:
        _LAST[:] = [hit[0], backend, hit[1]]
        return hit[1]
    for key in [key for key, (ref, _) in _CACHE.items() if ref() is None]:
        del _CACHE[key]
    if len(_CACHE) >= 4:  # scratch is ~11 bytes per node: keep only a few graphs
        _CACHE.pop(next(iter(_CACHE)))
    c = Cascader(graph, backend)
    _CACHE[k] = (weakref.ref(graph), c)
    _LAST[:] = [_CACHE[k][0], backend, c]
    return c


def clear_cache() -> None:
    """Drop the public functions' cached scratch (e.g. after changing ``PROPSIM_BACKEND``)."""
    _CACHE.clear()
    _LAST[:] = [None, None, None]


def independent_cascade(
    graph: CSR,
    seeds: Any,
    p: float,
    rng: np.random.Generator | int | None = None,
    edge_uniforms: np.ndarray | None = None,
    backend: str = "auto",
    **kw: Any,
) -> CascadeResult:
    """One IC cascade from ``seeds`` at ``p`` (see :meth:`Cascader.run` for every argument).

    Scratch arrays are cached per graph (a few graphs at most), so repeated calls cost
    O(cascade), not O(n), and a tiny cascade costs about what :meth:`Cascader.run` costs.
    """
    c = _cascader(graph, backend)
    if c._fast and edge_uniforms is None and not kw:
        return c._run_plain(seeds, p, rng)
    return c.run(seeds, p, rng=rng, edge_uniforms=edge_uniforms, **kw)


def reach_curve(
    graph: CSR,
    seeds: Any,
    ps: Any,
    rng: np.random.Generator | int | None = None,
    edge_uniforms: np.ndarray | None = None,
    backend: str = "auto",
    **kw: Any,
) -> ReachCurve:
    """The whole reach-vs-p curve of one replicate in one pass (see :meth:`Cascader.curve`)."""
    return _cascader(graph, backend).curve(seeds, ps, rng=rng, edge_uniforms=edge_uniforms, **kw)
