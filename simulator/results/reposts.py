"""Per-repost tables of one run (from ``PropagationModel(record_reposts=True).repost_table()``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def executed_reposts(table: pd.DataFrame, posted_h: Sequence[float]) -> pd.DataFrame:
    """The reposts published before the horizon: ``time_h`` (hour published), ``item``, ``depth``,
    ``origin`` and ``delay_h`` (hours since the item's original post at ``posted_h[item]``)."""
    done = table[table["executed"].astype(bool)]
    items = done["item"].to_numpy(dtype=np.int64)
    when = done["due_h"].to_numpy(dtype=np.float64)
    posted = np.asarray(posted_h, dtype=np.float64)
    return pd.DataFrame(
        {
            "time_h": when,
            "item": items,
            "depth": done["depth"].to_numpy(dtype=np.int64),
            "origin": done["origin"].to_numpy(),
            "delay_h": when - posted[items],
        }
    )


def decisions_by_depth(table: pd.DataFrame, n_items: int, max_depth: int = 64) -> np.ndarray:
    """Repost decisions per item and depth (executed or not): array ``(n_items, max_depth + 1)``,
    column ``d`` = depth ``d`` (the last column collects deeper ones)."""
    out = np.zeros((n_items, max_depth + 1), dtype=np.int64)
    depth = np.minimum(table["depth"].to_numpy(dtype=np.int64), max_depth)
    np.add.at(out, (table["item"].to_numpy(dtype=np.int64), depth), 1)
    return out
