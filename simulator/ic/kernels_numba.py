"""Compiled (numba) kernels of the plain independent cascade and of the whole reach-vs-p curve.

Every kernel has a pure-numpy twin in :mod:`simulator.ic.kernels_numpy` that gives identical
results. The kernels are long on purpose: each is one loop over a breadth-first frontier, kept in
one function so numba compiles it into one tight machine-code loop.

At 1M nodes a cascade is limited by memory latency, not arithmetic: every activated node costs a
random read of its row bounds (``indptr``) and every successful trial a random read of its target
(``indices``) and of that target's state. The kernels therefore (1) prefetch the row bounds of the
node ``_PF_NODES`` places ahead in the queue, and (2) split each block of a level in two passes:
pass A computes the trials of consecutive edges (no target read: the hash needs only the edge
index) and collects the fired edges; pass B visits their targets with a prefetch ``_PF_EDGES``
ahead. Marking a visited target is branch-free (the branch on "already active?" is unpredictable
in large cascades). With these, ``python -m benchmarks.ic --size 1m`` (2-core EPYC, shared)
measured per cascade 3.3x less time than the previous kernel on the light-tailed graph at
criticality (p = 0.05), 2.4x at p = 0.01 and at p = 0.1 on the heavy-tailed one. Sorting
large levels into node order (the previous remedy) no longer paid once reads were prefetched,
so it is gone. Prefetches are hints: they never change a result.

Tiny cascades cost less than a microsecond of compiled work, as much as numba's dispatch, so the
common call (:func:`plain_nb`, :func:`plain_draw_nb`) takes two array arguments: a context array
holding the addresses of the graph and scratch arrays (turned back into arrays with
:func:`numba.carray`), and the seeds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.backend import numba as _numba
from simulator.seeding import GOLDEN, MIX1, MIX2
from simulator.seeding import U24 as _U24

_NONE = 255  # "not (yet) active / exposed" in the uint8 level arrays of the reach curve
_CHUNK = 256  # edges whose trials are computed in one vectorisable batch
_PF_NODES = 8  # prefetch the row bounds of the node this many queue places ahead
_PF_EDGES = 16  # prefetch the target of the fired edge this many places ahead
FIRED_BLOCK = 4096  # fired edges collected before their targets are visited (scratch: int64)
_DENSE_RESET = 16  # reset whole scratch arrays (memset) once a cascade touches > n / this nodes

if _numba is not None:
    from llvmlite import ir as _ir
    from numba.core import cgutils as _cgutils
    from numba.core import types as _types
    from numba.extending import intrinsic as _intrinsic

    # error_model="numpy": x / 0 gives inf (a weight-0 follower never reposts), as in numpy
    _njit = _numba.njit(cache=True, nogil=True, error_model="numpy")
    _inline = _numba.njit(cache=True, inline="always", error_model="numpy")

    def _prefetch_typer(typingctx, arr, idx):  # pragma: no cover - compiled
        """Hint the CPU to fetch ``arr[idx]`` into cache (LLVM's prefetch: read, high locality).

        A hint only: it never faults and never changes a result; it lets the memory reads of
        several queue entries overlap instead of waiting for them one by one.
        """
        if not isinstance(arr, _types.Array) or not isinstance(idx, _types.Integer):
            return None

        def codegen(context, builder, sig, args):
            aryty = sig.args[0]
            ary = context.make_array(aryty)(context, builder, args[0])
            idx = context.cast(builder, args[1], sig.args[1], _types.intp)
            ptr = _cgutils.get_item_pointer(context, builder, aryty, ary, [idx])
            i8p = _ir.IntType(8).as_pointer()
            i32 = _ir.IntType(32)
            fnty = _ir.FunctionType(_ir.VoidType(), (i8p, i32, i32, i32))
            fn = builder.module.declare_intrinsic("llvm.prefetch", fnty=fnty)
            rw, locality, cache = _ir.Constant(i32, 0), _ir.Constant(i32, 3), _ir.Constant(i32, 1)
            builder.call(fn, (builder.bitcast(ptr, i8p), rw, locality, cache))
            return context.get_dummy_value()

        return _types.void(arr, idx), codegen

    prefetch: Any = _intrinsic(_prefetch_typer)

    def _address_typer(typingctx, addr):  # pragma: no cover - compiled
        """An int64 address as a void pointer (for :func:`numba.carray`; see :func:`plain_nb`)."""
        if not isinstance(addr, _types.Integer):
            return None

        def codegen(context, builder, sig, args):
            return builder.inttoptr(args[0], _cgutils.voidptr_t)

        return _types.voidptr(addr), codegen

    _address: Any = _intrinsic(_address_typer)

    def _next_uint64_typer(typingctx, fn, state):  # pragma: no cover - compiled
        """One raw 64-bit draw of a numpy BitGenerator: its C ``next_uint64(state)`` called through
        the addresses of its ctypes interface (as numba's own Generator support does, without
        unboxing the Generator: that costs ~8 us per call)."""
        if not isinstance(fn, _types.Integer) or not isinstance(state, _types.Integer):
            return None

        def codegen(context, builder, sig, args):
            i64 = _ir.IntType(64)
            fnty = _ir.FunctionType(i64, (i64,))
            fnptr = builder.inttoptr(args[0], fnty.as_pointer())
            return builder.call(fnptr, (args[1],))

        return _types.uint64(fn, state), codegen

    _next_uint64: Any = _intrinsic(_next_uint64_typer)

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
    def check_nodes(nodes, n):  # pragma: no cover - compiled
        for i in range(nodes.size):  # noqa: SIM110 - a plain loop compiles to a tight scan in numba
            if nodes[i] < 0 or nodes[i] >= n:
                return False
        return True

    @_njit
    def reset_nb(arr, idx, n, value):  # pragma: no cover - compiled
        """arr[idx[:n]] = value, or the whole of arr when that is cheaper (a memset)."""
        if n > arr.size // _DENSE_RESET:
            arr[:] = value
        else:
            for i in range(n):
                arr[idx[i]] = value

    @_njit
    def visit_fired(indices, fired, nb, active, queue, tail):  # pragma: no cover - compiled
        """Pass B: activate the inactive targets of the fired edges ``fired[:nb]``, in order;
        returns the new queue tail. Branch-free on the (unpredictable) state of the target."""
        for k in range(min(nb, _PF_EDGES)):  # the first ones (the loop below prefetches the rest)
            prefetch(indices, fired[k])
        for k in range(nb):
            if k + _PF_EDGES < nb:
                prefetch(indices, fired[k + _PF_EDGES])
            v = indices[fired[k]]
            was = active[v]
            active[v] = 1
            queue[tail] = v
            tail += 1 - int(was)
        return tail

    @_njit
    def bfs_fired(indptr, indices, key, p, uniforms, active, queue, starts, fired, hit, lend, tail):  # pragma: no cover
        """Level-synchronous breadth-first search without per-edge side effects (no weights,
        no exposure counting): the prefetched two-pass expansion of the module docstring.

        ``queue[:lend]`` are depth 0 and ``queue[lend:tail]`` extra depth-1 nodes (audience
        reposters), all already marked in ``active``. Trial ``e`` fires iff its uniform (given in
        ``uniforms``, else the hash of ``key``) is <= p in float32. Returns (tail, len(starts)
        used, edges examined); ``fired`` is int64 scratch of FIRED_BLOCK + _CHUNK entries,
        ``hit`` uint8 scratch of _CHUNK.
        """
        use_u = uniforms.size > 0
        p32 = np.float32(p)
        tp = _threshold_bits(p32)
        k64 = np.uint64(key)
        examined = 0
        starts[0] = 0
        n_lv = 1
        lstart = 0
        while True:
            for j in range(lstart, min(lend, lstart + _PF_NODES)):  # the loop below prefetches the rest
                prefetch(indptr, queue[j])
            i = lstart
            while i < lend:
                nb = 0
                while i < lend and nb < FIRED_BLOCK:  # pass A over a block of nodes
                    if i + _PF_NODES < tail:
                        prefetch(indptr, queue[i + _PF_NODES])
                    u = queue[i]
                    lo = indptr[u]
                    hi = indptr[u + 1]
                    examined += hi - lo
                    while lo < hi:
                        m = min(hi - lo, _CHUNK)
                        if use_u:
                            for j in range(m):
                                hit[j] = uniforms[lo + j] <= p32
                        else:
                            for j in range(m):
                                hit[j] = _hash_bits(k64, lo + j) < tp
                        for j in range(m):  # branch-free compaction of the fired edges
                            fired[nb] = lo + j
                            nb += int(hit[j])
                        lo += m
                        if nb > FIRED_BLOCK and lo < hi:  # a huge row: drain before going on
                            tail = visit_fired(indices, fired, nb, active, queue, tail)
                            nb = 0
                    i += 1
                tail = visit_fired(indices, fired, nb, active, queue, tail)  # pass B
            if tail == lend:
                break
            starts[n_lv] = lend
            n_lv += 1
            lstart = lend
            lend = tail
        starts[n_lv] = tail
        return tail, n_lv + 1, examined

    # The fast path's context: addresses and sizes of the graph and scratch arrays, so that one
    # call passes 2 arrays instead of 8 (numba's dispatcher costs ~0.1-0.2 us per array argument,
    # as much as a whole tiny cascade). Built and kept alive by Cascader (cascade.py).
    # CTX_GEN_NEXT / CTX_GEN_STATE: a numpy BitGenerator's next_uint64 function and state
    # addresses, for plain_draw_nb (the caller keeps the Generator alive).
    CTX_INDPTR, CTX_INDICES, CTX_ACTIVE, CTX_QUEUE, CTX_STARTS, CTX_FIRED, CTX_HIT, CTX_N, CTX_M = range(9)
    CTX_GEN_NEXT, CTX_GEN_STATE = 9, 10
    CTX_SIZE = 11

    @_njit
    def plain_draw_nb(ctx, seeds, p):  # pragma: no cover - compiled
        """:func:`plain_nb` with the key drawn from the Generator whose C interface ``ctx``
        holds: one raw draw, exactly what ``stream_key(generator)`` would return."""
        key = np.int64(_next_uint64(ctx[CTX_GEN_NEXT], ctx[CTX_GEN_STATE]))
        return plain_nb(ctx, seeds, key, p)

    @_njit
    def plain_nb(ctx, seeds, key, p):  # pragma: no cover - compiled
        """The common call (seeds only, hash uniforms), bookkeeping compiled too: one dispatch per
        cascade with two array arguments (``ctx`` holds the rest, see CTX_*), scalar results only
        (the caller copies ``queue[:n_active]`` if it is asked for). Returns (n_active,
        len(starts) used, edges_examined); edges_examined = -1 for seeds out of range, -2 for p
        outside [0, 1]. ``active`` is all-zero on entry and on exit."""
        if not 0.0 <= p <= 1.0:
            return 0, 0, -2
        n = ctx[CTX_N]
        indptr = _numba.carray(_address(ctx[CTX_INDPTR]), n + 1, np.int64)
        indices = _numba.carray(_address(ctx[CTX_INDICES]), ctx[CTX_M], np.int32)
        active = _numba.carray(_address(ctx[CTX_ACTIVE]), n + 1, np.uint8)
        queue = _numba.carray(_address(ctx[CTX_QUEUE]), n + 1, np.int32)
        starts = _numba.carray(_address(ctx[CTX_STARTS]), n + 1, np.int32)
        fired = _numba.carray(_address(ctx[CTX_FIRED]), FIRED_BLOCK + _CHUNK, np.int64)
        hit = _numba.carray(_address(ctx[CTX_HIT]), _CHUNK, np.uint8)
        no_uniforms = _numba.carray(_address(ctx[CTX_HIT]), 0, np.float32)
        if not check_nodes(seeds, n):
            return 0, 0, -1
        tail = 0
        for i in range(seeds.size):
            s = seeds[i]
            if active[s] == 0:
                active[s] = 1
                queue[tail] = s
                tail += 1
        tail, n_starts, examined = bfs_fired(
            indptr, indices, key, p, no_uniforms, active, queue, starts, fired, hit, tail, tail
        )
        reset_nb(active, queue, tail, 0)
        return tail, n_starts, examined

    @_njit
    def cascade_nb(  # noqa: C901 - one compiled loop per kernel, on purpose (module docstring)
        indptr,
        indices,
        seeds,
        audience,
        aud_u,
        key,
        p,
        uniforms,
        weights,
        count_exposed,
        active,
        queue,
        starts,
        exposed,
        exposed_list,
        fired,
    ):  # pragma: no cover - compiled
        """Level-synchronous breadth-first search with every option (audience, given uniforms,
        node weights, exposure counting).

        Returns (n_active, len(starts) used, n_exposed, edges_examined). ``active``/``exposed``
        are all-zero scratch on entry and are left dirty: the caller resets them through
        ``queue`` / ``exposed_list`` (only where touched).
        """
        n = indptr.size - 1
        n_edges = indptr[n]
        use_u = uniforms.size > 0
        use_w = weights.size > 0
        p32 = np.float32(p)
        k64 = np.uint64(key)
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
            x = aud_u[i] if aud_u.size > 0 else _hash_u(k64, n_edges + i)
            if use_w:
                x = np.float32(np.float64(x) / np.float64(weights[v]))
            if x <= p32 and active[v] == 0:
                active[v] = 1
                queue[tail] = v
                tail += 1
        if not (use_w or count_exposed):
            hit = np.empty(_CHUNK, dtype=np.uint8)
            tail, n_starts, more = bfs_fired(
                indptr, indices, key, p, uniforms, active, queue, starts, fired, hit, n_seeds, tail
            )
            return tail, n_starts, n_exp, examined + more
        # every edge has a side effect (exposure, weight of its target): every target is read
        xs = np.empty(_CHUNK, dtype=np.float32)
        starts[0] = 0
        n_lv = 1
        lstart = 0
        lend = n_seeds
        while True:
            for i in range(lstart, lend):
                if i + _PF_NODES < tail:
                    prefetch(indptr, queue[i + _PF_NODES])
                if i + _PF_NODES // 2 < tail:
                    prefetch(indices, indptr[queue[i + _PF_NODES // 2]])
                u = queue[i]
                lo = indptr[u]
                hi = indptr[u + 1]
                examined += hi - lo
                while lo < hi:
                    m = min(hi - lo, _CHUNK)
                    if use_u:  # the trial values first: the hashes vectorise
                        for j in range(m):
                            xs[j] = uniforms[lo + j]
                    else:
                        for j in range(m):
                            xs[j] = _hash_u(k64, lo + j)
                    for j in range(m):  # branch-free on the (unpredictable) state of the target
                        v = indices[lo + j]
                        if count_exposed:
                            seen = exposed[v]
                            exposed[v] = 1
                            exposed_list[n_exp] = v
                            n_exp += int(seen == 0)
                        x = xs[j]
                        if use_w:
                            x = np.float32(np.float64(x) / np.float64(weights[v]))
                        if x <= p32:
                            was = active[v]
                            active[v] = 1
                            queue[tail] = v
                            tail += int(was == 0)
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
    def batch_nb(
        indptr,
        indices,
        offsets,
        flat_seeds,
        keys,
        p,
        count_exposed,
        active,
        queue,
        starts,
        exposed,
        exposed_list,
        fired,
        out_active,
        out_exposed,
        out_reached,
        out_examined,
    ):  # pragma: no cover
        """Independent cascades, replicate r from flat_seeds[offsets[r]:offsets[r+1]] with key
        keys[r] (int64 bit patterns); scratch is reset between replicates. Fills the outputs."""
        empty_i = np.zeros(0, dtype=np.int32)
        for r in range(keys.size):
            n_act, _, n_exp, examined = cascade_nb(
                indptr,
                indices,
                flat_seeds[offsets[r] : offsets[r + 1]],
                empty_i,
                np.zeros(0, dtype=np.float32),
                keys[r],
                p,
                np.zeros(0, dtype=np.float32),
                np.zeros(0, dtype=np.float64),
                count_exposed,
                active,
                queue,
                starts,
                exposed,
                exposed_list,
                fired,
            )
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
            reset_nb(active, queue, n_act, 0)
            reset_nb(exposed, exposed_list, n_exp, 0)

    @_njit
    def bucket(ps, x):  # pragma: no cover - compiled
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
    def curve_nb(  # noqa: C901 - one compiled loop per kernel, on purpose (module docstring)
        indptr,
        indices,
        seeds,
        audience,
        aud_u,
        key,
        ps,
        uniforms,
        weights,
        count_exposed,
        level,
        queue,
        exposed,
        exposed_list,
        new_active,
        new_exposed,
    ):  # pragma: no cover
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
        k64 = np.uint64(key)
        use_w = weights.size > 0
        per_edge = use_w or count_exposed
        K = ps.size
        pmax = ps[K - 1]
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
            x = aud_u[i] if aud_u.size > 0 else _hash_u(k64, n_edges + i)
            if use_w:
                x = np.float32(np.float64(x) / np.float64(weights[v]))
            if x <= pmax and level[v] == 255:
                b = bucket(ps, x)
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
                for i in range(head, wave_end):
                    if i + _PF_NODES < tail:
                        prefetch(indptr, queue[i + _PF_NODES])
                    if i + _PF_NODES // 2 < tail:
                        prefetch(indices, indptr[queue[i + _PF_NODES // 2]])
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
                                x = uniforms[lo + jj] if use_u else _hash_u(k64, lo + jj)
                                if use_w:
                                    x = np.float32(np.float64(x) / np.float64(weights[v]))
                                xs[jj] = x
                        elif use_u:
                            for jj in range(m):
                                xs[jj] = uniforms[lo + jj]
                        else:
                            for jj in range(m):
                                xs[jj] = _hash_u(k64, lo + jj)
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
                                b = bucket(ps, x)
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
