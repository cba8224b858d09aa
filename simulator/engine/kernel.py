"""The compiled hot loop: deliveries, repost decisions, fatigue and the follower-repost event queue.

One delivery of item ``c`` at hour ``t`` to person ``v`` (``docs/model.md``, "One delivery"):

1. exposure memory ``x <- x 2^(-dt/h_x) + w_var`` (per item and person);
2. if ``v`` has not reposted ``c``: repost when ``U < min(1, p0_c appeal_c mult s(v,c) r(x))``,
   ``r(x) = x^alpha e^(-beta (x-1))``, with ``U`` the uniform keyed by (item, poster, v); the repost is
   published after an organic lognormal latency keyed by (item, v), as a new event in the queue;
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
    DECISIONS,
    DELIVERIES,
    DIRECT,
    DUPLICATES,
    EFFECTIVE,
    EMPTY,
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
    LOG_SIZE,
    MAX_DEPTH,
    MAX_LOAD,
    MUTED,
    MUTES,
    PENDING,
    PT_USED,
    REACH,
    UNFOLLOWED,
    UNFOLLOWS,
)
from simulator.world import generator as G

DONE, NEED_ROOM = 0, 1

if _numba is not None:
    _njit = _numba.njit(cache=True, nogil=True, error_model="numpy")
    _inline = _numba.njit(cache=True, inline="always", error_model="numpy")
    _LN2 = 0.6931471805599453

    # --- hash tables -----------------------------------------------------------------------------------

    @_inline
    def _probe(keys, key):  # pragma: no cover - compiled
        """Slot of ``key`` in an open-addressing table (its slot, or the empty slot where it belongs)."""
        mask = keys.size - 1
        h = np.int64(S.nb_mix(np.uint64(key)) & np.uint64(mask))
        while keys[h] != EMPTY and keys[h] != key:
            h = (h + 1) & mask
        return h

    @_njit
    def rehash_items(keys, mem, tim, flags, cap):  # pragma: no cover - compiled
        nk = np.full(cap, EMPTY, np.int64)
        nm = np.zeros(cap, np.float32)
        nt = np.zeros(cap, np.float32)
        nf = np.zeros(cap, np.uint8)
        for i in range(keys.size):
            if keys[i] != EMPTY:
                h = _probe(nk, keys[i])
                nk[h] = keys[i]
                nm[h] = mem[i]
                nt[h] = tim[i]
                nf[h] = flags[i]
        return nk, nm, nt, nf

    @_njit
    def rehash_people(keys, exposures, flags, cap):  # pragma: no cover - compiled
        nk = np.full(cap, EMPTY, np.int64)
        ne = np.zeros(cap, np.int32)
        nf = np.zeros(cap, np.uint8)
        for i in range(keys.size):
            if keys[i] != EMPTY:
                h = _probe(nk, keys[i])
                nk[h] = keys[i]
                ne[h] = exposures[i]
                nf[h] = flags[i]
        return nk, ne, nf

    @_inline
    def _person_slot(t, v):  # pragma: no cover - compiled
        if t.pt_dense:
            return v
        h = _probe(t.pt_keys, v)
        if t.pt_keys[h] == EMPTY:
            t.pt_keys[h] = v
            t.sizes[PT_USED] += 1
        return h

    # --- people ----------------------------------------------------------------------------------------

    @_inline
    def _cell(w, v):  # pragma: no cover - compiled
        return np.searchsorted(w.cell_starts, v, side="right") - 1

    @_inline
    def _region(w, v):  # pragma: no cover - compiled
        if w.region.size:
            return np.int64(w.region[v])
        return _cell(w, v) // w.n_interests

    @_inline
    def _interest(w, v):  # pragma: no cover - compiled
        if w.interest.size:
            return np.int64(w.interest[v])
        return _cell(w, v) % w.n_interests

    @_inline
    def _tolerance(w, v):  # pragma: no cover - compiled
        if w.tolerance.size:
            return np.float64(w.tolerance[v])
        return np.float64(np.float32(w.tol_median * np.exp(w.tol_sigma * S.nb_normal(w.tol_key, v))))

    @_inline
    def _suitability(w, items, c, v, s_off):  # pragma: no cover - compiled
        s = 1.0
        if items.topic[c] >= 0 and _interest(w, v) != items.topic[c]:
            s *= s_off
        if items.scope[c] >= 0 and _region(w, v) != items.scope[c]:
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
    def _before(t, i, j):  # pragma: no cover - compiled
        """Heap order: (hour, person, item)."""
        if t.heap_time[i] != t.heap_time[j]:
            return t.heap_time[i] < t.heap_time[j]
        if t.heap_person[i] != t.heap_person[j]:
            return t.heap_person[i] < t.heap_person[j]
        return t.heap_item[i] < t.heap_item[j]

    @_inline
    def _swap(t, i, j):  # pragma: no cover - compiled
        t.heap_time[i], t.heap_time[j] = t.heap_time[j], t.heap_time[i]
        t.heap_person[i], t.heap_person[j] = t.heap_person[j], t.heap_person[i]
        t.heap_item[i], t.heap_item[j] = t.heap_item[j], t.heap_item[i]
        t.heap_depth[i], t.heap_depth[j] = t.heap_depth[j], t.heap_depth[i]
        t.heap_origin[i], t.heap_origin[j] = t.heap_origin[j], t.heap_origin[i]

    @_inline
    def _push(t, time, person, item, depth, origin):  # pragma: no cover - compiled
        i = t.sizes[HEAP_SIZE]
        t.sizes[HEAP_SIZE] = i + 1
        t.heap_time[i] = time
        t.heap_person[i] = person
        t.heap_item[i] = item
        t.heap_depth[i] = depth
        t.heap_origin[i] = origin
        while i > 0:
            parent = (i - 1) >> 1
            if not _before(t, i, parent):
                break
            _swap(t, i, parent)
            i = parent

    @_inline
    def _pop(t):  # pragma: no cover - compiled
        n = t.sizes[HEAP_SIZE] - 1
        t.sizes[HEAP_SIZE] = n
        _swap(t, 0, n)
        i = 0
        while True:
            left = 2 * i + 1
            if left >= n:
                break
            best = left
            if left + 1 < n and _before(t, left + 1, left):
                best = left + 1
            if not _before(t, best, i):
                break
            _swap(t, i, best)
            i = best
        return n  # index of the popped entry (just past the heap)

    # --- one delivery ----------------------------------------------------------------------------------

    @_inline
    def _deliver(w, t, st, p, items, keys, v, c, now, weight, mult, k_dec, origin, depth, direct):
        # pragma: no cover - compiled
        """Steps 1-2 for one delivery; returns whether ``v`` had already received item ``c``."""
        counters = st.counters
        ps = _person_slot(t, v)
        ex = t.pt_exposures[ps]
        if ex == 0:
            counters[REACH] += 1
            b = np.int64(now / p.hist_width)
            if b >= st.first_hist.size:
                b = st.first_hist.size - 1
            st.first_hist[b] += 1
            st.account_stats[origin, FIRST_TOTAL] += 1
            if direct:
                st.account_stats[origin, FIRST_DIRECT] += 1
        t.pt_exposures[ps] = ex + 1
        counters[IMPRESSIONS] += 1
        if ex + 1 == p.eff_threshold:
            counters[EFFECTIVE] += 1
        if direct and not (t.pt_flags[ps] & FLAG_DIRECT):
            t.pt_flags[ps] |= FLAG_DIRECT
            counters[DIRECT] += 1
        key = (np.int64(c) << 32) | v
        h = _probe(t.it_keys, key)
        seen = t.it_keys[h] != EMPTY
        if seen:
            x = _decay(t.it_mem[h], t.it_time[h], now, p.h_x) + weight
            counters[DUPLICATES] += 1
        else:
            t.it_keys[h] = key
            t.sizes[IT_USED] += 1
            x = weight
        t.it_mem[h] = x
        t.it_time[h] = now
        if t.it_flags[h] == 0 and items.p0[c] > 0.0:
            hz = items.p0[c] * items.appeal[c] * mult * _suitability(w, items, c, v, p.s_off)
            hz *= _response(x, p.alpha, p.beta)
            if S.nb_uniform(k_dec, v) < hz:
                t.it_flags[h] = 1
                counters[DECISIONS] += 1
                lat = p.lat_median
                if p.lat_sigma > 0.0:
                    lat *= np.exp(p.lat_sigma * S.nb_normal(S.nb_derive(keys.repost_latency, c), v))
                due = now + lat
                if p.record:
                    j = t.sizes[LOG_SIZE]
                    t.sizes[LOG_SIZE] = j + 1
                    t.log_person[j] = v
                    t.log_item[j] = c
                    t.log_depth[j] = depth
                    t.log_origin[j] = origin
                    t.log_decided[j] = now
                    t.log_due[j] = due
                if due < p.horizon:
                    _push(t, due, v, c, depth, origin)
                else:
                    counters[PENDING] += 1
        return seen

    # --- account publications --------------------------------------------------------------------------

    @_njit
    def deliver_account(w, t, st, e, p, items, keys, a, akey, c, now, weight, mult):  # noqa: C901
        # pragma: no cover - compiled
        """Deliver item ``c`` published by account ``a`` at hour ``now`` to its current audience, with
        load and exits (steps 1-4). The tables must have room for the whole audience. Returns the number
        of deliveries."""
        k_dec = S.nb_derive(S.nb_derive(keys.repost_account, c), akey)
        k_exit = S.nb_derive(S.nb_derive(keys.exit, c), akey)
        k_mute = S.nb_derive(S.nb_derive(keys.mute, c), akey)
        region = st.account_region[a]
        promo = items.promotional[c]
        n = 0
        for edge in range(w.aud_indptr[a], w.aud_indptr[a + 1]):
            if e.status[edge] != ACTIVE or w.churn_time[edge] <= now:
                continue
            v = np.int64(w.aud_indices[edge])
            n += 1
            seen = _deliver(w, t, st, p, items, keys, v, c, now, weight, mult, k_dec, a, 1, True)
            if region >= 0 and _region(w, v) == region:
                st.account_stats[a, IN_REGION] += 1
            if not p.fatigue:
                continue
            irrelevant = _suitability(w, items, c, v, p.s_off) < 1.0
            add = 1.0 + p.w_dup * weight * seen + p.w_irr * irrelevant + (p.w_promo if promo else 0.0)
            load = _decay(e.load[edge], e.load_time[edge], now, p.h_l) + add
            e.load[edge] = load
            e.load_time[edge] = now
            theta = _tolerance(w, v)
            ps = _person_slot(t, v)
            if load > theta and not (t.pt_flags[ps] & FLAG_FATIGUED):
                t.pt_flags[ps] |= FLAG_FATIGUED
                st.counters[FATIGUED] += 1
            p_exit = min(p.p_exit_max, p.kappa * max(0.0, load / theta - 1.0))
            if p_exit > 0.0 and S.nb_uniform(k_exit, v) < p_exit:
                if S.nb_uniform(k_mute, v) < p.q_mute:
                    e.status[edge] = MUTED
                    st.counters[MUTES] += 1
                    st.account_stats[a, ACC_MUTES] += 1
                else:
                    e.status[edge] = UNFOLLOWED
                    st.counters[UNFOLLOWS] += 1
                    st.account_stats[a, ACC_UNFOLLOWS] += 1
        st.account_stats[a, DELIVERIES] += n
        return n

    # --- follower reposts ------------------------------------------------------------------------------

    @_inline
    def _row_length(w, u):  # pragma: no cover - compiled
        if w.explicit:
            return w.g_indptr[u + 1] - w.g_indptr[u]
        return G.nb_draws(w.gen, u)

    @_njit
    def advance(w, t, st, p, items, keys, until):  # noqa: C901
        # pragma: no cover - compiled
        """Publish every pending follower repost due before hour ``until``, in (hour, person, item) order,
        delivering each to the reposter's followers (steps 1-2). Returns (DONE, 0), or (NEED_ROOM, n)
        when the tables need room for ``n`` more deliveries first (nothing is half done)."""
        while t.sizes[HEAP_SIZE] > 0 and t.heap_time[0] < until:
            u = t.heap_person[0]
            length = _row_length(w, u)
            room = min(MAX_LOAD * t.it_keys.size - t.sizes[IT_USED], t.heap_time.size - t.sizes[HEAP_SIZE])
            if not t.pt_dense:
                room = min(room, MAX_LOAD * t.pt_keys.size - t.sizes[PT_USED])
            if p.record:
                room = min(room, t.log_person.size - t.sizes[LOG_SIZE])
            if not w.explicit:
                room = min(room, t.row_buf.size)
            if length > room:
                return NEED_ROOM, length
            i = _pop(t)
            now = t.heap_time[i]
            c = np.int64(t.heap_item[i])
            depth = t.heap_depth[i]
            origin = t.heap_origin[i]
            st.counters[FOLLOWER_REPOSTS] += 1
            st.depth[min(depth, MAX_DEPTH)] += 1
            k_dec = S.nb_derive(S.nb_derive(keys.repost_follower, c), u)
            if w.explicit:
                for j in range(w.g_indptr[u], w.g_indptr[u + 1]):
                    _deliver(
                        w,
                        t,
                        st,
                        p,
                        items,
                        keys,
                        np.int64(w.g_indices[j]),
                        c,
                        now,
                        1.0,
                        1.0,
                        k_dec,
                        origin,
                        depth + 1,
                        False,
                    )
            else:
                k = G.nb_row(w.gen, u, t.row_buf)
                for j in range(k):
                    _deliver(w, t, st, p, items, keys, t.row_buf[j], c, now, 1.0, 1.0, k_dec, origin, depth + 1, False)
        return DONE, 0

    @_njit
    def reposts_per_person(t, n_people):  # pragma: no cover - compiled
        """Items each person reposted (dense array over people; for small worlds and notebooks)."""
        out = np.zeros(n_people, np.int32)
        mask = np.int64(0xFFFFFFFF)
        for i in range(t.it_keys.size):
            if t.it_keys[i] != EMPTY and t.it_flags[i]:
                out[t.it_keys[i] & mask] += 1
        return out

    @_njit
    def people_exposures(t, n_people):  # pragma: no cover - compiled
        """(deliveries, flags) of every person as dense arrays."""
        ex = np.zeros(n_people, np.int32)
        fl = np.zeros(n_people, np.uint8)
        if t.pt_dense:
            return t.pt_exposures.copy(), t.pt_flags.copy()
        for i in range(t.pt_keys.size):
            if t.pt_keys[i] != EMPTY:
                ex[t.pt_keys[i]] = t.pt_exposures[i]
                fl[t.pt_keys[i]] = t.pt_flags[i]
        return ex, fl

    @_njit
    def exposure_histogram(t):  # pragma: no cover - compiled
        """People by number of deliveries received (index k = received exactly k; index 0 left 0)."""
        top = 0
        for i in range(t.pt_exposures.size):
            if t.pt_exposures[i] > top:
                top = t.pt_exposures[i]
        out = np.zeros(top + 1, np.int64)
        for i in range(t.pt_exposures.size):
            if t.pt_exposures[i] > 0:
                out[t.pt_exposures[i]] += 1
        return out
