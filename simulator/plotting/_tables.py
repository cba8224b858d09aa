"""Helpers shared by the chart modules: table checks, groups, notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd

from simulator.plotting.data import group_values
from simulator.plotting.labels import text
from simulator.plotting.names import param_value

BAND_ALPHA = 0.18


def where_note(
    where: Mapping[str, Any] | None, lang: str, skip: Sequence[str] = (), table: pd.DataFrame | None = None
) -> str:
    """ "at p0 = 0.00316" for the parameters held fixed; ``table`` holds their other swept values
    (so that the printed value is told apart from its neighbours)."""
    items = {k: v for k, v in (where or {}).items() if k not in skip}
    if not items:
        return ""
    desc = ", ".join(param_value(k, v, among(table, k), lang) for k, v in items.items())
    return text("held_at", lang, desc=desc)


def among(table: pd.DataFrame | None, column: str) -> list[Any] | None:
    """The distinct values of ``column`` (``None`` if the table has no such column)."""
    if table is None or column not in table.columns:
        return None
    return list(pd.unique(table[column]))


def join_notes(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def split_groups(table: pd.DataFrame, by: str | None) -> list[tuple[Any, pd.DataFrame]]:
    values = group_values(table, by)
    if by is None:
        return [(None, table)]
    return [(v, table[table[by] == v]) for v in values]


def n_replicates(points: pd.DataFrame) -> int | None:
    if "n" not in points.columns or points.empty:
        return None
    n = pd.to_numeric(points["n"], errors="coerce")
    return int(n.min()) if n.notna().all() else None


def has_ci(sub: pd.DataFrame, metric: str) -> bool:
    cols = (f"{metric}_ci_low", f"{metric}_ci_high")
    return all(c in sub.columns for c in cols) and bool(np.isfinite(sub[list(cols)].to_numpy(float)).all())


def require(table: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise ValueError(f"{what}: the table has no column(s) {', '.join(missing)}")


def lighten(color: str, amount: float) -> tuple[float, float, float]:
    r, g, b = mpl.colors.to_rgb(color)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


#: Mean exits per point at or below which exit differences are treated as noise.
FEW_EXITS = 1.0


def few_exits_note(exits_mean: pd.Series, lang: str) -> str:
    """Footer note when every point averages at most :data:`FEW_EXITS` exits (else "")."""
    e = pd.to_numeric(exits_mean, errors="coerce").dropna()
    if e.empty or e.max() > FEW_EXITS:
        return ""
    return text("no_exits" if e.max() == 0 else "few_exits", lang)
