"""The follower population: people laid out in contiguous region x interest cells, with a fatigue
tolerance each (contiguous cells make targeted sampling and regional locality index ranges)."""

from __future__ import annotations

import numpy as np

from simulator.scenario.schema import Scenario


def _exact_counts(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of ``total * weights / sum(weights)`` (sums to ``total``)."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    counts = np.floor(raw).astype(np.int64)
    short = total - counts.sum()
    if short:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def build_population(sc: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Followers laid out region by region, and inside a region interest by interest.

    Returns (region, interest, cells, tolerance). Contiguous cells make targeted sampling and
    regional locality a matter of index ranges.
    """
    n = sc.population.size
    rw = np.array(list(sc.population.regions.values()), dtype=float)
    iw = np.array(list(sc.population.interests.values()), dtype=float)
    cell_counts = _exact_counts(n, np.outer(rw, iw).ravel()).reshape(len(rw), len(iw))
    starts = np.zeros(cell_counts.size + 1, dtype=np.int64)
    np.cumsum(cell_counts.ravel(), out=starts[1:])
    cells = starts[:-1].reshape(len(rw), len(iw))
    cells = np.hstack([cells, np.append(cells[1:, 0], n)[:, None]])
    flat = np.arange(cell_counts.size)
    region = np.repeat(flat // len(iw), cell_counts.ravel()).astype(np.uint16)
    interest = np.repeat(flat % len(iw), cell_counts.ravel()).astype(np.uint16)
    tol = sc.fatigue.tolerance
    tolerance = (tol.median * np.exp(tol.sigma * rng.standard_normal(n))).astype(np.float32)
    return region, interest, cells, tolerance
