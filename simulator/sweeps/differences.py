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

import math
from collections.abc import Hashable, Mapping, Sequence
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


def _by_replicate(runs: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """Metric values of one point's ok runs, indexed by replicate (float64, NaN = undefined)."""
    ok = runs[runs["status"] == "ok"]
    values = ok[metrics].apply(pd.to_numeric, errors="coerce").astype("float64")
    values.index = ok["replicate"].to_numpy()
    return values[~values.index.duplicated()]


def pair_stats(point: np.ndarray, base: np.ndarray, level: float = CONFIDENCE) -> dict[str, Any]:
    """Statistics of one metric from paired samples (equal-length arrays; NaN pairs dropped)."""
    keep = ~(np.isnan(point) | np.isnan(base))
    x, y = point[keep], base[keep]
    n = int(len(x))
    out: dict[str, Any] = dict.fromkeys(STAT_COLUMNS[2:], math.nan)
    out["n_pairs"], out["significant"] = n, False
    if n == 0:
        return out
    d = x - y
    bm, pm, dm = float(y.mean()), float(x.mean()), float(d.mean())
    out.update(baseline_mean=bm, point_mean=pm, diff_mean=dm, rel_diff=dm / bm if bm != 0 else math.nan)
    if n < 2:
        return out
    t = float(t_quantile(np.array([n - 1.0]), level)[0])
    se = float(d.std(ddof=1)) / math.sqrt(n)
    lo, hi = dm - t * se, dm + t * se
    if se == 0:
        p = 1.0 if dm == 0 else 0.0
    else:
        from scipy.special import stdtr

        p = float(2 * stdtr(n - 1, -abs(dm / se)))
    vx, vy = float(x.var(ddof=1)) / n, float(y.var(ddof=1)) / n
    se_u = math.sqrt(vx + vy)
    if se_u > 0:
        df_w = (vx + vy) ** 2 / (vx**2 / (n - 1) + vy**2 / (n - 1))  # Welch-Satterthwaite
        half_u = float(t_quantile(np.array([df_w]), level)[0]) * se_u
    else:
        half_u = 0.0
    out.update(
        diff_se=se,
        diff_ci_low=lo,
        diff_ci_high=hi,
        p_value=p,
        significant=bool(lo > 0 or hi < 0),
        unpaired_ci_low=pm - bm - half_u,
        unpaired_ci_high=pm - bm + half_u,
    )
    return out


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
    groups: dict[Hashable, pd.DataFrame] = (
        {pt: g for pt, g in runs.groupby(params, sort=False, dropna=False)} if params else {(): runs}
    )
    groups = {(k if isinstance(k, tuple) else (k,)): g for k, g in groups.items()}
    point_set = set(points)
    rows: list[dict[str, Any]] = []
    for pt in points:
        if all(pt[params.index(n)] == v for n, v in baseline.items()):
            continue  # a baseline point
        partner = _partner(pt, params, baseline, point_set)
        if partner is None:
            continue
        here, there = _by_replicate(groups[pt], metrics), _by_replicate(groups[partner], metrics)
        reps = here.index.intersection(there.index)
        for m in metrics:
            stats = pair_stats(here.loc[reps, m].to_numpy(), there.loc[reps, m].to_numpy(), level)
            rows.append({**dict(zip(params, pt)), "metric": m, **stats})
    return _typed(pd.DataFrame(rows, columns=columns), runs, params)


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
