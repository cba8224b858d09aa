"""A sweep's consolidated tables: building them from the parts, reading them back.

Tables (``FMT`` = parquet or csv): ``runs`` (one row per run), ``timeseries``, ``frequency``,
``points`` (one row per parameter point, unpaired intervals clipped to each metric's feasible
range) and ``differences`` (paired differences against the baseline point,
:mod:`simulator.sweeps.differences`). The manifest's ``differences`` entry records the baseline,
the confidence level and, per metric, how much pairing narrowed the interval.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.scenario.sweep_spec import column_values
from simulator.sweeps.differences import CONFIDENCE, ci_width_ratio, paired_differences
from simulator.sweeps.plan import SweepPlan
from simulator.sweeps.store import SweepStore, points_table

TABLE_NAMES = ("runs", "timeseries", "points", "frequency", "differences")


@dataclass
class SweepResult:
    """Tables of a sweep (pandas DataFrames) and where they were written.

    ``runs``: one row per run (parameters, replicate, seed, status, error, duration_s, metrics,
    traceback); ``timeseries``: run_id + the per-tick series; ``frequency``: run_id, exposures,
    followers; ``points``: one row per parameter point with n and M_mean / M_sd / M_ci_low /
    M_ci_high for every metric M; ``differences``: one row per (non-baseline point, metric) with
    the paired difference against the baseline and its 95% interval (see
    :mod:`simulator.sweeps.differences`).
    """

    runs: pd.DataFrame
    timeseries: pd.DataFrame
    points: pd.DataFrame
    frequency: pd.DataFrame
    manifest: dict[str, Any]
    output: Path | None = None
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def parameters(self) -> list[str]:
        return [p["path"] for p in self.manifest.get("sweep", {}).get("parameters", [])]

    @property
    def baseline(self) -> dict[str, Any]:
        """``{parameter: value}`` of the point the ``differences`` table compares against."""
        return dict(self.manifest.get("differences", {}).get("baseline", {}))

    @property
    def failed(self) -> pd.DataFrame:
        """Rows of the failed runs (error and traceback included)."""
        return self.runs[self.runs["status"] != "ok"]

    def __repr__(self) -> str:
        n = len(self.runs)
        return (
            f"<SweepResult {self.manifest.get('name')!r}: {n} runs ({len(self.failed)} failed), "
            f"{len(self.points)} points, parameters {self.parameters}"
            + (f", in {self.output}" if self.output else "")
            + ">"
        )


def consolidate(plan: SweepPlan, store: SweepStore, legacy: bool = False) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Write the consolidated tables from the intact parts (damaged ones are discarded: their runs
    count as not run); return the runs table and the manifest entries that describe them
    (``differences``, ``parameter_labels``, ``plausible``)."""
    reps = plan.spec.replicates
    point_of: dict[str, int] = {}
    order: dict[str, int] = {}
    for t in plan.tasks:
        for r in t.runs:
            point_of[r.run_id] = r.point
            order[r.run_id] = r.point * reps + r.replicate  # runs table: by point, then replicate
    names = plan.spec.names
    str_params = [p.name for p in plan.spec.parameters if any(isinstance(v, str) for v in p.column())]
    intact = store.task_states(plan.tasks, legacy)
    runs = store.consolidate([t.index for t in plan.tasks if t.index in intact], order, names, str_params)
    store.write_table("points", points_table(runs, names, plan.column_points(), point_of))
    diffs = paired_differences(runs, names, plan.baseline, CONFIDENCE)
    store.write_table("differences", diffs)
    meta = {
        "differences": {
            "baseline": dict(plan.baseline),
            "confidence": CONFIDENCE,
            "ci_width_ratio": ci_width_ratio(diffs),
        },
        **plan.metadata,
    }
    return runs, meta


def read_sweep(folder: str | os.PathLike) -> SweepResult:
    """Read a sweep folder's consolidated tables (every run, failed ones included)."""
    folder = Path(folder)
    mpath = folder / "manifest.json"
    if not mpath.is_file():
        raise FileNotFoundError(f"{folder}: no manifest.json here (not a propsim sweep folder)")
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    fmt = manifest.get("plan", {}).get("format", "csv")
    # CSV cannot tell "1" from 1: parameters with string values are read back as strings
    str_params = [
        p["path"]
        for p in manifest.get("sweep", {}).get("parameters", [])
        if any(isinstance(v, str) for v in column_values(p["values"]))
    ]
    store = SweepStore(folder, fmt)
    tables = {}
    for name in TABLE_NAMES:
        p = store.table(name)
        extra = ["metric"] if name == "differences" else []
        tables[name] = store.read(p, str_columns=[*str_params, *extra]) if p.is_file() else pd.DataFrame()
    return SweepResult(
        tables["runs"],
        tables["timeseries"],
        tables["points"],
        tables["frequency"],
        manifest,
        folder,
        tables["differences"],
    )
