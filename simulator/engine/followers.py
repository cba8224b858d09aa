"""An agent-like view of the follower population.

Followers are model agents too, but a million Python objects would cost seconds per tick, so their
state lives in compiled tables owned by the model. :class:`Followers` lets a notebook user inspect them
as they would Mesa agents: ``len(model.followers)``, ``model.followers[i]`` (one follower's state as a
dict), ``select(region=..., interest=..., reached=...)`` (indices) and ``groupby("region")`` /
``to_frame()`` for summaries. Whole-population views build dense arrays: use them on small worlds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from simulator.engine.model import PropagationModel


class Followers:
    """Per-follower state by index."""

    def __init__(self, model: PropagationModel):
        self._m = model

    def __len__(self) -> int:
        return self._m.world.n

    def _region_codes(self) -> np.ndarray:
        w = self._m.world
        return w.region if w.region is not None else w.population.region_of(np.arange(w.n))

    def _interest_codes(self) -> np.ndarray:
        w = self._m.world
        return w.interest if w.interest is not None else w.population.interest_of(np.arange(w.n))

    @property
    def region(self) -> np.ndarray:
        """Region name of every follower (array of str)."""
        return np.asarray(self._m.world.region_names, dtype=object)[self._region_codes()]

    @property
    def interest(self) -> np.ndarray:
        """Interest topic of every follower (array of str)."""
        return np.asarray(self._m.world.interest_names, dtype=object)[self._interest_codes()]

    @property
    def tolerance(self) -> np.ndarray:
        """Fatigue tolerance theta (load units)."""
        w = self._m.world
        return w.tolerance if w.tolerance is not None else w.population.tolerance_of(np.arange(w.n))

    @property
    def exposures(self) -> np.ndarray:
        """Deliveries received, all items together."""
        return self._m.exposures

    @property
    def reached(self) -> np.ndarray:
        """True for followers who received at least one delivery."""
        return self._m.exposures > 0

    @property
    def reposts(self) -> np.ndarray:
        """Number of items each follower decided to repost."""
        return self._m.reposts_per_person()

    @property
    def fatigued(self) -> np.ndarray:
        """True once an account's load exceeded the follower's tolerance."""
        return self._m.fatigued

    def followees(self, i: int) -> np.ndarray:
        """Matrix accounts (indices) that follower ``i`` followed at the start."""
        aud = self._m.world.audience
        edges = np.flatnonzero(aud.indices == i)
        return np.searchsorted(aud.indptr, edges, side="right") - 1

    def followers_of(self, i: int) -> np.ndarray:
        """Followers who see follower ``i``'s reposts."""
        return self._m.world.followers_of(i)

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"follower {i} out of range (0..{len(self) - 1})")
        m, w = self._m, self._m.world
        pop = w.population
        person = np.array([i])
        flags_direct, flags_fat = m.direct, m.fatigued
        return {
            "index": i,
            "region": w.region_names[int(pop.region_of(person)[0])],
            "interest": w.interest_names[int(pop.interest_of(person)[0])],
            "tolerance": float(pop.tolerance_of(person)[0]),
            "exposures": int(m.exposures[i]),
            "reposts": int(m.reposts_per_person()[i]),
            "reached_directly": bool(flags_direct[i]),
            "fatigued": bool(flags_fat[i]),
            "followers": len(w.followers_of(i)),
        }

    def select(self, region: str | None = None, interest: str | None = None, reached: bool | None = None) -> np.ndarray:
        """Indices of followers matching every given criterion.

        >>> model.followers.select(region="华东", reached=True)  # doctest: +SKIP
        """
        w = self._m.world
        mask = np.ones(len(self), dtype=bool)
        if region is not None:
            mask &= self._region_codes() == _index(w.region_names, region, "region")
        if interest is not None:
            mask &= self._interest_codes() == _index(w.interest_names, interest, "interest")
        if reached is not None:
            mask &= self.reached == reached
        return np.flatnonzero(mask)

    def to_frame(self) -> pd.DataFrame:
        """One row per follower (use on small populations; 1M rows is ~100 MB)."""
        import pandas as pd

        w = self._m.world
        return pd.DataFrame(
            {
                "region": pd.Categorical.from_codes(self._region_codes(), w.region_names),
                "interest": pd.Categorical.from_codes(self._interest_codes(), w.interest_names),
                "tolerance": self.tolerance,
                "exposures": self.exposures,
                "reposts": self.reposts,
                "reached_directly": self._m.direct,
                "fatigued": self._m.fatigued,
            }
        )

    def groupby(self, by: str = "region") -> pd.DataFrame:
        """Size, reach, mean exposures and fatigue share per region or interest."""
        import pandas as pd

        w = self._m.world
        if by not in ("region", "interest"):
            raise ValueError("groupby takes 'region' or 'interest'")
        codes = self._region_codes() if by == "region" else self._interest_codes()
        names = w.region_names if by == "region" else w.interest_names
        k = len(names)
        exposures = self.exposures
        size = np.bincount(codes, minlength=k)
        reached = np.bincount(codes, weights=exposures > 0, minlength=k)
        expo = np.bincount(codes, weights=exposures, minlength=k)
        fat = np.bincount(codes, weights=self._m.fatigued, minlength=k)
        return pd.DataFrame(
            {
                by: names,
                "followers": size,
                "reached": reached.astype(np.int64),
                "reach_share": reached / np.maximum(size, 1),
                "mean_exposures": expo / np.maximum(size, 1),
                "fatigued": fat.astype(np.int64),
            }
        ).set_index(by)


def _index(names: list[str], value: str, what: str) -> int:
    try:
        return names.index(value)
    except ValueError:
        raise ValueError(f"unknown {what} {value!r}; known: {names}") from None
