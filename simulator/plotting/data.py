"""Reading result folders for plotting: a single run or a sweep, as tidy tables.

A **run folder** (``propsim run``) holds ``summary.json``, ``scenario.json`` and the
``timeseries`` / ``accounts`` / ``relays`` / ``frequency`` tables. A **sweep folder**
(``propsim sweep``, see the sweep output contract in the project notes) holds ``manifest.json``,
``runs`` (one row per run), ``timeseries`` (``run_id`` + the per-tick series) and ``points`` (one
row per parameter point with ``M_mean``, ``M_sd``, ``M_ci_low``, ``M_ci_high`` per metric).
Tables may be Parquet, CSV (UTF-8, BOM allowed) or JSON records; Parquet wins when several exist.

The swept parameters are the columns named by their scenario path (``behaviour.p0``,
``relays.0.probability``, ``topology``...). Charts 1-3 draw a metric against one numeric
parameter (*x*) with one line per value of another (*by*, ``topology`` when swept); every
other swept parameter is held at one value (*where*).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.plotting.formatters import format_value
from simulator.plotting.palette import TOPOLOGY_COLORS

__all__ = [
    "RunData",
    "Selection",
    "SweepData",
    "compute_points",
    "load_results",
    "load_run",
    "load_sweep",
    "read_table",
    "select",
    "sweep_params",
]

_TABLE_EXTS = ("parquet", "csv", "json")
_STAT_SUFFIXES = ("_mean", "_sd", "_ci_low", "_ci_high")
# Columns of the runs table that describe a run rather than a parameter or a metric.
_RUN_BOOKKEEPING = ("run_id", "replicate", "seed", "status", "error", "duration_s")
# Preferred x axes, in order: the base repost probability, then any relay probability.
_X_PREFERENCE = ("behaviour.p0", "behaviour.p0_promotional")


def read_table(folder: str | os.PathLike, name: str) -> pd.DataFrame | None:
    """Read ``folder/name.{parquet,csv,json}`` (first found), or ``None`` if none exists."""
    folder = Path(folder)
    for ext in _TABLE_EXTS:
        path = folder / f"{name}.{ext}"
        if not path.is_file():
            continue
        if ext == "parquet":
            try:
                return pd.read_parquet(path)
            except ImportError as e:  # pyarrow is an optional extra
                raise RuntimeError(
                    f"{path} is a Parquet table and reading it needs pyarrow: install propsim with "
                    "the 'parquet' extra (uv sync --extra parquet, or pip install 'propsim[parquet]')"
                ) from e
        if ext == "csv":
            return pd.read_csv(path, encoding="utf-8-sig")
        return pd.read_json(path, orient="records")
    return None


@dataclass
class RunData:
    """Tables of one run folder (``propsim run``)."""

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    accounts: pd.DataFrame
    relays: pd.DataFrame
    frequency: pd.DataFrame
    scenario: dict[str, Any] | None = None  # the resolved scenario (scenario.json)
    path: Path | None = None
    kind: str = field(default="run", init=False)

    @property
    def name(self) -> str:
        return str(self.summary.get("scenario") or (self.path.name if self.path else "run"))

    @classmethod
    def from_result(cls, result: Any, path: Path | None = None) -> RunData:
        """Wrap a :class:`simulator.results.collect.RunResult` (from ``simulator.run``) without writing it."""
        return cls(
            dict(result.summary),
            result.timeseries,
            result.accounts,
            result.relays,
            result.frequency,
            result.meta.get("scenario"),
            path,
        )


@dataclass
class SweepData:
    """Tables of one sweep folder (``propsim sweep``); ``runs`` keeps only successful runs."""

    runs: pd.DataFrame
    points: pd.DataFrame
    params: list[str]
    timeseries: pd.DataFrame | None = None
    frequency: pd.DataFrame | None = None  # optional: run_id, exposures, followers
    manifest: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    failed: int = 0
    differences: pd.DataFrame | None = None  # paired differences vs the baseline (sweep contract)
    kind: str = field(default="sweep", init=False)

    @property
    def scenario_doc(self) -> dict[str, Any]:
        """The swept scenario as a mapping (from the manifest's scenario text), or ``{}``."""
        return scenario_document(self.manifest)

    @property
    def description(self) -> str:
        """The scenario's ``description`` (empty if it has none)."""
        text = self.scenario_doc.get("description")
        return text.strip() if isinstance(text, str) else ""

    @property
    def parameter_labels(self) -> dict[str, dict[str, str]]:
        """Names of the swept fields: the manifest's ``parameter_labels`` over names derived from
        the scenario's relays (``relays.3.probability`` -> "official → city relay probability")."""
        from simulator.plotting.names import relay_labels

        given = self.manifest.get("parameter_labels")
        return {**relay_labels(self.scenario_doc), **(given if isinstance(given, dict) else {})}

    @property
    def plausible(self) -> tuple[str, dict[str, tuple[float, float]]]:
        """``(profile, {path: (low, high)})`` from the manifest's ``plausible`` entry, or ``("", {})``."""
        entry = self.manifest.get("plausible")
        if not isinstance(entry, dict) or not isinstance(entry.get("ranges"), dict):
            return "", {}
        ranges = {}
        for path, bounds in entry["ranges"].items():
            try:
                lo, hi = (float(b) for b in bounds)
            except (TypeError, ValueError):
                continue
            ranges[str(path)] = (min(lo, hi), max(lo, hi))
        return str(entry.get("profile") or ""), ranges

    @property
    def scale(self) -> float | None:
        """The sweep's ``--scale`` (population and follower counts multiplied by it), if any."""
        sc = self.manifest.get("scenario")
        value = sc.get("scale") if isinstance(sc, dict) else None
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    @property
    def baseline(self) -> dict[str, Any]:
        """The baseline point of the differences (manifest ``differences.baseline``), or ``{}``."""
        entry = self.manifest.get("differences")
        base = entry.get("baseline") if isinstance(entry, dict) else None
        return dict(base) if isinstance(base, dict) else {}

    @property
    def name(self) -> str:
        """The scenario's name: from the runs table, else the manifest, else the folder name."""
        if "scenario" in self.runs.columns and self.runs["scenario"].nunique() == 1:
            return str(self.runs["scenario"].iloc[0])
        found = _manifest_name(self.manifest)
        if found:
            return found
        return self.path.name if self.path else "sweep"


def _manifest_name(manifest: Any) -> str | None:
    """A scenario name in the manifest: a ``name`` key, or a ``name:`` line of the scenario text."""
    if isinstance(manifest, dict):
        for key in ("scenario_name", "name"):
            if isinstance(manifest.get(key), str):
                return manifest[key]
        for value in manifest.values():
            found = _manifest_name(value)
            if found:
                return found
    elif isinstance(manifest, str) and "\n" in manifest:
        match = re.search(r"^name:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(#.*)?$", manifest, re.MULTILINE)
        if match:
            return match.group(1).strip()
    return None


def load_run(path: str | os.PathLike) -> RunData:
    """Read a run folder written by ``propsim run`` / :func:`simulator.results.output.write_run`."""
    from simulator.results.output import read_run

    folder = Path(path)
    result = read_run(folder)
    return RunData.from_result(result, folder)


def load_sweep(path: str | os.PathLike) -> SweepData:
    """Read a sweep folder (manifest.json, runs, timeseries, points; see the module docstring)."""
    folder = Path(path)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    runs = read_table(folder, "runs")
    if runs is None:
        if (folder / "parts").is_dir():
            raise FileNotFoundError(
                f"{folder}: the sweep has not finished (no runs table yet); let it finish, "
                "or run the same `propsim sweep` command again to resume and consolidate it"
            )
        raise FileNotFoundError(f"{folder}: no runs.parquet / runs.csv here (not a propsim sweep folder)")
    failed = 0
    if "status" in runs.columns:
        ok = runs["status"].astype(str) == "ok"
        failed = int((~ok).sum())
        runs = runs[ok].reset_index(drop=True)
    if runs.empty:
        raise ValueError(f"{folder}: the sweep has no successful runs to plot")
    points = read_table(folder, "points")
    params = sweep_params(points, runs)
    if points is None or points.empty:
        points = compute_points(runs, params)
    timeseries = read_table(folder, "timeseries")
    if timeseries is not None and "run_id" in timeseries.columns:
        timeseries = timeseries[timeseries["run_id"].isin(runs["run_id"])].reset_index(drop=True)
    frequency = read_table(folder, "frequency")
    differences = read_table(folder, "differences")
    if differences is not None and differences.empty:
        differences = None
    return SweepData(runs, points, params, timeseries, frequency, manifest, folder, failed, differences)


def scenario_document(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The scenario of a sweep manifest (its ``scenario.text``, YAML or JSON) as a mapping; ``{}``
    when the manifest has none or it does not parse."""
    sc = manifest.get("scenario")
    text = sc.get("text") if isinstance(sc, dict) else None
    if not isinstance(text, str) or not text.strip():
        return {}
    from simulator.scenario.errors import ScenarioError
    from simulator.scenario.yaml_io import parse_yaml

    try:
        doc, _ = parse_yaml(text, "manifest.json")
    except (ScenarioError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def load_results(path: str | os.PathLike) -> RunData | SweepData:
    """Read a run folder or a sweep folder, whichever ``path`` is."""
    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if (folder / "summary.json").is_file():
        return load_run(folder)
    if (folder / "manifest.json").is_file() or read_table(folder, "runs") is not None:
        return load_sweep(folder)
    raise FileNotFoundError(
        f"{folder}: neither a run folder (summary.json) nor a sweep folder (manifest.json + runs table)"
    )


# ---------------------------------------------------------------------------
# Parameters and points
# ---------------------------------------------------------------------------


def _is_stat_column(col: str) -> bool:
    return col == "n" or any(col.endswith(s) for s in _STAT_SUFFIXES)


def sweep_params(points: pd.DataFrame | None, runs: pd.DataFrame | None = None) -> list[str]:
    """Swept parameter columns, in table order.

    From the points table: every column that is not ``n`` or a ``M_mean/_sd/_ci_low/_ci_high``
    statistic. Without one, from the runs table: the columns between ``run_id`` and
    ``replicate`` (the contract's order).
    """
    if points is not None and not points.empty:
        return [c for c in points.columns if not _is_stat_column(str(c))]
    if runs is None:
        return []
    cols = list(runs.columns)
    start = cols.index("run_id") + 1 if "run_id" in cols else 0
    end = cols.index("replicate") if "replicate" in cols else start
    return cols[start:end]


def _t_quantile(df: np.ndarray) -> np.ndarray:
    """Two-sided 95% Student-t quantile for ``df`` degrees of freedom (NaN for df < 1)."""
    from scipy import stats  # a dependency of mesa, so always installed

    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    ok = df >= 1
    out[ok] = stats.t.ppf(0.975, df[ok])
    return out


def compute_points(runs: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """Aggregate runs into points (``n``, ``M_mean``, ``M_sd``, ``M_ci_low``, ``M_ci_high``).

    The interval is the 95% Student-t interval of the mean over replicates, as in the sweep
    contract; with one replicate the sd and interval are NaN.
    """
    params = list(params)
    skip = set(params) | set(_RUN_BOOKKEEPING)
    metrics = [
        c
        for c in runs.columns
        if c not in skip and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])
    ]
    groups = runs.groupby(params, sort=False, dropna=False) if params else [((), runs)]
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(params, key))
        n = len(g)
        row["n"] = n
        for m in metrics:
            v = g[m].astype(float)
            mean, sd = v.mean(), v.std(ddof=1) if n > 1 else math.nan
            half = float(_t_quantile(np.array([n - 1]))[0]) * sd / math.sqrt(n) if n > 1 else math.nan
            row.update({f"{m}_mean": mean, f"{m}_sd": sd, f"{m}_ci_low": mean - half, f"{m}_ci_high": mean + half})
        rows.append(row)
    return pd.DataFrame(rows)


def _numeric_values(s: pd.Series) -> bool:
    return pd.to_numeric(s, errors="coerce").notna().all()


@dataclass(frozen=True)
class Selection:
    """How a sweep is cut for charts: ``x`` axis, one line per ``by`` value, others fixed."""

    x: str | None
    by: str | None
    where: dict[str, Any]
    at: float | None  # the x value used by single-point charts and takeaways

    def describe(self, points: pd.DataFrame | None = None) -> str:
        """``"fatigue.kappa = 0.003"`` for the parameters held fixed (empty if none); values with
        3 significant digits, told apart from the other values in ``points`` if given."""

        def among(k: str) -> list[Any] | None:
            return list(pd.unique(points[k])) if points is not None and k in points.columns else None

        return ", ".join(f"{k} = {format_value(v, among(k))}" for k, v in self.where.items())


def _fmt_value(v: Any) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{float(v):g}"
    return str(v)


def _choose_x(params: list[str], table: pd.DataFrame, x: str | None) -> str | None:
    if x is not None:
        if x not in params:
            raise ValueError(f"--x {x!r} is not a swept parameter; swept: {', '.join(params) or 'none'}")
        if not _numeric_values(table[x]):
            raise ValueError(f"--x {x!r} is not numeric (values {sorted(map(str, table[x].unique()))[:5]})")
        return x
    varying = [p for p in params if table[p].nunique() > 1 and _numeric_values(table[p])]
    for pref in _X_PREFERENCE:
        if pref in varying:
            return pref
    for p in varying:  # relay probabilities next: relays.0.probability, topology.params.relay_probability
        if "probab" in p:
            return p
    return varying[0] if varying else None


def _choose_by(params: list[str], table: pd.DataFrame, x: str | None, by: str | None) -> str | None:
    if by is not None:
        if by not in table.columns:
            raise ValueError(f"--by {by!r} is not a column of the sweep; swept: {', '.join(params)}")
        return by
    others = [p for p in params if p != x and table[p].nunique() > 1]
    for pref in ("topology", "topology.preset"):
        if pref in others:
            return pref
    return others[0] if others else None


def select(
    data: SweepData,
    *,
    x: str | None = None,
    by: str | None = None,
    where: Mapping[str, Any] | None = None,
    at: float | None = None,
) -> Selection:
    """Choose the x parameter, the line grouping and the fixed values of every other parameter.

    Defaults: x = ``behaviour.p0`` if swept, else the first swept probability, else the first
    numeric swept parameter; by = ``topology`` if swept, else the first other varying
    parameter; other varying parameters are held at their first value; ``at`` (the x value
    for single-point charts and takeaways) is the middle of the swept x values.
    """
    params, points = data.params, data.points
    xcol = _choose_x(params, points, x)
    bycol = _choose_by(params, points, xcol, by)
    fixed: dict[str, Any] = {}
    given = dict(where or {})
    for p in params:
        if p in (xcol, bycol):
            continue
        values = list(pd.unique(points[p]))
        if p in given:
            # Also accepts a value as the charts print it (0.00316 for 0.00316228).
            match = [
                v
                for v in values
                if _fmt_value(v) == _fmt_value(given[p])
                or v == given[p]
                or format_value(v, values) == format_value(given[p])
            ]
            if not match:
                shown = ", ".join(format_value(v, values) for v in values)
                raise ValueError(f"{p} = {given[p]!r} is not in the sweep (values: {shown})")
            fixed[p] = match[0]
        elif len(values) > 1:
            fixed[p] = values[0]
    unknown = set(given) - set(params)
    if unknown:
        raise ValueError(f"not swept parameters: {', '.join(sorted(unknown))}")
    at_value: float | None = None
    if xcol is not None:
        xs = np.sort(pd.to_numeric(points[xcol]).unique())
        if at is None:
            at_value = float(xs[(len(xs) - 1) // 2])
        else:  # the nearest swept value (on a log scale when all are positive)
            dist = np.abs(np.log(xs / at)) if (xs > 0).all() and at > 0 else np.abs(xs - at)
            at_value = float(xs[np.argmin(dist)])
    return Selection(xcol, bycol, fixed, at_value)


def filter_where(table: pd.DataFrame, where: Mapping[str, Any]) -> pd.DataFrame:
    """Rows of ``table`` whose parameter columns equal the fixed values."""
    mask = np.ones(len(table), dtype=bool)
    for k, v in where.items():
        if k not in table.columns:
            continue
        col = table[k]
        if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
            num = pd.to_numeric(col, errors="coerce").to_numpy(float)
            mask &= np.isclose(num, float(v), rtol=1e-9, atol=0.0)
        else:
            mask &= (col.astype(str) == str(v)).to_numpy()
    return table[mask]


def group_values(table: pd.DataFrame, by: str | None) -> list[Any]:
    """Distinct values of ``by`` in a stable, meaningful order (numbers sorted, names as given)."""
    if by is None:
        return [None]
    values = list(pd.unique(table[by]))
    if _numeric_values(table[by]):
        return sorted(values, key=float)
    order = list(TOPOLOGY_COLORS)
    return sorted(values, key=lambda v: (order.index(v) if v in order else len(order), values.index(v)))
