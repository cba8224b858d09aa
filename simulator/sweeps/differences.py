"""Paired differences against a baseline point: the sweep's ``differences`` table.

Replicate ``k`` of every point runs with the same seed (common random numbers), so the runs of
two points pair up by ``replicate`` and their difference carries only the noise the parameter
change causes. For every non-baseline point and every numeric metric of the runs table:

- ``n_pairs``: replicates where the metric is defined in an ``ok`` run at both the point and its
  baseline point; ``baseline_mean`` and ``point_mean`` are means over those pairs;
- ``diff_mean`` (point - baseline), ``diff_se`` = sd(d) / sqrt(n) of the paired differences d,
  ``diff_ci_low`` / ``diff_ci_high`` = ``diff_mean -/+ t_{0.975, n-1} diff_se`` (NaN when n < 2);
- ``rel_diff`` = diff_mean / baseline_mean (NaN when baseline_mean is 0);
- ``p_value``: two-sided paired t-test (1.0 when every difference is 0, 0.0 when they are all
  equal and not 0, NaN when n < 2); ``significant``: the interval excludes 0;
- ``unpaired_ci_low`` / ``unpaired_ci_high``: the Welch interval of the difference of the two
  means over the same runs, ignoring the pairing (what an unpaired comparison would say).

Which point is a point's baseline: the point with the baseline's values on the baseline's
parameters and the point's own values on the other parameters (a grid sweep of topology x p0 with
baseline ``topology=hub`` compares dandelion at each p0 with hub at the same p0); when no such point
exists (zip mode) the single point matching the baseline. Points matching the baseline have no row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulator.sweeps.store import metric_columns, t_quantile

CONFIDENCE = 0.95
STAT_COLUMNS = (
    "metric",
    "n_pairs",
    "baseline_mean",
    "point_mean",
    "diff_mean",
    "diff_se",
    "diff_ci_low",
    "diff_ci_high",
    "rel_diff",
    "p_value",
    "significant",
    "unpaired_ci_low",
    "unpaired_ci_high",
)


def _points(runs: pd.DataFrame, params: Sequence[str]) -> list[tuple]:
    """Distinct parameter points in order of first appearance (the runs table's point order)."""
    if not params:
        return [()] if len(runs) else []
    seen: dict[tuple, None] = {}
    for row in runs[list(params)].itertuples(index=False, name=None):
        seen.setdefault(tuple(row), None)
    return list(seen)


def _partner(point: tuple, params: Sequence[str], baseline: Mapping[str, Any], points: set[tuple]) -> tuple | None:
    cand = tuple(baseline.get(n, v) for n, v in zip(params, point))
    if cand in points:
        return cand
    matching = [p for p in points if all(p[params.index(n)] == v for n, v in baseline.items())]
    return matching[0] if len(matching) == 1 else None


def pair_stats_columns(x: np.ndarray, y: np.ndarray, level: float = CONFIDENCE) -> dict[str, np.ndarray]:
    """Statistics of paired samples, one metric per column: ``x`` (point) and ``y`` (baseline) are
    (replicates x metrics) arrays aligned by replicate; pairs with a NaN on either side are dropped
    per column. Returns the columns of :data:`STAT_COLUMNS` after ``metric``, as arrays."""
    from scipy.special import stdtr

    mask = ~(np.isnan(x) | np.isnan(y))
    n = mask.sum(axis=0)
    nf = n.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pm = np.where(mask, x, 0.0).sum(axis=0) / nf
        bm = np.where(mask, y, 0.0).sum(axis=0) / nf
        dm = np.where(mask, x - y, 0.0).sum(axis=0) / nf
        se = np.sqrt((np.where(mask, x - y - dm, 0.0) ** 2).sum(axis=0) / (nf - 1) / nf)
        vx = (np.where(mask, x - pm, 0.0) ** 2).sum(axis=0) / (nf - 1) / nf  # squared standard errors
        vy = (np.where(mask, y - bm, 0.0) ** 2).sum(axis=0) / (nf - 1) / nf
        half = t_quantile(nf - 1, level) * se
        se_u = np.sqrt(vx + vy)
        df_w = (vx + vy) ** 2 / (vx**2 / (nf - 1) + vy**2 / (nf - 1))  # Welch-Satterthwaite
        half_u = np.where(se_u > 0, t_quantile(np.nan_to_num(df_w), level) * se_u, 0.0)
        p = 2 * stdtr(nf - 1, -np.abs(dm / se))
        rel = dm / np.where(bm != 0, bm, np.nan)
    p = np.where(se == 0, np.where(dm == 0, 1.0, 0.0), p)  # no spread: no difference at all, or a certain one
    some, two = n > 0, n > 1
    lo, hi = dm - half, dm + half
    return {
        "n_pairs": n.astype(np.int64),
        "baseline_mean": np.where(some, bm, np.nan),
        "point_mean": np.where(some, pm, np.nan),
        "diff_mean": np.where(some, dm, np.nan),
        "diff_se": np.where(two, se, np.nan),
        "diff_ci_low": np.where(two, lo, np.nan),
        "diff_ci_high": np.where(two, hi, np.nan),
        "rel_diff": np.where(some, rel, np.nan),
        "p_value": np.where(two, p, np.nan),
        "significant": two & ((lo > 0) | (hi < 0)),
        "unpaired_ci_low": np.where(two, pm - bm - half_u, np.nan),
        "unpaired_ci_high": np.where(two, pm - bm + half_u, np.nan),
    }


def pair_stats(point: np.ndarray, base: np.ndarray, level: float = CONFIDENCE) -> dict[str, Any]:
    """Statistics of one metric from paired samples (equal-length arrays; NaN pairs dropped)."""
    cols = pair_stats_columns(np.asarray(point, float)[:, None], np.asarray(base, float)[:, None], level)
    return {k: v[0].item() for k, v in cols.items()}


def _cube(runs: pd.DataFrame, params: list[str], metrics: list[str], points: list[tuple]) -> np.ndarray:
    """Metric values of the ok runs as a (point, replicate, metric) array, NaN where missing."""
    ok = runs[runs["status"] == "ok"]
    index = {pt: i for i, pt in enumerate(points)}
    keys = list(ok[params].itertuples(index=False, name=None)) if params else [()] * len(ok)
    pi = np.array([index[tuple(k)] for k in keys], dtype=np.int64)
    reps, ri = np.unique(ok["replicate"].to_numpy(), return_inverse=True)
    cube = np.full((len(points), max(1, len(reps)), len(metrics)), np.nan)
    cube[pi, ri] = ok[metrics].astype("float64").to_numpy()
    return cube


def paired_differences(
    runs: pd.DataFrame,
    params: Sequence[str],
    baseline: Mapping[str, Any],
    level: float = CONFIDENCE,
) -> pd.DataFrame:
    """The ``differences`` table (module docstring) from a sweep's runs table.

    Args:
        runs: the runs table (``replicate``, ``status``, the parameter columns, metrics).
        params: the swept parameter columns, in sweep order.
        baseline: ``{parameter: column value}`` (see
            :func:`simulator.scenario.sweep_spec.resolve_baseline`); empty: no rows.
        level: confidence level of the intervals (0.95).
    """
    params = list(params)
    unknown = [n for n in baseline if n not in params]
    if unknown:
        raise ValueError(f"baseline names {', '.join(unknown)}, which are not swept parameters ({', '.join(params)})")
    metrics = metric_columns(runs, params)
    columns = [*params, *STAT_COLUMNS]
    points = _points(runs, params)
    if not baseline or not metrics or not points:
        return _typed(pd.DataFrame(columns=columns), runs, params)
    cube = _cube(runs, params, metrics, points)
    index = {pt: i for i, pt in enumerate(points)}
    frames = []
    for pt in points:
        if all(pt[params.index(n)] == v for n, v in baseline.items()):
            continue  # a baseline point
        partner = _partner(pt, params, baseline, set(index))
        if partner is None:
            continue
        stats = pair_stats_columns(cube[index[pt]], cube[index[partner]], level)
        frames.append(pd.DataFrame({**{n: [v] * len(metrics) for n, v in zip(params, pt)}, "metric": metrics, **stats}))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return _typed(out[columns], runs, params)


def _typed(df: pd.DataFrame, runs: pd.DataFrame, params: Sequence[str]) -> pd.DataFrame:
    """Stable dtypes: parameter columns as in the runs table, counts int64, flags bool."""
    for p in params:
        if p in runs.columns:
            df[p] = df[p].astype(runs[p].dtype)
    df["metric"] = df["metric"].astype(object)
    df["n_pairs"] = df["n_pairs"].astype("int64")
    df["significant"] = df["significant"].astype(bool)
    for c in STAT_COLUMNS:
        if c not in ("metric", "n_pairs", "significant"):
            df[c] = df[c].astype("float64")
    return df.reset_index(drop=True)


def ci_width_ratio(differences: pd.DataFrame) -> dict[str, float | None]:
    """Per metric: the median over points of paired / unpaired CI width (None when undefined, e.g.
    no spread at all); below 1 means pairing narrowed the interval."""
    out: dict[str, float | None] = {}
    if differences.empty:
        return out
    paired = differences["diff_ci_high"] - differences["diff_ci_low"]
    unpaired = differences["unpaired_ci_high"] - differences["unpaired_ci_low"]
    ratio = (paired / unpaired.where(unpaired > 0)).replace([np.inf, -np.inf], np.nan)
    for m, r in ratio.groupby(differences["metric"], sort=False):
        med = r.median(skipna=True)
        out[str(m)] = None if pd.isna(med) else round(float(med), 6)
    return out
