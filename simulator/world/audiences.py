"""Account audiences: who follows each matrix account, with exactly the declared overlaps.

``overlap: {B: s}`` on an account A of ``F`` followers means exactly ``round(s F)`` of A's followers also
follow B. They are drawn from B's audience minus the audiences of A's other declared overlaps, and the
rest of A's audience is drawn from people in none of them, so every declared overlap is realised exactly
(within one person of rounding) and undeclared pairs overlap only at random. The rest is targeted: a
share ``region_share`` from the account's region and ``interest_share`` from its interest, the remainder
spread over everyone else in proportion to cell sizes.

Draws are counter-based (:mod:`simulator.streams`, keyed by the account id), so an account with the same
id, follower count and targeting gets the same audience in any scenario over the same population (common
random numbers across matrices), and a larger follower count extends a smaller one's audience.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator import streams as S
from simulator.backend import numba as _numba
from simulator.scenario.matrix import Account, Matrix
from simulator.world.graphs import CSR
from simulator.world.population import Population

MAX_DRAWS_PER_FOLLOWER = 40  # rejection sampling gives up on a cell set after this many draws a follower
UNDECLARED_OVERLAP_WARN = 0.05  # warn when two accounts without a declared overlap share more than this


class AudienceError(ValueError):
    """An account's audience cannot be drawn as declared (the message names the account)."""


@dataclass(frozen=True)
class Overlap:
    """A realised overlap: the share of ``account``'s followers who also follow ``other``."""

    account: str  # account id, or group id (then the statistics are over its members)
    other: str
    declared: float | None  # the declared share (None: not declared in this direction)
    realised: float  # mean over the members
    realised_min: float
    realised_max: float
    implied: bool = False  # not declared in this direction, but the other way round (so not random)


def follower_count(acc: Account, n: int, count_key: int) -> int:
    """An account's follower count: its lognormal law drawn once per (seed, account id), clipped to [0, n]."""
    f = acc.followers
    z = S.normal(count_key, S.account_key(acc.id)) if f.sigma > 0 else 0.0
    value = f.median * math.exp(f.sigma * z)
    return int(min(n, max(0, round(value))))


def cell_masses(
    acc: Account, pop: Population, region_index: dict[str, int], interest_index: dict[str, int]
) -> np.ndarray:
    """Probability of each population cell for the targeted part of an audience."""
    size = np.diff(pop.cell_starts).astype(float).reshape(pop.n_regions, pop.n_interests)
    mass = size.copy()
    if acc.region is not None:
        r = region_index[acc.region]
        in_r, out_r = size[r].sum(), size.sum() - size[r].sum()
        factor = np.full(pop.n_regions, (1 - acc.region_share) / out_r if out_r > 0 else 0.0)
        factor[r] = acc.region_share / in_r if in_r > 0 else 0.0
        mass *= factor[:, None]
    if acc.interest is not None:
        q = interest_index[acc.interest]
        in_q, out_q = size[:, q].sum(), size.sum() - size[:, q].sum()
        factor = np.full(pop.n_interests, (1 - acc.interest_share) / out_q if out_q > 0 else 0.0)
        factor[q] = acc.interest_share / in_q if in_q > 0 else 0.0
        mass *= factor[None, :]
    flat = mass.ravel()
    return flat / flat.sum() if flat.sum() > 0 else np.diff(pop.cell_starts) / max(1, pop.n)


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    """Sorted union of sorted, duplicate-free audiences. (Sort and drop repeats: numpy's hash-based
    ``unique`` took 66 s of the 580M platform's 70 s world build, for 3.5M followers.)"""
    if not arrays:
        return np.zeros(0, dtype=np.int64)
    if len(arrays) == 1 and bool(np.all(arrays[0][1:] > arrays[0][:-1])):
        return arrays[0].astype(np.int64, copy=False)
    joined = np.sort(np.concatenate(arrays).astype(np.int64, copy=False))
    keep = np.empty(len(joined), dtype=bool)
    keep[:1] = True
    np.not_equal(joined[1:], joined[:-1], out=keep[1:])
    return joined[keep]


def _priority_pick(pool: np.ndarray, k: int, key: int) -> np.ndarray:
    """The ``k`` members of ``pool`` with the smallest keyed priorities (a uniform random subset whose
    choice depends on who is in the pool, not on their order)."""
    if k >= len(pool):
        return pool
    prio = S.uniforms(key, pool)
    return pool[np.argpartition(prio, k - 1)[:k]]


def draw_audience(
    acc: Account,
    count: int,
    audiences: dict[int, np.ndarray],
    pop: Population,
    masses: np.ndarray,
    pick_key: int,
    matrix: Matrix,
) -> tuple[np.ndarray, list[str]]:
    """One account's followers (sorted int64) and warnings about what could not be realised."""
    warnings: list[str] = []
    akey = S.account_key(acc.id)
    declared = sorted(acc.overlap.items())
    parts: list[np.ndarray] = []
    for b, share in declared:
        want = int(round(share * count))
        others = _union([audiences[c] for c, _ in declared if c != b])
        pool = np.setdiff1d(audiences[b], others, assume_unique=True)
        if want > len(pool):
            warnings.append(
                f"account {acc.id!r}: overlap with {matrix.accounts[b].id!r} realised as "
                f"{len(pool) / max(1, count):.3f} instead of {share:g} ({matrix.accounts[b].id!r} "
                f"has only {len(pool):,} followers to share)"
            )
            want = len(pool)
        source = S.account_key(matrix.accounts[b].id)  # keyed by id: the same picks in any matrix
        parts.append(_priority_pick(pool, want, S.derive(S.derive(pick_key, akey), source)))
    need = count - sum(len(p) for p in parts)
    if need > 0:
        excluded = _union([audiences[b] for b, _ in declared])
        rest = sample_rest(need, S.derive(pick_key, akey), masses, pop, excluded)
        if len(rest) < need:
            raise AudienceError(
                f"account {acc.id!r}: only {len(rest) + count - need:,} of its {count:,} "
                f"followers can be drawn from a population of {pop.n:,} without breaking its "
                "declared overlaps; lower its followers or its overlaps, or enlarge the population"
            )
        parts.append(rest)
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64), warnings


def sample_rest(need: int, key: int, masses: np.ndarray, pop: Population, excluded: np.ndarray) -> np.ndarray:
    """``need`` distinct people outside ``excluded`` (sorted int64), drawn by cell mass; falls back to
    the whole population when the targeted cells run out."""
    cum = np.cumsum(masses)
    got = _sample_cells(need, np.uint64(key), cum, pop.cell_starts, excluded, np.int64(MAX_DRAWS_PER_FOLLOWER))
    if len(got) < need:  # targeted cells exhausted: fill from anyone (cells in proportion to size)
        flat = np.cumsum(np.diff(pop.cell_starts) / max(1, pop.n))
        more = _sample_cells(
            need - len(got),
            np.uint64(S.derive(key, 1)),
            flat,
            pop.cell_starts,
            np.union1d(excluded, got),
            np.int64(MAX_DRAWS_PER_FOLLOWER),
        )
        got = np.concatenate([got, more])
        if len(got) < need:  # nearly the whole population is wanted: take the lowest-priority rest
            free = np.setdiff1d(np.arange(pop.n, dtype=np.int64), np.union1d(excluded, got))
            got = np.concatenate([got, _priority_pick(free, need - len(got), S.derive(key, 2))])
    return got


if _numba is not None:

    @_numba.njit(cache=True, nogil=True)
    def _sample_cells(need, key, cum, cell_starts, excluded, per):  # pragma: no cover - compiled
        out = np.empty(need, np.int64)
        cap = 1
        while cap < 2 * need + 2:
            cap *= 2
        seen = np.full(cap, -1, np.int64)
        mask = cap - 1
        total = cum[-1]
        got = 0
        j = 0
        limit = per * need + 1000
        while got < need and j < limit:
            u1 = S.nb_uniform(key, 2 * j)
            u2 = S.nb_uniform(key, 2 * j + 1)
            j += 1
            c = np.searchsorted(cum, u1 * total, side="right")
            if c >= cum.size:
                c = cum.size - 1
            lo = cell_starts[c]
            size = cell_starts[c + 1] - lo
            if size <= 0:
                continue
            v = lo + np.int64(u2 * size)
            if excluded.size:
                p = np.searchsorted(excluded, v)
                if p < excluded.size and excluded[p] == v:
                    continue
            h = np.int64(S.nb_mix(np.uint64(v)) & np.uint64(mask))
            dup = False
            while seen[h] != -1:
                if seen[h] == v:
                    dup = True
                    break
                h = (h + 1) & mask
            if dup:
                continue
            seen[h] = v
            out[got] = v
            got += 1
        return out[:got]


def build_audiences(
    matrix: Matrix, pop: Population, seed: int, regions: dict[str, int], interests: dict[str, int]
) -> tuple[CSR, list[str]]:
    """Account -> follower CSR of a matrix (accounts in index order) and the build warnings."""
    count_key = S.kind_key(seed, S.AUD_COUNT)
    pick_key = S.kind_key(seed, S.AUD_PICK)
    counts = {a.index: follower_count(a, pop.n, count_key) for a in matrix.accounts}
    audiences: dict[int, np.ndarray] = {}
    warnings: list[str] = []
    for i in matrix.build_order:
        acc = matrix.accounts[i]
        masses = cell_masses(acc, pop, regions, interests)
        audiences[i], w = draw_audience(acc, counts[i], audiences, pop, masses, pick_key, matrix)
        warnings += w
    lengths = np.array([len(audiences[a.index]) for a in matrix.accounts], dtype=np.int64)
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    dtype = np.int64 if pop.n >= 2**31 else np.int32
    parts = [audiences[a.index] for a in matrix.accounts]
    indices = np.concatenate(parts).astype(dtype) if lengths.sum() else np.zeros(0, dtype)
    return CSR(indptr, indices), warnings


def realised_overlaps(matrix: Matrix, audience: CSR, max_pairs: int = 400) -> list[Overlap]:
    """Realised overlaps between units (accounts, or groups taken whole): every declared pair (a share
    declared towards a group is split evenly over its members, so the group as a whole gets the
    declared share), its reverse direction (implied by the declaration), and every undeclared pair
    sharing at least 1% of the account's followers."""
    units: dict[str, list[int]] = {}
    for a in matrix.accounts:
        units.setdefault(a.group or a.id, []).append(a.index)
    rows = [audience.row(a.index).astype(np.int64) for a in matrix.accounts]
    union = {u: _union([rows[i] for i in members]) for u, members in units.items()}
    declared: dict[tuple[str, str], float] = {}
    for a in matrix.accounts:
        for b, share in a.overlap.items():
            key = (a.group or a.id, matrix.accounts[b].group or matrix.accounts[b].id)
            declared[key] = declared.get(key, 0.0) + share / len(units[key[0]])
    out: list[Overlap] = []
    names = list(units)
    for x in names:
        for y in names:
            if x == y or len(out) >= max_pairs:
                continue
            shares = np.array(
                [np.isin(rows[i], union[y], assume_unique=True).mean() if len(rows[i]) else 0.0 for i in units[x]]
            )
            dec = declared.get((x, y))
            implied = dec is None and (y, x) in declared
            if dec is None and not implied and shares.mean() < 0.01:
                continue
            out.append(Overlap(x, y, dec, float(shares.mean()), float(shares.min()), float(shares.max()), implied))
    return out


def overlap_warnings(overlaps: list[Overlap], audience_sizes: dict[str, int], population: int) -> list[str]:
    """Worlds too small for a fair comparison: an account (or group) whose followers are more than
    :data:`UNDECLARED_OVERLAP_WARN` of the population shares at least that share of every other
    account's followers by chance, beyond any declared overlap."""
    out = []
    for o in overlaps:
        if o.declared is not None or o.implied:
            continue
        chance = audience_sizes.get(o.other, 0) / max(1, population)
        if chance > UNDECLARED_OVERLAP_WARN:
            out.append(
                f"{o.other!r} follows {chance:.0%} of the population, so it shares about {chance:.0%} of "
                f"{o.account!r}'s followers by chance (realised {o.realised:.0%}) although no overlap is "
                "declared: enlarge population.size so that undeclared overlaps stay small"
            )
    return out
