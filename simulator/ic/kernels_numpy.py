"""Pure-numpy twins of the IC kernels (no compiler; identical results to the numba ones)."""

from __future__ import annotations

import numpy as np

from simulator.seeding import hash_uniforms
from simulator.world.graphs import CSR

_NONE = 255  # "not (yet) active / exposed" in the uint8 level arrays of the reach curve


def row_edges(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edge ids of the given rows, concatenated, and the position in ``rows`` of each."""
    lo = indptr[rows]
    lengths = indptr[rows + 1] - lo
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), lengths)
    first = np.cumsum(lengths) - lengths
    return lo[owner] + (np.arange(total, dtype=np.int64) - first[owner]), owner


def trial_keys(
    key: int, counters: np.ndarray, given: np.ndarray | None, targets: np.ndarray | None, weights: np.ndarray | None
) -> np.ndarray:
    """The float32 trial uniforms of edges ``counters``, divided by the targets' weights if any."""
    x = given[counters] if given is not None else hash_uniforms(key, counters)
    if weights is not None:
        assert targets is not None
        with np.errstate(divide="ignore", invalid="ignore"):  # weight 0: never succeeds (inf / nan)
            x = (x.astype(np.float64) / weights[targets]).astype(np.float32)
    return x


def audience_keys(
    key: int, n_edges: int, audience: np.ndarray, aud_u: np.ndarray | None, weights: np.ndarray | None
) -> np.ndarray:
    x = aud_u if aud_u is not None else hash_uniforms(key, n_edges + np.arange(len(audience), dtype=np.int64))
    if weights is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            x = (x.astype(np.float64) / weights[audience]).astype(np.float32)
    return x


def cascade_np(g: CSR, seeds, audience, aud_u, key, p32, uniforms, weights, count_exposed, active, exposed):
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
        hit = audience[audience_keys(key, g.n_edges, audience, aud_u, weights) <= p32]
        first = np.unique(hit[active[hit] == 0]).astype(np.int32)
        active[first] = 1
    frontier = levels[0]
    pending_first = first
    while len(frontier) or len(pending_first):
        eids, _ = row_edges(indptr, frontier.astype(np.int64))
        examined += len(eids)
        need_targets = weights is not None or count_exposed
        targets = indices[eids] if need_targets else None
        if count_exposed and len(eids):
            assert targets is not None
            new = targets[exposed[targets] == 0]
            if len(new):
                new = np.unique(new)
                exposed[new] = 1
                touched_exp.append(new)
        x = trial_keys(key, eids, uniforms, targets, weights)
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


def curve_np(g: CSR, seeds, audience, aud_u, key, ps32, uniforms, weights, count_exposed, level, exposed):
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
        x = audience_keys(key, g.n_edges, audience, aud_u, weights)
        ok = x <= pmax
        push(pending, audience[ok], np.searchsorted(ps32, x[ok], side="left"))
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
            eids, _ = row_edges(indptr, frontier.astype(np.int64))
            examined += len(eids)
            targets = indices[eids]
            if count_exposed and len(eids):
                new = np.unique(targets[exposed[targets] == _NONE])
                exposed[new] = k
                new_exposed[k] += len(new)
                touched_exp.append(new)
            x = trial_keys(key, eids, uniforms, targets, weights)
            live = (x <= pmax) & (level[targets] == _NONE)
            x, targets = x[live], targets[live]
            now = x <= ps32[k]
            later = ~now
            push(pending, targets[later], np.searchsorted(ps32, x[later], side="left"))
            nxt = np.unique(targets[now]).astype(np.int32)
            level[nxt] = k
            new_active[k] += len(nxt)
            touched.append(nxt)
            frontier = nxt
    exp_nodes = np.concatenate(touched_exp) if touched_exp else np.zeros(0, dtype=np.int32)
    return np.concatenate(touched), exp_nodes, new_active, new_exposed, examined


def push(pending: list[list[np.ndarray]], nodes: np.ndarray, buckets: np.ndarray) -> None:
    if len(nodes) == 0:
        return
    order = np.argsort(buckets, kind="stable")
    nodes, buckets = nodes[order], buckets[order]
    cuts = np.flatnonzero(np.diff(buckets)) + 1
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(nodes)]):
        pending[int(buckets[lo])].append(nodes[lo:hi])
