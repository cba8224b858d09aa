"""The follower population: people laid out in contiguous region x interest cells.

Person ``i``'s region and interest follow from its index (cells are index ranges, region-major), and
its fatigue tolerance is a pure function of ``(seed, i)`` (:mod:`simulator.streams`), so a population of
any size costs a few hundred bytes until someone asks for per-person arrays (:meth:`Population.dense`),
which explicit (small) worlds materialise for speed and platform-scale worlds never do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator import streams as S
from simulator.scenario.schema import Scenario


def exact_counts(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of ``total * weights / sum(weights)`` (sums to ``total``)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    counts = np.floor(raw).astype(np.int64)
    short = total - counts.sum()
    if short:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


@dataclass(frozen=True)
class Population:
    """Who the people are, without per-person arrays.

    Attributes:
        n: number of people.
        region_names, interest_names: the scenario's regions and interests, in order.
        cell_starts: int64, ``n_regions * n_interests + 1`` boundaries of the region-major cells
            (cell ``r * n_interests + q`` holds the people of region ``r`` with interest ``q``).
        tol_key: stream key of the tolerances; ``tol_median``, ``tol_sigma``: their lognormal law.
    """

    n: int
    region_names: tuple[str, ...]
    interest_names: tuple[str, ...]
    cell_starts: np.ndarray
    tol_key: int
    tol_median: float
    tol_sigma: float

    @property
    def n_regions(self) -> int:
        return len(self.region_names)

    @property
    def n_interests(self) -> int:
        return len(self.interest_names)

    @property
    def region_bounds(self) -> np.ndarray:
        """int64 ``n_regions + 1`` boundaries of the regions (people are laid out region by region)."""
        return np.ascontiguousarray(self.cell_starts[:: self.n_interests])

    @property
    def cells(self) -> np.ndarray:
        """(n_regions, n_interests + 1): start of each cell, last column = end of the region."""
        starts = self.cell_starts[:-1].reshape(self.n_regions, self.n_interests)
        return np.hstack([starts, self.region_bounds[1:, None]])

    def cell_of(self, people: np.ndarray) -> np.ndarray:
        """Cell index of each person (int64)."""
        return np.searchsorted(self.cell_starts, np.asarray(people, dtype=np.int64), side="right") - 1

    def region_of(self, people: np.ndarray) -> np.ndarray:
        """Region index of each person."""
        return (self.cell_of(people) // self.n_interests).astype(np.uint16)

    def interest_of(self, people: np.ndarray) -> np.ndarray:
        """Interest index of each person."""
        return (self.cell_of(people) % self.n_interests).astype(np.uint16)

    def tolerance_of(self, people: np.ndarray) -> np.ndarray:
        """Fatigue tolerance theta of each person (float32, load units)."""
        z = S.normals(self.tol_key, np.asarray(people, dtype=np.int64))
        return (self.tol_median * np.exp(self.tol_sigma * z)).astype(np.float32)

    def dense(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(region, interest, tolerance) of every person, materialised (about 8 bytes a person)."""
        sizes = np.diff(self.cell_starts)
        cells = np.arange(len(sizes))
        region = np.repeat((cells // self.n_interests).astype(np.uint16), sizes)
        interest = np.repeat((cells % self.n_interests).astype(np.uint16), sizes)
        return region, interest, self.tolerance_of(np.arange(self.n, dtype=np.int64))


def build_population(sc: Scenario) -> Population:
    """The population of a scenario: cell sizes from the region and interest weights."""
    n = sc.population.size
    rw = np.array(list(sc.population.regions.values()), dtype=float)
    iw = np.array(list(sc.population.interests.values()), dtype=float)
    counts = exact_counts(n, np.outer(rw, iw).ravel())
    starts = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    tol = sc.fatigue.tolerance
    return Population(
        n,
        tuple(sc.population.regions),
        tuple(sc.population.interests),
        starts,
        S.kind_key(sc.seed, S.TOLERANCE),
        float(tol.median),
        float(tol.sigma),
    )
