"""Results of plain independent-cascade runs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class CascadeResult:
    """Outcome of one cascade.

    Attributes:
        activated: active node ids (int32) in breadth-first order: seeds first, then depth 1...
            (order inside one depth level is backend-specific).
        level_starts: ``activated[level_starts[d]:level_starts[d+1]]`` are the nodes at depth d.
        n_activated: ``len(activated)``: seeds plus reposters (the count cynetdiff and NDlib report).
        n_exposed: nodes that received at least one delivery (None if not counted).
        n_reached: nodes activated or exposed (None if exposures were not counted).
        edges_examined: transmission trials made = total out-degree of the activated nodes
            (+ audience trials); the work an edge-by-edge simulator does.

    The fast path of :meth:`~simulator.ic.cascade.Cascader.run` returns the counts at once and
    leaves ``activated`` / ``level_starts`` in the Cascader's scratch: they are copied out the
    first time they are read, or before the Cascader's next call if this result is still alive
    (a cascade whose node list nobody reads costs no copy). Values never change either way.
    """

    # __weakref__: where exact reference counts are not available, a lazy result is tracked by
    # its Cascader through a weak reference
    __slots__ = (
        "_activated",
        "_level_starts",
        "_src",
        "n_activated",
        "n_exposed",
        "n_reached",
        "edges_examined",
        "__weakref__",
    )

    def __init__(
        self,
        activated: np.ndarray,
        level_starts: np.ndarray,
        n_exposed: int | None,
        n_reached: int | None,
        edges_examined: int,
    ) -> None:
        self._activated = activated
        self._level_starts = level_starts
        self._src: tuple[np.ndarray, np.ndarray, int] | None = None
        self.n_activated = len(activated)
        self.n_exposed = n_exposed
        self.n_reached = n_reached
        self.edges_examined = edges_examined

    def _materialize(self) -> None:
        """Copy the node list out of the Cascader's scratch (lazy results only)."""
        src = self._src
        if src is not None:
            queue, starts, n_starts = src
            self._activated = queue[: self.n_activated].copy()
            self._level_starts = starts[:n_starts].astype(np.int64)
            self._src = None

    @property
    def activated(self) -> np.ndarray:
        if self._src is not None:
            self._materialize()
        return self._activated

    @property
    def level_starts(self) -> np.ndarray:
        if self._src is not None:
            self._materialize()
        return self._level_starts

    @property
    def size(self) -> int:
        """Alias of :attr:`n_activated`."""
        return self.n_activated

    @property
    def depth(self) -> np.ndarray:
        """Depth (hops from the seeds; audience reposters are at depth 1) of each activated node."""
        ls = self.level_starts
        return np.repeat(np.arange(len(ls) - 1, dtype=np.int32), np.diff(ls))

    @property
    def max_depth(self) -> int:
        return max(len(self.level_starts) - 2, 0)

    def mask(self, n: int) -> np.ndarray:
        """Boolean mask of the activated nodes among ``n``."""
        m = np.zeros(n, dtype=bool)
        m[self.activated] = True
        return m

    def __repr__(self) -> str:
        return (
            f"CascadeResult(n_activated={self.n_activated}, n_exposed={self.n_exposed}, "
            f"n_reached={self.n_reached}, edges_examined={self.edges_examined})"
        )


class _LazyResult(CascadeResult):
    """A result whose node list is still ``queue[:n_activated]`` of its Cascader's scratch
    (see :class:`CascadeResult`). Made by the fast path only, without ``__init__`` (a Python
    frame costs as much as a tiny cascade's bookkeeping): it sets ``_src`` = (queue, starts,
    len(starts) used), ``n_activated`` and ``edges_examined``; ``_activated`` and
    ``_level_starts`` are set when the node list is copied out."""

    __slots__ = ()
    # class-level values shadow the base class's slots: never assigned on a lazy result
    n_exposed = None
    n_reached = None


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
