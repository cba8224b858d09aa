"""Sweep tasks: what a worker receives (runs of one replicate sharing a world) and returns.

A task groups runs of one replicate whose points share the world-building fields
(:func:`world_key`); an engine (:mod:`simulator.sweeps.engines`) takes the follower world from its
process's cache (:mod:`simulator.sweeps.worldcache`), building it only when that process does not
have it yet, and hands it to each run. The model never mutates a World, and building draws only
from the world's own random streams, so results are bit-identical with and without the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from simulator.sweeps.engines import Engine

# Summary keys that are not metrics (descriptive strings, or already a column of the runs table).
NON_METRICS = frozenset({"scenario", "topology", "seed", "propsim_version"})


@dataclass(frozen=True)
class RunSpec:
    """One run: its id, point index, replicate, seed, scenario overrides and column values."""

    run_id: str
    point: int
    replicate: int
    seed: int
    overrides: tuple  # ((path, value), ...)
    params: tuple  # ((column name, column value), ...)


@dataclass(frozen=True)
class TaskSpec:
    """A unit of work sent to a worker: runs of one replicate sharing one world, in plan order."""

    index: int
    runs: tuple[RunSpec, ...]


@dataclass
class RunContext:
    """What every task of a sweep shares: the scenario document and the per-run options."""

    doc: dict
    source: str
    locs: dict = field(default_factory=dict)
    fixed: tuple = ()  # fixed overrides ((path, value), ...) applied before the swept ones
    scale: float | None = None
    metrics: Callable[[Any], Mapping[str, Any]] | None = None
    cache_worlds: bool = True
    engine: str | Engine = "abm"
    world_cache_bytes: int | None = None  # per worker process (None: the cache's default)


@dataclass
class TaskResult:
    """Tables of a finished task: ``runs`` (one row each), ``timeseries`` and ``frequency``."""

    index: int
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    frequency: pd.DataFrame
    # optional, for planning and reports: builds, build_s (world building), run_s (the runs
    # without building), world_bytes (largest world built)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return int((self.runs["status"] != "ok").sum())


# --- world cache ----------------------------------------------------------------------------------


def world_key(sc: Any, matrix: Any, with_seed: bool = True) -> str:
    """Hash of everything :func:`simulator.world.build.build_world` reads: the seed, population, graph,
    fatigue tolerance and churn rate, and the expanded accounts (followers, targeting, overlap,
    build order). Points with equal keys (and equal seeds) get the very same world."""
    accounts = []
    for a in matrix.accounts:
        d = {f.name: getattr(a, f.name) for f in dataclasses.fields(a) if f.name != "spec_path"}
        d["followers"] = a.followers.model_dump(mode="json")
        d["topics"] = sorted(a.topics)
        d["overlap"] = sorted(a.overlap.items())
        accounts.append(d)
    parts = {
        "seed": sc.seed if with_seed else None,
        "population": sc.population.model_dump(mode="json"),
        "graph": sc.graph.model_dump(mode="json"),
        "tolerance": sc.fatigue.tolerance.model_dump(mode="json"),
        "churn_per_day": sc.fatigue.churn_per_day,
        "accounts": accounts,
        "build_order": list(matrix.build_order),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def scalar_metrics(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Scalar metrics of a run summary (ints, floats; None -> NaN), without descriptive fields."""
    out: dict[str, Any] = {}
    for k, v in summary.items():
        if k in NON_METRICS:
            continue
        if v is None:
            out[k] = math.nan
        elif isinstance(v, bool):
            out[k] = int(v)
        elif isinstance(v, (int, float)):
            out[k] = v
        elif hasattr(v, "item") and not hasattr(v, "__len__"):  # numpy scalar
            out[k] = v.item()
    return out


def extra_metrics(fn: Callable, result: Any, taken: set[str]) -> dict[str, Any]:
    got = fn(result)
    if not isinstance(got, Mapping):
        raise TypeError(f"the metrics function must return a mapping of name -> number, got {type(got).__name__}")
    out = {}
    for k, v in got.items():
        k = str(k)
        if k in taken:
            raise ValueError(f"the metrics function returned {k!r}, which is already a column of the runs table")
        if hasattr(v, "item") and not hasattr(v, "__len__"):
            v = v.item()
        if v is None:
            v = math.nan
        if not isinstance(v, (int, float, str)):
            raise TypeError(f"metric {k!r} must be a scalar, got {type(v).__name__}")
        out[k] = v
    return out


def runs_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for c in df.columns:  # integer metrics stay integers next to a failed run's empty cells
        vals = [r[c] for r in rows if c in r and r[c] is not None]
        if (
            len(vals) < len(rows)
            and vals
            and c not in ("replicate", "seed")
            and all(isinstance(v, int) and not isinstance(v, bool) for v in vals)
        ):
            df[c] = pd.array([r.get(c) for r in rows], dtype="Int64")
    cols = [c for c in df.columns if c != "traceback"] + ["traceback"]  # contract order, traceback last
    return df[cols]


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
