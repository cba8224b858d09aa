"""What a scenario implies before anything is built: expected audiences and which items reach which relays.

Two questions the warnings (:mod:`simulator.scenario.warnings`) and ``propsim run --explain`` ask of a
loaded scenario without building its world:

* **Audiences** (:func:`estimate_audiences`): how much of the population the matrix's accounts cover
  together, and how much of one unit's audience follows another *by chance*. The world build
  (:mod:`simulator.world.audiences`) draws ``overlap: {B: s}`` followers exactly from B's audience and the
  rest of an account's followers from people outside its declared partners, targeted by region and
  interest. So the declared part adds nobody new to the union, and the free part lands in each
  region x interest cell with the account's targeting mass. With independent draws, the expected share of
  cell ``c`` that no account reaches is ``prod_a (1 - d_ac)`` with ``d_ac = F_free,a m_ac / size_c``.
  Follower counts are lognormal means (``median e^(sigma^2/2)``), so this is an estimate (a few percent);
  the built world's figures are exact.
* **Relay reach** (:class:`RelayReach`): which accounts can ever publish an item of a given topic first
  posted by given accounts (following relay edges whose probability for that topic is above zero), and
  whether each relay edge is on- or off-topic for it (the engine's rule: an item of topic ``t`` is
  on-topic for a target whose ``topics`` include ``t``, and every target is on-topic for ``general``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.scenario.matrix import Account, Matrix
from simulator.scenario.schema import GENERAL_TOPIC, Scenario

MAX_CELL_PRODUCTS = 20_000_000  # unit pairs x cells above which pairwise chance overlaps are not estimated


@dataclass(frozen=True)
class AudienceEstimate:
    """Expected audiences of a scenario's matrix, from follower counts, targeting and declared overlaps.

    Attributes:
        population: people in the world.
        followers: expected followers of every account (people; lognormal mean, capped at the population).
        union: expected people who follow at least one matrix account.
        chance: ``(unit, other) -> share`` of ``unit``'s followers expected to follow ``other`` by chance
            (pairs with no declared overlap in either direction; empty when there are too many pairs).
        units: unit name (group id, or account id) -> account indices.
    """

    population: int
    followers: np.ndarray
    union: float
    chance: dict[tuple[str, str], float]
    units: dict[str, list[int]]

    @property
    def union_share(self) -> float:
        """Expected share of the population following at least one account."""
        return self.union / max(1, self.population)


def unit_of(acc: Account) -> str:
    """The unit an account belongs to: its group id, or its own id."""
    return acc.group or acc.id


def units_of(matrix: Matrix) -> dict[str, list[int]]:
    """Unit name -> account indices, in matrix order."""
    units: dict[str, list[int]] = {}
    for a in matrix.accounts:
        units.setdefault(unit_of(a), []).append(a.index)
    return units


def expected_followers(acc: Account, n: int) -> float:
    """Mean of an account's lognormal follower count, capped at the population ``n`` (people)."""
    f = acc.followers
    return float(min(n, f.median * math.exp(f.sigma**2 / 2)))


def cell_sizes(sc: Scenario) -> np.ndarray:
    """(regions, interests) expected people per cell (the world rounds these to whole people)."""
    rw = np.array(list(sc.population.regions.values()), dtype=float)
    iw = np.array(list(sc.population.interests.values()), dtype=float)
    return sc.population.size * np.outer(rw / rw.sum(), iw / iw.sum())


def targeting_mass(acc: Account, sizes: np.ndarray, regions: dict[str, int], interests: dict[str, int]) -> np.ndarray:
    """(regions, interests) probability that one of ``acc``'s targeted followers lands in each cell (the law
    of :func:`simulator.world.audiences.cell_masses`: a ``region_share`` from its region, an
    ``interest_share`` from its interest, the rest in proportion to cell sizes)."""
    mass = sizes.copy()
    total = sizes.sum()
    if acc.region is not None and acc.region in regions:
        r = regions[acc.region]
        in_r = sizes[r].sum()
        factor = np.full(sizes.shape[0], (1 - acc.region_share) / (total - in_r) if total > in_r else 0.0)
        factor[r] = acc.region_share / in_r if in_r > 0 else 0.0
        mass *= factor[:, None]
    if acc.interest is not None and acc.interest in interests:
        q = interests[acc.interest]
        in_q = sizes[:, q].sum()
        factor = np.full(sizes.shape[1], (1 - acc.interest_share) / (total - in_q) if total > in_q else 0.0)
        factor[q] = acc.interest_share / in_q if in_q > 0 else 0.0
        mass *= factor[None, :]
    s = mass.sum()
    return mass / s if s > 0 else sizes / max(total, 1.0)


def _log_miss(free: float, mass: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """log P(a person of each cell is not among ``free`` followers spread by ``mass``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(sizes > 0, free * mass / sizes, 0.0)
    return np.log(np.clip(1.0 - d, 1e-300, 1.0))


@dataclass
class _UnitDensity:
    """log P(a person of each cell is not a follower of the unit), split by where the followers come from."""

    free: np.ndarray  # the free part (drawn outside the unit's declared partners)
    declared: dict[str, np.ndarray]  # partner unit -> the part declared inside that partner's audience
    free_mass: np.ndarray  # expected free followers per cell
    partners: set[str]  # units the unit's accounts declare overlaps with


def estimate_audiences(sc: Scenario, matrix: Matrix) -> AudienceEstimate:
    """Expected union audience and chance overlaps of a scenario's matrix (nothing is built)."""
    n = sc.population.size
    sizes = cell_sizes(sc)
    regions = {r: i for i, r in enumerate(sc.population.regions)}
    interests = {t: i for i, t in enumerate(sc.population.interests)}
    followers = np.array([expected_followers(a, n) for a in matrix.accounts], dtype=float)
    units = units_of(matrix)
    # members of a group share their targeting and expected count: one mass per distinct targeting
    masses: dict[tuple, np.ndarray] = {}

    def mass(a: Account) -> np.ndarray:
        key = (a.region, a.region_share, a.interest, a.interest_share)
        if key not in masses:
            masses[key] = targeting_mass(a, sizes, regions, interests)
        return masses[key]

    dens = {u: _UnitDensity(np.zeros_like(sizes), {}, np.zeros_like(sizes), set()) for u in units}
    for a in matrix.accounts:
        d = dens[unit_of(a)]
        free = followers[a.index] * max(0.0, 1.0 - sum(a.overlap.values()))
        d.free += _log_miss(free, mass(a), sizes)
        d.free_mass += free * mass(a)
        for b, share in a.overlap.items():
            # declared followers lie inside the partner's audience: spread like the partner's
            partner = matrix.accounts[b]
            p = unit_of(partner)
            d.partners.add(p)
            part = _log_miss(share * followers[a.index], mass(partner), sizes)
            d.declared[p] = d.declared.get(p, np.zeros_like(sizes)) + part
    # declared parts add nobody new to the union: they are inside other audiences
    total_miss = sum((d.free for d in dens.values()), np.zeros_like(sizes))
    union = float((sizes * (1.0 - np.exp(total_miss))).sum())
    chance = _chance_overlaps(matrix, units, followers, dens, sizes.size)
    return AudienceEstimate(n, followers, union, chance, units)


def declared_pairs(matrix: Matrix) -> set[tuple[str, str]]:
    """Unit pairs with a declared overlap, in both directions (B's share in A follows from A's in B)."""
    out: set[tuple[str, str]] = set()
    for a in matrix.accounts:
        for b in a.overlap:
            x, y = unit_of(a), unit_of(matrix.accounts[b])
            out |= {(x, y), (y, x)}
    return out


def _chance_overlaps(
    matrix: Matrix,
    units: dict[str, list[int]],
    followers: np.ndarray,
    dens: dict[str, _UnitDensity],
    cells: int,
) -> dict[tuple[str, str], float]:
    """Share of each unit's followers expected to follow another unit by chance: its free followers spread
    over the cells, times the other unit's density there. The other unit's followers count whether free
    or declared inside a third audience, except those declared inside an audience this unit's free
    followers are drawn outside of (its own declared partners): overlap through a shared partner is implied
    by the declarations, not chance. A pair linked by a declared overlap in either direction is left out."""
    if len(units) ** 2 * cells > MAX_CELL_PRODUCTS:
        return {}
    linked = declared_pairs(matrix)
    out: dict[tuple[str, str], float] = {}
    for x, members in units.items():
        total = float(followers[members].sum())
        if total <= 0:
            continue
        for y in units:
            if x == y or (x, y) in linked:
                continue
            dy = dens[y]
            miss = dy.free + sum(
                (part for p, part in dy.declared.items() if p not in dens[x].partners), np.zeros_like(dy.free)
            )
            out[(x, y)] = float((dens[x].free_mass * (1.0 - np.exp(miss))).sum() / total)
    return out


class RelayReach:
    """Which relay edges an item can reach, and whether they are on- or off-topic for it.

    Built once per matrix; :meth:`carriers` answers per (topic, posting accounts) with a breadth-first
    search over the edges able to carry that topic (vectorised over the frontier, so millions of edges
    cost a few array passes per relay generation).
    """

    def __init__(self, matrix: Matrix):
        self.matrix = matrix
        n = len(matrix.accounts)
        src = np.array([e.source for e in matrix.relays], dtype=np.int64)
        order = np.argsort(src, kind="stable")
        self.edges = [matrix.relays[i] for i in order]
        self.src = src[order]
        self.dst = np.array([e.target for e in self.edges], dtype=np.int64)
        self.p_on = np.array([e.probability for e in self.edges], dtype=float)
        self.p_off = np.array([e.off_topic_probability for e in self.edges], dtype=float)
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.src, minlength=n), out=self.indptr[1:])
        self._cache: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}

    def on_topic(self, topic: str) -> np.ndarray:
        """Per edge (in :attr:`edges` order): True when ``topic`` is on-topic for the edge's target."""
        if topic == GENERAL_TOPIC:
            return np.ones(len(self.edges), dtype=bool)
        has = np.array([topic in a.topics for a in self.matrix.accounts], dtype=bool)
        return has[self.dst] if len(self.dst) else np.zeros(0, dtype=bool)

    def carriers(self, topic: str, posters: list[int] | tuple[int, ...]) -> np.ndarray:
        """Boolean per account: can publish an item of ``topic`` first posted by ``posters``."""
        key = (topic, tuple(sorted(set(posters))))
        if key not in self._cache:
            carry = np.where(self.on_topic(topic), self.p_on, self.p_off) > 0
            self._cache[key] = self._search(np.array(key[1], dtype=np.int64), carry)
        return self._cache[key]

    def _search(self, sources: np.ndarray, carry: np.ndarray) -> np.ndarray:
        seen = np.zeros(len(self.matrix.accounts), dtype=bool)
        seen[sources] = True
        frontier = sources
        while frontier.size:
            starts, ends = self.indptr[frontier], self.indptr[frontier + 1]
            lens = ends - starts
            total = int(lens.sum())
            if total == 0:
                break
            idx = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
            nxt = self.dst[idx[carry[idx]]]
            nxt = np.unique(nxt[~seen[nxt]])
            seen[nxt] = True
            frontier = nxt
        return seen

    def edge_status(self, topic: str, posters: list[int] | tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """(reached, on_topic) per edge for an item of ``topic`` posted by ``posters``: ``reached`` when the
        edge's source can publish the item (so the edge decides on it)."""
        reached = self.carriers(topic, posters)[self.src] if len(self.src) else np.zeros(0, dtype=bool)
        return reached, self.on_topic(topic)
