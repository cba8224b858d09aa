"""Built worlds kept per process, so a worker never rebuilds a world it already has.

Keyed by :func:`simulator.sweeps.tasks.world_key` (seed included): every point of a replicate that
shares the world-building fields reuses one world, across tasks as well as inside one. The model
never mutates a World and building draws only from the world's own random streams, so results
are bit-identical with and without the cache (tested). Memory is bounded: least recently used
worlds are dropped while the cache holds more than ``budget`` bytes (the world in use always
stays) or more than :data:`MAX_WORLDS` worlds, and before a new world is built the cache makes
room for one more of the size of the largest it has seen.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_WORLDS = 4
DEFAULT_BUDGET = 1 << 30  # bytes, when the planner did not set one


def object_bytes(obj: Any, depth: int = 4, _seen: set[int] | None = None) -> int:
    """Approximate bytes held by the numpy arrays reachable from ``obj`` (attributes, dataclass
    fields, lists, tuples and dicts, ``depth`` levels deep; shared arrays counted once)."""
    seen = _seen if _seen is not None else set()
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes) if obj.base is None or id(obj.base) not in seen else 0
    if depth <= 0 or isinstance(obj, (str, bytes, int, float, bool, type(None))):
        return 0
    if isinstance(obj, dict):
        children: Any = obj.values()
    elif isinstance(obj, (list, tuple)):
        children = obj
    elif hasattr(obj, "__dict__"):
        children = vars(obj).values()
    elif hasattr(obj, "__slots__"):
        children = [getattr(obj, s) for s in obj.__slots__ if hasattr(obj, s)]
    else:
        return 0
    return sum(object_bytes(c, depth - 1, seen) for c in children)


def world_bytes(world: Any) -> int:
    """Bytes a world holds: its own ``nbytes()`` when it has one, else :func:`object_bytes`."""
    own = getattr(world, "nbytes", None)
    if callable(own):
        return int(own())
    return object_bytes(world)


@dataclass
class CacheStats:
    """What this process's cache did (reported by the engines in their task timings)."""

    builds: int = 0
    hits: int = 0
    build_s: float = 0.0
    sizes: list[int] = field(default_factory=list)


class WorldCache:
    """An LRU of built worlds with a memory bound (one per process: :data:`CACHE`)."""

    def __init__(self) -> None:
        self.worlds: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self.largest = 0
        self.stats = CacheStats()

    @property
    def nbytes(self) -> int:
        return sum(size for _, size in self.worlds.values())

    def get(self, key: str, build: Callable[[], Any], budget: int | None = None) -> Any:
        """The world for ``key``, built by ``build()`` when this process does not hold it."""
        if key in self.worlds:
            self.worlds.move_to_end(key)
            self.stats.hits += 1
            return self.worlds[key][0]
        limit = DEFAULT_BUDGET if budget is None else budget
        self._evict(limit - self.largest, MAX_WORLDS - 1)  # room for one more before building
        t0 = time.perf_counter()
        world = build()
        self.stats.build_s += time.perf_counter() - t0
        self.stats.builds += 1
        size = world_bytes(world)
        self.largest = max(self.largest, size)
        self.stats.sizes.append(size)
        self.worlds[key] = (world, size)
        self._evict(limit, MAX_WORLDS, keep=key)
        return world

    def _evict(self, limit: int, count: int, keep: str | None = None) -> None:
        while self.worlds and (self.nbytes > limit or len(self.worlds) > count):
            oldest = next(iter(self.worlds))
            if oldest == keep:
                return
            del self.worlds[oldest]

    def clear(self) -> None:
        """Drop every world (e.g. after an in-process sweep: the memory goes back to the caller)."""
        self.worlds.clear()
        self.largest = 0


CACHE = WorldCache()
