"""Account audiences: who follows each matrix account (overlaps first, then targeted by region and
interest), as an account -> follower CSR."""

from __future__ import annotations

import numpy as np

from simulator.scenario.matrix import Account, Matrix
from simulator.scenario.schema import Scenario
from simulator.world.graphs import CSR


def draw_count(dist_median: float, sigma: float, rng: np.random.Generator, upper: int) -> int:
    """One lognormal draw, rounded and clipped to [0, upper]."""
    value = dist_median * np.exp(sigma * rng.standard_normal()) if sigma > 0 else dist_median
    return int(min(upper, max(0, round(value))))


class _AudienceSampler:
    """Samples followers for an account: overlaps first, then targeted by region and interest."""

    def __init__(self, sc: Scenario, cells: np.ndarray, n: int, rng: np.random.Generator):
        self.n, self.rng, self.cells = n, rng, cells
        self.region_index = {r: i for i, r in enumerate(sc.population.regions)}
        self.interest_index = {t: i for i, t in enumerate(sc.population.interests)}
        self.cell_start = cells[:, :-1]
        ends = np.empty_like(self.cell_start)
        ends[:, :-1] = self.cell_start[:, 1:]
        ends[:, -1] = cells[:, -1]
        self.cell_size = (ends - self.cell_start).astype(float)
        self.mask = np.zeros(n, dtype=bool)  # scratch: reset only where touched

    def _cell_mass(self, acc: Account) -> np.ndarray:
        size = self.cell_size
        mass = size.copy()
        if acc.region is not None:
            r = self.region_index[acc.region]
            in_r = size[r].sum()
            out_r = size.sum() - in_r
            factor = np.full(size.shape[0], (1 - acc.region_share) / out_r if out_r > 0 else 0.0)
            factor[r] = acc.region_share / in_r if in_r > 0 else 0.0
            mass *= factor[:, None]
        if acc.interest is not None:
            q = self.interest_index[acc.interest]
            in_q = size[:, q].sum()
            out_q = size.sum() - in_q
            factor = np.full(size.shape[1], (1 - acc.interest_share) / out_q if out_q > 0 else 0.0)
            factor[q] = acc.interest_share / in_q if in_q > 0 else 0.0
            mass *= factor[None, :]
        return mass.ravel()

    def sample(self, acc: Account, count: int, audiences: dict[int, np.ndarray]) -> np.ndarray:
        rng, mask = self.rng, self.mask
        chosen: list[np.ndarray] = []
        for other, share in sorted(acc.overlap.items()):
            pool = audiences[other]
            k = min(len(pool), int(round(share * count)))
            if k:
                pick = rng.choice(pool, size=k, replace=False)
                pick = pick[~mask[pick]]
                mask[pick] = True
                chosen.append(pick)
        have = sum(len(c) for c in chosen)
        mass = self._cell_mass(acc)
        total = mass.sum()
        starts = self.cell_start.ravel()
        sizes = self.cell_size.ravel().astype(np.int64)
        for _ in range(30):
            need = count - have
            if need <= 0 or total <= 0:
                break
            draws = rng.multinomial(int(need * 1.2) + 8, mass / total)
            cell = np.repeat(np.arange(len(draws)), draws)
            idx = starts[cell] + (rng.random(len(cell)) * sizes[cell]).astype(np.int64)
            idx = idx[~mask[idx]]
            idx = np.unique(idx)
            if len(idx) > need:
                idx = rng.choice(idx, size=need, replace=False)
            mask[idx] = True
            chosen.append(idx)
            have += len(idx)
        if have < count:
            # Targeted cells are exhausted: fill the rest from anyone not yet chosen.
            rest = np.flatnonzero(~mask)
            pick = rng.choice(rest, size=min(len(rest), count - have), replace=False)
            mask[pick] = True
            chosen.append(pick)
        out = np.sort(np.concatenate(chosen)) if chosen else np.zeros(0, dtype=np.int64)
        mask[out] = False
        return out.astype(np.int32)


def build_audiences(sc: Scenario, matrix: Matrix, cells: np.ndarray, rng: np.random.Generator) -> CSR:
    """Account -> follower CSR; follower counts drawn per account, in overlap build order."""
    n = sc.population.size
    sampler = _AudienceSampler(sc, cells, n, rng)
    counts = {a.index: draw_count(a.followers.median, a.followers.sigma, rng, n) for a in matrix.accounts}
    audiences: dict[int, np.ndarray] = {}
    for i in matrix.build_order:
        audiences[i] = sampler.sample(matrix.accounts[i], counts[i], audiences)
    lengths = np.array([len(audiences[a.index]) for a in matrix.accounts], dtype=np.int64)
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = np.concatenate([audiences[a.index] for a in matrix.accounts]) if lengths.sum() else np.zeros(0, np.int32)
    return CSR(indptr, indices.astype(np.int32))
