"""Compiled (numba) kernels of the plain independent cascade and of the whole reach-vs-p curve.

Every kernel has a pure-numpy twin in :mod:`simulator.ic.kernels_numpy` that gives identical
results. The kernels are long on purpose: each is one loop over a breadth-first frontier, kept in
one function so numba compiles it into one tight machine-code loop.
"""

from __future__ import annotations

import numpy as np

from simulator.backend import numba as _numba
from simulator.seeding import GOLDEN, MIX1, MIX2
from simulator.seeding import U24 as _U24

_NONE = 255  # "not (yet) active / exposed" in the uint8 level arrays of the reach curve
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
    def check_nodes(nodes, n):  # pragma: no cover - compiled
        for i in range(nodes.size):
            if nodes[i] < 0 or nodes[i] >= n:
                return False
        return True

    @_njit
    def sort_segment(queue, lo, hi, mark):  # pragma: no cover - compiled
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
    def cascade_nb(
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
        mark,
    ):  # pragma: no cover - compiled
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
                sort_segment(queue, lstart, lend, mark)
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
    def plain_nb(indptr, indices, seeds, key, p, active, queue, starts, mark):  # pragma: no cover
        """The common call (seeds only, hash uniforms) with its bookkeeping compiled too: one
        dispatch per cascade keeps small cascades cheap. Returns (activated, level_starts,
        edges_examined), or an empty level_starts for out-of-range seeds."""
        if not check_nodes(seeds, indptr.size - 1):
            return queue[:0].copy(), np.zeros(0, dtype=np.int64), -1
        empty_i = np.zeros(0, dtype=np.int32)
        empty_f = np.zeros(0, dtype=np.float32)
        n_act, n_starts, _, examined = cascade_nb(
            indptr,
            indices,
            seeds,
            empty_i,
            empty_f,
            key,
            p,
            empty_f,
            np.zeros(0, dtype=np.float64),
            False,
            active,
            queue,
            starts,
            active,
            empty_i,
            mark,
        )
        activated = queue[:n_act].copy()
        level_starts = starts[:n_starts].astype(np.int64)
        for i in range(n_act):
            active[queue[i]] = 0
        return activated, level_starts, examined

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
        mark,
        out_active,
        out_exposed,
        out_reached,
        out_examined,
    ):  # pragma: no cover
        """Independent cascades, replicate r from flat_seeds[offsets[r]:offsets[r+1]] with key
        keys[r]; scratch is reset between replicates. Fills the three per-replicate outputs."""
        empty_i = np.zeros(0, dtype=np.int32)
        empty_f = np.zeros(0, dtype=np.float32)
        empty_w = np.zeros(0, dtype=np.float64)
        for r in range(keys.size):
            n_act, _, n_exp, examined = cascade_nb(
                indptr,
                indices,
                flat_seeds[offsets[r] : offsets[r + 1]],
                empty_i,
                empty_f,
                keys[r],
                p,
                empty_f,
                empty_w,
                count_exposed,
                active,
                queue,
                starts,
                exposed,
                exposed_list,
                mark,
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
            for i in range(n_act):
                active[queue[i]] = 0
            for i in range(n_exp):
                exposed[exposed_list[i]] = 0

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
    def curve_nb(
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
        mark,
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
                if wave_end - head > big:
                    sort_segment(queue, head, wave_end, mark)
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

    @_njit
    def reset_nb(arr, idx, n, value):  # pragma: no cover - compiled
        for i in range(n):
            arr[idx[i]] = value
