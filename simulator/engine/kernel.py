"""The compiled hot loop: deliveries, repost decisions, fatigue and the follower-repost event queue.

One delivery of item ``c`` at hour ``t`` to person ``v`` (``docs/model.md``, "One delivery"):

1. exposure memory ``x <- x 2^(-dt/h_x) + w_var`` (per item and person);
2. if ``v`` has not reposted ``c``: repost with chance ``h = min(1, p0_c appeal_c mult s(v,c) r(x))``,
   ``r(x) = x^alpha e^(-beta (x-1))``, taken as Sellke's threshold (``v`` reposts once ``prod (1 - h)`` over
   its deliveries of ``c`` falls to ``U``, the uniform keyed by (item, v)); the repost is published after
   an organic lognormal latency keyed by (item, v), as a new event in the queue;
3. (deliveries of matrix accounts) load ``L <- L 2^(-dt/h_L) + 1 + w_dup w_var [seen] + w_irr [irrelevant]
   + w_promo [promotional]`` on the (account, v) edge;
4. exit with ``min(p_exit_max, kappa max(0, L/theta_v - 1))`` (uniform keyed by (item, account, v)): a mute
   with probability ``q_mute`` (another keyed uniform), else an unfollow.

Follower reposts are processed in exact time order from a binary heap ordered by (hour, person, item), and
every decision's uniform is keyed by what it is about, so the results do not depend on the order in which
the kernel visits anything. The functions are long on purpose: one compiled loop per kind of event.
"""

from __future__ import annotations

import numpy as np

from simulator import streams as S
from simulator.backend import numba as _numba
from simulator.engine.state import (
    ACC_MUTES,
    ACC_UNFOLLOWS,
    ACTIVE,
    ARCH_BACK,
    ARCH_DEAD,
    ARCH_LIVE,
    ARCH_SHIFT,
    DECISIONS,
    DELIVERIES,
    DIRECT,
    DUPLICATES,
    EFFECTIVE,
    EMPTY,
    EXPOSURE_MASK,
    FATIGUED,
    FIRST_DIRECT,
    FIRST_TOTAL,
    FLAG_DIRECT,
    FLAG_FATIGUED,
    FOLLOWER_REPOSTS,
    HEAP_SIZE,
    IMPRESSIONS,
    IN_REGION,
    IT_USED,
    KEY_MASK,
    LOG_SIZE,
    MAX_DEPTH,
    MAX_LOAD,
    MUTED,
    MUTES,
    PENDING,
    PT_USED,
    REACH,
    REPOSTED,
    TOUCHED,
    UNFOLLOWED,
    UNFOLLOWS,
)
from simulator.world import generator as G

DONE, NEED_ROOM = 0, 1
PREFETCH_AHEAD = 8  # deliveries whose state lines are requested before they are processed

if _numba is not None:
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic

    @intrinsic
    def _prefetch(typingctx, arr, idx):  # pragma: no cover - compiled
        """Ask the CPU to start loading ``arr[idx]``'s cache line (no effect on results)."""
        sig = types.void(arr, idx)

        def codegen(context, builder, signature, args):
            aryty = signature.args[0]
            ary = context.make_array(aryty)(context, builder, args[0])
            ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]])
            i8p = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
            builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
            return context.get_dummy_value()

        return sig, codegen


if _numba is not None:
    _njit = _numba.njit(cache=True, nogil=True, error_model="numpy")
    _inline = _numba.njit(cache=True, inline="always", error_model="numpy")
    _LN2 = 0.6931471805599453

    # Compiled-code note: every helper below takes arrays and scalars, never a container. Taking an
    # array out of a container inside a per-delivery helper costs a reference-count round trip per array
    # and call (measured: 650 ns a delivery instead of 40), so the kernels unpack their containers once.

    # --- hash tables -----------------------------------------------------------------------------------

    @_inline
    def _item_slot(it, key):  # pragma: no cover - compiled
        """Slot of ``key`` (item << 32 | person) in the item table: its slot, or the empty one where it goes."""
        mask = it.shape[0] - 1
        h = np.int64(S.nb_mix(np.uint64(key)) & np.uint64(mask))
        while True:
            k = it[h, 0]
            if k == EMPTY or (k & KEY_MASK) == key:
                return h
            h = (h + 1) & mask

    @_inline
    def _prefetch_delivery(c, v, pt_dense, pt, it):  # pragma: no cover - compiled
        """Start loading the state lines a delivery of item ``c`` to ``v`` will touch."""
        if pt_dense:
            _prefetch(pt, v)  # type: ignore[call-arg]  # a numba intrinsic: (typingctx) is implicit
        else:
            _prefetch(pt, np.int64(S.nb_mix(np.uint64(v)) & np.uint64(pt.size - 1)))  # type: ignore[call-arg]
        key = (np.int64(c) << 32) | v
        _prefetch(it, np.int64(S.nb_mix(np.uint64(key)) & np.uint64(it.shape[0] - 1)) * 2)

    @_inline
    def _arch_find(a_low, a_lp, a_dir, v):  # pragma: no cover - compiled
        """Index of person ``v`` in one item's archive (-1: not there, or moved back already)."""
        b = v >> ARCH_SHIFT
        if b + 1 >= a_dir.size:
            return -1
        lo, end = a_dir[b], a_dir[b + 1]
        hi = end
        low = v & ((1 << ARCH_SHIFT) - 1)
        while lo < hi:
            mid = (lo + hi) >> 1
            if np.int64(a_low[mid]) < low:
                lo = mid + 1
            else:
                hi = mid
        if lo < end and np.int64(a_low[lo]) == low and a_lp[lo, 1] >= 0.0:
            return lo
        return -1

    @_inline
    def _person_slot(dense, pt, sizes, v):  # pragma: no cover - compiled
        """Slot of person ``v`` (inserted if new): the person itself in dense mode."""
        if dense:
            return v
        mask = pt.size - 1
        h = np.int64(S.nb_mix(np.uint64(v)) & np.uint64(mask))
        while pt[h] != EMPTY and (pt[h] >> 32) != v:
            h = (h + 1) & mask
        if pt[h] == EMPTY:
            pt[h] = v << 32
            sizes[PT_USED] += 1
        return h

    # --- people ----------------------------------------------------------------------------------------

    @_inline
    def _region(region, cell_starts, n_interests, v):  # pragma: no cover - compiled
        if region.size:
            return np.int64(region[v])
        return (np.searchsorted(cell_starts, v, side="right") - 1) // n_interests

    @_inline
    def _interest(interest, cell_starts, n_interests, v):  # pragma: no cover - compiled
        if interest.size:
            return np.int64(interest[v])
        return (np.searchsorted(cell_starts, v, side="right") - 1) % n_interests

    @_inline
    def _tolerance(tolerance, key, median, sigma, v):  # pragma: no cover - compiled
        if tolerance.size:
            return np.float64(tolerance[v])
        return np.float64(np.float32(median * np.exp(sigma * S.nb_normal(key, v))))

    @_inline
    def _suitability(region, interest, cell_starts, n_interests, topic, scope, s_off, v):
        # pragma: no cover - compiled
        """s(v, c): 1 on-topic and in scope, times s_off per mismatch."""
        s = 1.0
        if topic >= 0 and _interest(interest, cell_starts, n_interests, v) != topic:
            s *= s_off
        if scope >= 0 and _region(region, cell_starts, n_interests, v) != scope:
            s *= s_off
        return s

    @_inline
    def _decay(value, since, now, half_life):  # pragma: no cover - compiled
        """``value 2^(-(now - since)/half_life)``: infinite half-life = no decay; never set = 0."""
        if since == -np.inf:
            return 0.0
        if half_life == np.inf or now <= since:
            return np.float64(value)
        return value * np.exp(-_LN2 * (now - since) / half_life)

    @_inline
    def _response(x, alpha, beta):  # pragma: no cover - compiled
        if x == 1.0:
            return 1.0
        r = 1.0 if alpha == 0.0 else (x if alpha == 1.0 else x**alpha)
        if beta != 0.0:
            r *= np.exp(-beta * (x - 1.0))
        return r

    # --- the repost queue ------------------------------------------------------------------------------

    @_inline
    def _before(ht, hp, hi, i, j):  # pragma: no cover - compiled
        """Heap order: (hour, person, item)."""
        if ht[i] != ht[j]:
            return ht[i] < ht[j]
        if hp[i] != hp[j]:
            return hp[i] < hp[j]
        return hi[i] < hi[j]

    @_inline
    def _swap(ht, hp, hi, hd, ho, i, j):  # pragma: no cover - compiled
        ht[i], ht[j] = ht[j], ht[i]
        hp[i], hp[j] = hp[j], hp[i]
        hi[i], hi[j] = hi[j], hi[i]
        hd[i], hd[j] = hd[j], hd[i]
        ho[i], ho[j] = ho[j], ho[i]

    @_inline
    def _push(ht, hp, hi, hd, ho, sizes, time, person, item, depth, origin):  # pragma: no cover - compiled
        i = sizes[HEAP_SIZE]
        sizes[HEAP_SIZE] = i + 1
        ht[i] = time
        hp[i] = person
        hi[i] = item
        hd[i] = depth
        ho[i] = origin
        while i > 0:
            parent = (i - 1) >> 1
            if not _before(ht, hp, hi, i, parent):
                break
            _swap(ht, hp, hi, hd, ho, i, parent)
            i = parent

    @_inline
    def _pop(ht, hp, hi, hd, ho, sizes):  # pragma: no cover - compiled
        n = sizes[HEAP_SIZE] - 1
        sizes[HEAP_SIZE] = n
        _swap(ht, hp, hi, hd, ho, 0, n)
        i = 0
        while True:
            left = 2 * i + 1
            if left >= n:
                break
            best = left
            if left + 1 < n and _before(ht, hp, hi, left + 1, left):
                best = left + 1
            if not _before(ht, hp, hi, best, i):
                break
            _swap(ht, hp, hi, hd, ho, i, best)
            i = best
        return n  # index of the popped entry (just past the heap)

    # --- one delivery ----------------------------------------------------------------------------------

    @_inline
    def _expose(
        v, c, now, weight, origin, direct, p, pt_dense, pt, it, itf, sizes, counters, account_stats, first_hist, arch
    ):  # pragma: no cover - compiled
        """Step 1 and the reach bookkeeping of one delivery: returns (seen before, exposure memory x,
        slot of (c, v) in the item table). The slot keeps ``ln x + t ln2 / h_x`` (memory and hour in one
        float: x at ``now`` is ``exp(L - now ln2 / h_x)``) and the repost threshold's survival. A pair
        missing from the table may be in item ``c``'s archive (``arch``: its low bits, floats, directory
        and the tombstone counts): it moves back to the table with its floats, so it counts as seen."""
        ps = _person_slot(pt_dense, pt, sizes, v)
        state = pt[ps]
        ex = state & EXPOSURE_MASK
        if ex == 0:
            counters[REACH] += 1
            b = np.int64(now * p.hist_per_hour)
            if b >= first_hist.size:
                b = first_hist.size - 1
            first_hist[b] += 1
            account_stats[origin, FIRST_TOTAL] += 1
            if direct:
                account_stats[origin, FIRST_DIRECT] += 1
        state += 1
        counters[IMPRESSIONS] += 1
        if ex + 1 == p.eff_threshold:
            counters[EFFECTIVE] += 1
        if direct and not (state & FLAG_DIRECT):
            state |= FLAG_DIRECT
            counters[DIRECT] += 1
        pt[ps] = state
        key = (np.int64(c) << 32) | v
        h = _item_slot(it, key)
        k = it[h, 0]
        seen = k != EMPTY
        if seen:
            it[h, 0] = k | TOUCHED
        else:
            a_low, a_lp, a_dir, a_dead = arch
            j = _arch_find(a_low, a_lp, a_dir, v) if a_low.size else -1
            it[h, 0] = key | TOUCHED
            sizes[IT_USED] += 1
            if j >= 0:  # archived: back to the table, a tombstone left behind
                seen = True
                itf[h, 2] = a_lp[j, 0]
                itf[h, 3] = a_lp[j, 1]
                a_lp[j, 1] = ARCH_DEAD
                a_dead[c] += 1
                sizes[ARCH_LIVE] -= 1
                sizes[ARCH_BACK] += 1
        shift = now * p.lam_x
        if seen:
            x = np.exp(np.float64(itf[h, 2]) - shift) + weight
            counters[DUPLICATES] += 1
        else:
            itf[h, 3] = 1.0
            x = weight
        itf[h, 2] = np.log(x) + shift
        return seen, x, h

    @_inline
    def _decide(
        v,
        c,
        now,
        x,
        h,
        hz0,
        k_dec,
        k_lat,
        origin,
        depth,
        topic,
        scope,
        p,
        region,
        interest,
        cell_starts,
        n_interests,
        it,
        itf,
        ht,
        hp,
        hi,
        hd,
        ho,
        log_int,
        log_time,
        sizes,
        counters,
    ):
        # pragma: no cover - compiled
        """Step 2 of one delivery (``hz0 = p0_c appeal_c mult``): the repost decision (step 2 above: each
        delivery has exactly its chance, and runs share ``v``'s threshold whoever delivers ``c``) and its
        publication in the queue. (Under 30 arguments: longer calls compile as ``f(*args)``.)"""
        if hz0 <= 0.0 or it[h, 0] & REPOSTED:
            return
        hz = hz0 * _suitability(region, interest, cell_starts, n_interests, topic, scope, p.s_off, v)
        hz *= _response(x, p.alpha, p.beta)
        survival = np.float64(itf[h, 3]) * (1.0 - hz)
        if S.nb_uniform(k_dec, v) < survival:
            itf[h, 3] = survival
            return
        it[h, 0] |= REPOSTED
        counters[DECISIONS] += 1
        lat = p.lat_median
        if p.lat_sigma > 0.0:
            lat *= np.exp(p.lat_sigma * S.nb_normal(k_lat, v))
        due = now + lat
        if p.record:
            j = sizes[LOG_SIZE]
            sizes[LOG_SIZE] = j + 1
            log_int[j, 0] = v
            log_int[j, 1] = c
            log_int[j, 2] = depth
            log_int[j, 3] = origin
            log_time[j, 0] = now
            log_time[j, 1] = due
        if due < p.horizon:
            _push(ht, hp, hi, hd, ho, sizes, due, v, c, depth, origin)
        else:
            counters[PENDING] += 1

    # --- account publications --------------------------------------------------------------------------

    @_njit
    def deliver_account(w, t, st, e, p, items, keys, a, akey, c, now, weight, mult):  # noqa: C901
        # pragma: no cover - compiled
        """Deliver item ``c`` published by account ``a`` at hour ``now`` to its current audience, with
        load and exits (steps 1-4). The tables must have room for the whole audience. Returns the number
        of deliveries."""
        region, interest, cell_starts, n_int = w.region, w.interest, w.cell_starts, w.n_interests
        tolerance, tol_key, tol_median, tol_sigma = w.tolerance, w.tol_key, w.tol_median, w.tol_sigma
        pt_dense, pt, it, itf = t.pt_dense, t.pt, t.it, t.itf
        ht, hp, hi, hd, ho = t.heap_time, t.heap_person, t.heap_item, t.heap_depth, t.heap_origin
        log_int, log_time = t.log_int, t.log_time
        sizes, counters, account_stats, first_hist = t.sizes, st.counters, st.account_stats, st.first_hist
        status, load_v, load_t, churn, aud = e.status, e.load, e.load_time, w.churn_time, w.aud_indices
        k_dec = S.nb_derive(keys.repost, c)
        k_exit = S.nb_derive(S.nb_derive(keys.exit, c), akey)
        k_mute = S.nb_derive(S.nb_derive(keys.mute, c), akey)
        k_lat = S.nb_derive(keys.repost_latency, c)
        hz0 = items.p0[c] * items.appeal[c] * mult
        arch = (t.arch_low[c], t.arch_lp[c], t.arch_dir[c], t.arch_dead)
        topic, scope, promo = items.topic[c], items.scope[c], items.promotional[c]
        home = st.account_region[a]
        n = 0
        end = w.aud_indptr[a + 1]
        itflat = it.ravel()
        for edge in range(w.aud_indptr[a], end):
            if edge + PREFETCH_AHEAD < end:
                _prefetch_delivery(c, np.int64(aud[edge + PREFETCH_AHEAD]), pt_dense, pt, itflat)
            if status[edge] != ACTIVE or churn[edge] <= now:
                continue
            v = np.int64(aud[edge])
            n += 1
            seen, x, h = _expose(
                v, c, now, weight, a, True, p, pt_dense, pt, it, itf, sizes, counters, account_stats, first_hist, arch
            )
            _decide(
                v,
                c,
                now,
                x,
                h,
                hz0,
                k_dec,
                k_lat,
                a,
                1,
                topic,
                scope,
                p,
                region,
                interest,
                cell_starts,
                n_int,
                it,
                itf,
                ht,
                hp,
                hi,
                hd,
                ho,
                log_int,
                log_time,
                sizes,
                counters,
            )
            if home >= 0 and _region(region, cell_starts, n_int, v) == home:
                account_stats[a, IN_REGION] += 1
            if not p.fatigue:
                continue
            irrelevant = _suitability(region, interest, cell_starts, n_int, topic, scope, p.s_off, v) < 1.0
            add = 1.0 + p.w_dup * weight * seen + p.w_irr * irrelevant + (p.w_promo if promo else 0.0)
            load = _decay(load_v[edge], load_t[edge], now, p.h_l) + add
            load_v[edge] = load
            load_t[edge] = now
            theta = _tolerance(tolerance, tol_key, tol_median, tol_sigma, v)
            ps = _person_slot(pt_dense, pt, sizes, v)
            if load > theta and not (pt[ps] & FLAG_FATIGUED):
                pt[ps] |= FLAG_FATIGUED
                counters[FATIGUED] += 1
            p_exit = min(p.p_exit_max, p.kappa * max(0.0, load / theta - 1.0))
            if p_exit > 0.0 and S.nb_uniform(k_exit, v) < p_exit:
                if S.nb_uniform(k_mute, v) < p.q_mute:
                    status[edge] = MUTED
                    counters[MUTES] += 1
                    account_stats[a, ACC_MUTES] += 1
                else:
                    status[edge] = UNFOLLOWED
                    counters[UNFOLLOWS] += 1
                    account_stats[a, ACC_UNFOLLOWS] += 1
        account_stats[a, DELIVERIES] += n
        return n

    # --- follower reposts ------------------------------------------------------------------------------

    @_njit
    def advance(w, t, st, p, items, keys, until):  # noqa: C901
        # pragma: no cover - compiled
        """Publish every pending follower repost due before hour ``until``, in (hour, person, item) order,
        delivering each to the reposter's followers (steps 1-2). Returns (DONE, 0), or (NEED_ROOM, n)
        when the tables need room for ``n`` more deliveries first (nothing is half done)."""
        explicit, g_indptr, g_indices, gen, row_buf, row_seen = (
            w.explicit,
            w.g_indptr,
            w.g_indices,
            w.gen,
            t.row_buf,
            t.row_seen,
        )
        region, interest, cell_starts, n_int = w.region, w.interest, w.cell_starts, w.n_interests
        pt_dense, pt, it, itf = t.pt_dense, t.pt, t.it, t.itf
        ht, hp, hi, hd, ho = t.heap_time, t.heap_person, t.heap_item, t.heap_depth, t.heap_origin
        log_int, log_time = t.log_int, t.log_time
        sizes, counters, account_stats, first_hist = t.sizes, st.counters, st.account_stats, st.first_hist
        depth_hist, p0, appeal, topics, scopes = st.depth, items.p0, items.appeal, items.topic, items.scope
        k_repost, k_latency = keys.repost, keys.repost_latency
        itflat = it.ravel()
        room_it = np.int64(MAX_LOAD * it.shape[0])
        room_pt = np.int64(MAX_LOAD * pt.size)
        while sizes[HEAP_SIZE] > 0 and ht[0] < until:
            u = hp[0]
            length = g_indptr[u + 1] - g_indptr[u] if explicit else G.nb_draws(gen, u)
            room = min(room_it - sizes[IT_USED], ht.size - sizes[HEAP_SIZE])
            if not pt_dense:
                room = min(room, room_pt - sizes[PT_USED])
            if p.record:
                room = min(room, log_int.shape[0] - sizes[LOG_SIZE])
            if not explicit:
                room = min(room, row_buf.size)
            if length > room:
                return NEED_ROOM, length
            i = _pop(ht, hp, hi, hd, ho, sizes)
            now, c, depth, origin = ht[i], np.int64(hi[i]), hd[i], ho[i]
            counters[FOLLOWER_REPOSTS] += 1
            depth_hist[min(depth, MAX_DEPTH)] += 1
            k_dec = S.nb_derive(k_repost, c)
            k_lat = S.nb_derive(k_latency, c)
            hz0, topic, scope = p0[c] * appeal[c], topics[c], scopes[c]
            arch = (t.arch_low[c], t.arch_lp[c], t.arch_dir[c], t.arch_dead)
            lo_j, hi_j = (g_indptr[u], g_indptr[u + 1]) if explicit else (0, G.nb_row(gen, u, row_buf, row_seen))
            for j in range(lo_j, hi_j):
                if j + PREFETCH_AHEAD < hi_j:
                    ahead = np.int64(g_indices[j + PREFETCH_AHEAD]) if explicit else row_buf[j + PREFETCH_AHEAD]
                    _prefetch_delivery(c, ahead, pt_dense, pt, itflat)
                v = np.int64(g_indices[j]) if explicit else row_buf[j]
                seen, x, h = _expose(
                    v,
                    c,
                    now,
                    1.0,
                    origin,
                    False,
                    p,
                    pt_dense,
                    pt,
                    it,
                    itf,
                    sizes,
                    counters,
                    account_stats,
                    first_hist,
                    arch,
                )
                _decide(
                    v,
                    c,
                    now,
                    x,
                    h,
                    hz0,
                    k_dec,
                    k_lat,
                    origin,
                    depth + 1,
                    topic,
                    scope,
                    p,
                    region,
                    interest,
                    cell_starts,
                    n_int,
                    it,
                    itf,
                    ht,
                    hp,
                    hi,
                    hd,
                    ho,
                    log_int,
                    log_time,
                    sizes,
                    counters,
                )
        return DONE, 0

    @_njit
    def item_counts(t, n_items):  # pragma: no cover - compiled
        """(people who received each item, people who decided to repost each item): the hot table and
        the live archived pairs (every archived pair was delivered and not reposted)."""
        got = np.zeros(n_items, np.int64)
        rep = np.zeros(n_items, np.int64)
        it, itf = t.it, t.itf
        for i in range(it.shape[0]):
            k = it[i, 0]
            if k != EMPTY:
                c = (k & KEY_MASK) >> 32
                if itf[i, 2] > -np.inf:
                    got[c] += 1
                if k & REPOSTED:
                    rep[c] += 1
        for c in range(min(n_items, len(t.arch_low))):
            got[c] += t.arch_low[c].size - t.arch_dead[c]
        return got, rep
