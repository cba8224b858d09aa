"""Results of plain independent-cascade runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class CascadeResult:
    """Outcome of one cascade.

    Attributes:
        activated: active node ids (int32) in breadth-first order: seeds first, then depth 1...
            (order inside one depth level is backend-specific).
        level_starts: ``activated[level_starts[d]:level_starts[d+1]]`` are the nodes at depth d.
        n_exposed: nodes that received at least one delivery (None if not counted).
        n_reached: nodes activated or exposed (None if exposures were not counted).
        edges_examined: transmission trials made = total out-degree of the activated nodes
            (+ audience trials); the work an edge-by-edge simulator does.
    """

    activated: np.ndarray
    level_starts: np.ndarray
    n_exposed: int | None
    n_reached: int | None
    edges_examined: int

    @property
    def n_activated(self) -> int:
        """Seeds plus reposters (the count cynetdiff and NDlib report)."""
        return len(self.activated)

    size = n_activated

    @property
    def depth(self) -> np.ndarray:
        """Depth (hops from the seeds; audience reposters are at depth 1) of each activated node."""
        return np.repeat(np.arange(len(self.level_starts) - 1, dtype=np.int32), np.diff(self.level_starts))

    @property
    def max_depth(self) -> int:
        return max(len(self.level_starts) - 2, 0)

    def mask(self, n: int) -> np.ndarray:
        """Boolean mask of the activated nodes among ``n``."""
        m = np.zeros(n, dtype=bool)
        m[self.activated] = True
        return m


@dataclass
class BatchResult:
    """Per-replicate outcomes of :meth:`Cascader.run_many` (int64 arrays, one entry each)."""

    n_activated: np.ndarray
    n_exposed: np.ndarray | None
    n_reached: np.ndarray | None
    edges_examined: np.ndarray


@dataclass
class ReachCurve:
    """Final sizes of one replicate at every p of a grid (same uniforms for every p).

    ``activated[k]``, ``exposed[k]`` and ``reached[k]`` are what :func:`independent_cascade`
    returns at ``ps[k]`` with the same key / uniforms (exposed and reached are None when not
    counted).
    """

    ps: np.ndarray
    activated: np.ndarray
    exposed: np.ndarray | None
    reached: np.ndarray | None
    edges_examined: int
