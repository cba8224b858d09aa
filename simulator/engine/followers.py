"""An agent-like view of the vectorised follower population.

Followers are model agents too, but a million Python objects would cost seconds per tick, so
their state lives in numpy arrays owned by the model. :class:`Followers` lets a notebook user
inspect them as they would Mesa agents: ``len(model.followers)``, ``model.followers[i]`` (one
follower's state as a dict), ``select(region=..., interest=..., reached=...)`` (indices) and
``groupby("region")`` / ``to_frame()`` for summaries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from simulator.engine.model import PropagationModel


class Followers:
    """Per-follower state by index; every array has length ``len(self)``."""

    def __init__(self, model: PropagationModel):
        self._m = model

    def __len__(self) -> int:
        return self._m.world.n

    @property
    def region(self) -> np.ndarray:
        """Region name of every follower (array of str)."""
        return np.asarray(self._m.world.region_names, dtype=object)[self._m.world.region]

    @property
    def interest(self) -> np.ndarray:
        """Interest topic of every follower (array of str)."""
        return np.asarray(self._m.world.interest_names, dtype=object)[self._m.world.interest]

    @property
    def tolerance(self) -> np.ndarray:
        """Fatigue tolerance theta (load units)."""
        return self._m.world.tolerance

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
        return self._m.reposted.sum(axis=0)

    @property
    def first_exposure_h(self) -> np.ndarray:
        """Hour of the first delivery (NaN if never reached)."""
        return self._m.first_time

    @property
    def fatigued(self) -> np.ndarray:
        """True once an account's load exceeded the follower's tolerance."""
        return self._m.fatigued

    def followees(self, i: int) -> np.ndarray:
        """Matrix accounts (indices) that follower ``i`` followed at the start."""
        aud = self._m.world.audience
        return self._m.edge_account[np.flatnonzero(aud.indices == i)]

    def followers_of(self, i: int) -> np.ndarray:
        """Followers who see follower ``i``'s reposts."""
        return self._m.world.graph.row(i)

    def __getitem__(self, i: int) -> dict[str, Any]:
        if not 0 <= i < len(self):
            raise IndexError(f"follower {i} out of range (0..{len(self) - 1})")
        m = self._m
        return {
            "index": i,
            "region": m.world.region_names[m.world.region[i]],
            "interest": m.world.interest_names[m.world.interest[i]],
            "tolerance": float(m.world.tolerance[i]),
            "exposures": int(m.exposures[i]),
            "reposted_items": np.flatnonzero(m.reposted[:, i]).tolist(),
            "first_exposure_h": None if np.isnan(m.first_time[i]) else float(m.first_time[i]),
            "first_account": None if m.first_account[i] < 0 else m.accounts[m.first_account[i]].data.id,
            "reached_directly": bool(m.direct[i]),
            "fatigued": bool(m.fatigued[i]),
            "followers": int(m.world.graph.indptr[i + 1] - m.world.graph.indptr[i]),
        }

    def select(self, region: str | None = None, interest: str | None = None, reached: bool | None = None) -> np.ndarray:
        """Indices of followers matching every given criterion.

        >>> model.followers.select(region="华东", reached=True)  # doctest: +SKIP
        """
        m = self._m
        mask = np.ones(len(self), dtype=bool)
        if region is not None:
            mask &= m.world.region == _index(m.world.region_names, region, "region")
        if interest is not None:
            mask &= m.world.interest == _index(m.world.interest_names, interest, "interest")
        if reached is not None:
            mask &= self.reached == reached
        return np.flatnonzero(mask)

    def to_frame(self) -> pd.DataFrame:
        """One row per follower (use on small populations; 1M rows is ~100 MB)."""
        import pandas as pd

        m = self._m
        return pd.DataFrame(
            {
                "region": pd.Categorical.from_codes(m.world.region, m.world.region_names),
                "interest": pd.Categorical.from_codes(m.world.interest, m.world.interest_names),
                "tolerance": m.world.tolerance,
                "exposures": m.exposures,
                "reposts": self.reposts,
                "first_exposure_h": m.first_time,
                "reached_directly": m.direct,
                "fatigued": m.fatigued,
            }
        )

    def groupby(self, by: str = "region") -> pd.DataFrame:
        """Size, reach, mean exposures and fatigue share per region or interest."""
        import pandas as pd

        m = self._m
        if by not in ("region", "interest"):
            raise ValueError("groupby takes 'region' or 'interest'")
        codes = m.world.region if by == "region" else m.world.interest
        names = m.world.region_names if by == "region" else m.world.interest_names
        k = len(names)
        size = np.bincount(codes, minlength=k)
        reached = np.bincount(codes, weights=self.reached, minlength=k)
        expo = np.bincount(codes, weights=m.exposures, minlength=k)
        fat = np.bincount(codes, weights=m.fatigued, minlength=k)
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
