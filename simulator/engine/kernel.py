"""The vectorised hot loop: exposure memory, repost decisions and fatigue, on numpy arrays.

One call handles every delivery of one content item at one moment (MODEL-REFERENCE section 2):

1. exposure memory ``x <- x 2^(-dt/h_x) + w_var``;
2. if the follower has not reposted the item: repost with probability
   ``h = min(1, p0 appeal mult s(i,c) r(x))``, ``r(k) = k^alpha e^(-beta (k-1))``;
3. (account deliveries only) load ``L <- L 2^(-dt/h_L) + 1 + w_dup w_var [seen] + w_irr [off-topic]
   + w_promo [promotional]``;
4. (account deliveries only) exit with ``min(p_exit_max, kappa max(0, L/theta - 1))``: a mute with
   probability ``q_mute``, else an unfollow.

A follower may receive the same item several times in one batch (several friends reposted it):
those deliveries are applied in order, exactly as a loop over them would, by sorting the batch
by follower and using running counts within each follower's group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.backend import _numba, resolve_backend

LN2 = np.float32(np.log(2.0))


def group_order(targets: np.ndarray, n: int) -> np.ndarray:
    """Order that groups a batch by follower, keeping batch order inside each group.

    Equal to ``np.argsort(targets, kind="stable")``; with numba, a counting sort (O(batch + n))
    replaces it for large batches, where the comparison sort was a third of the model's run time.
    """
    if _numba is not None and len(targets) * 8 >= n and resolve_backend() == "numba":
        return _counting_order(np.asarray(targets), n)
    return np.argsort(targets, kind="stable")


if _numba is not None:

    @_numba.njit(cache=True, nogil=True)
    def _counting_order(targets, n):  # pragma: no cover - compiled
        start = np.zeros(n + 1, np.int64)
        for x in targets:
            start[x + 1] += 1
        for i in range(n):
            start[i + 1] += start[i]
        out = np.empty(targets.size, np.int64)
        for i in range(targets.size):
            x = targets[i]
            out[start[x]] = i
            start[x] += 1
        return out


@dataclass
class ItemParams:
    """Per-item constants of the repost hazard."""

    p0: float
    appeal: float
    topic: int  # interest index, -1 = general
    scope: int  # region index, -1 = national
    promotional: bool


@dataclass
class Behaviour:
    """Scalars of the follower model (copied from the scenario for the kernel)."""

    alpha: float
    beta: float
    h_x: float  # exposure half-life, hours
    s_off: float
    fatigue: bool
    h_l: float  # load half-life, hours
    w_dup: float
    w_irr: float
    w_promo: float
    kappa: float
    p_exit_max: float
    q_mute: float


def response(x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """Exposure response r(x) = x^alpha e^(-beta (x-1)); r(1) = 1, peak at x = alpha/beta.

    >>> float(response(np.array([1.0]), 1.0, 0.5)[0])
    1.0
    """
    # skip the transcendental calls in the common special cases (alpha 0 or 1, beta 0)
    out = x.astype(np.float64) if alpha == 1.0 else (np.ones(len(x)) if alpha == 0.0 else np.power(x, alpha))
    if beta != 0.0:
        out = out * np.exp(-beta * (x - 1.0))
    return out


def suitability(
    targets: np.ndarray, item: ItemParams, interest: np.ndarray, region: np.ndarray, s_off: float
) -> np.ndarray:
    """s(i,c): 1 on-topic and in scope, s_off per mismatch (topic, region)."""
    s = np.ones(len(targets), dtype=np.float32)
    if item.topic >= 0:
        s[interest[targets] != item.topic] *= s_off
    if item.scope >= 0:
        s[region[targets] != item.scope] *= s_off
    return s


def decay(value: np.ndarray, last: np.ndarray, now: float, half_life: float) -> np.ndarray:
    """value 2^(-(now-last)/half_life); never-set entries (last = -inf) decay to 0."""
    dt = np.maximum(np.float32(now) - last, 0)  # within-tick waves may arrive out of order
    return value * np.exp(-LN2 * dt / np.float32(half_life))


def groups(targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start index, follower, size) of each run of equal values in a grouped batch (non-empty)."""
    first = np.empty(len(targets), dtype=bool)
    first[0] = True
    np.not_equal(targets[1:], targets[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    return starts, targets[starts], np.diff(np.append(starts, len(targets)))


def expose(
    targets: np.ndarray,
    now: float,
    weight: float,
    mult: float,
    item: ItemParams,
    beh: Behaviour,
    mem: np.ndarray,
    mem_t: np.ndarray,
    reposted: np.ndarray,
    interest: np.ndarray,
    region: np.ndarray,
    u_repost: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 1-2 for a batch sorted by follower (repeats allowed, applied in batch order).

    Args:
        targets: follower index of each delivery, grouped (equal values adjacent).
        now: time of the deliveries, hours.
        weight: exposure weight w_var of each delivery.
        mult: appeal multiplier of the delivering post (commentary > 1).
        mem, mem_t, reposted: this item's per-follower state (updated in place).
        u_repost: one uniform per delivery.

    Returns:
        (reposters, trigger index per reposter, seen_before per delivery).
    """
    n = len(targets)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=bool)
    starts, uniq, sizes = groups(targets)
    rank = np.arange(n) - np.repeat(starts, sizes)  # 0 for a follower's first delivery here

    seen0 = mem_t[uniq] > -np.inf
    base = decay(mem[uniq], mem_t[uniq], now, beh.h_x)
    x = np.repeat(base, sizes) + np.float32(weight) * (rank + 1)
    seen_before = np.repeat(seen0, sizes) | (rank > 0)
    mem[uniq] = base + np.float32(weight) * sizes
    mem_t[uniq] = now

    can = ~np.repeat(reposted[uniq], sizes)
    reposters = np.zeros(0, dtype=np.int64)
    trigger = np.zeros(0, dtype=np.int64)
    if item.p0 > 0 and can.any():
        idx = np.flatnonzero(can)
        t = targets[idx]
        h = (item.p0 * item.appeal * mult) * suitability(t, item, interest, region, beh.s_off)
        h *= response(x[idx], beh.alpha, beh.beta)
        hit = idx[u_repost[idx] < np.minimum(h, 1.0)]
        if len(hit):
            # first success within each follower's group wins
            tg = targets[hit]
            first = np.empty(len(hit), dtype=bool)
            first[0] = True
            np.not_equal(tg[1:], tg[:-1], out=first[1:])
            trigger = hit[first]
            reposters = targets[trigger].astype(np.int64)
            reposted[reposters] = True
    return reposters, trigger, seen_before


def load_and_exit(
    edges: np.ndarray,
    targets: np.ndarray,
    now: float,
    weight: float,
    item: ItemParams,
    beh: Behaviour,
    seen_before: np.ndarray,
    load: np.ndarray,
    load_t: np.ndarray,
    tolerance: np.ndarray,
    fatigued: np.ndarray,
    interest: np.ndarray,
    region: np.ndarray,
    u_exit: np.ndarray,
    u_mute: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 3-4 for one account's deliveries (``edges`` unique account-edge ids).

    Returns (exit per delivery, mute per delivery, newly fatigued followers).
    """
    off = suitability(targets, item, interest, region, beh.s_off) < 1
    add = 1.0 + beh.w_dup * weight * seen_before + beh.w_irr * off + (beh.w_promo if item.promotional else 0.0)
    lv = decay(load[edges], load_t[edges], now, beh.h_l) + add.astype(np.float32)
    load[edges] = lv
    load_t[edges] = now
    theta = tolerance[targets]
    over = lv > theta
    newly = targets[over & ~fatigued[targets]]
    fatigued[newly] = True
    p_exit = np.minimum(beh.p_exit_max, beh.kappa * np.maximum(0.0, lv / theta - 1.0))
    exits = u_exit < p_exit
    mutes = exits & (u_mute < beh.q_mute)
    return exits, mutes, newly
