"""The sweep ``differences`` table and manifest entries, written here as the sweep contract states.

The sweeps package writes these into every sweep folder (see the project's data contracts); until
every sweep folder has them, plotting tests build them here, independently of
``simulator.plotting.compare``, with scipy's paired t-test, so the plotting code is checked
against the contract rather than against itself.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from simulator.results.output import write_table

BOOKKEEPING = ("run_id", "replicate", "seed", "status", "error", "duration_s", "traceback")


def _metrics(runs: pd.DataFrame, params: Sequence[str]) -> list[str]:
    skip = set(params) | set(BOOKKEEPING)
    return [
        c
        for c in runs.columns
        if c not in skip and pd.api.types.is_numeric_dtype(runs[c]) and not pd.api.types.is_bool_dtype(runs[c])
    ]


def differences_table(
    runs: pd.DataFrame, params: Sequence[str], baseline: Mapping[str, Any], confidence: float = 0.95
) -> pd.DataFrame:
    """One row per (non-baseline point, metric) with the contract's columns."""
    params = list(params)
    ok = runs[runs["status"].astype(str) == "ok"] if "status" in runs else runs
    base_mask = np.ones(len(ok), dtype=bool)
    for p, v in baseline.items():
        base_mask &= (ok[p] == v).to_numpy()
    base = ok[base_mask].set_index("replicate")
    rows = []
    for key, g in ok[~base_mask].groupby(params, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        g = g.set_index("replicate")
        common = g.index.intersection(base.index)
        for m in _metrics(ok, params):
            a = g.loc[common, m].astype(float).to_numpy()
            b = base.loc[common, m].astype(float).to_numpy()
            ok_pairs = np.isfinite(a) & np.isfinite(b)
            a, b = a[ok_pairs], b[ok_pairs]
            rows.append({**dict(zip(params, key)), "metric": m, **_paired(a, b, confidence)})
    return pd.DataFrame(rows)


def _paired(a: np.ndarray, b: np.ndarray, confidence: float) -> dict[str, Any]:
    n = len(a)
    d = a - b
    out: dict[str, Any] = {"n_pairs": n, "baseline_mean": b.mean() if n else math.nan}
    out["point_mean"] = a.mean() if n else math.nan
    out["diff_mean"] = d.mean() if n else math.nan
    if n >= 2:
        se = d.std(ddof=1) / math.sqrt(n)
        q = stats.t.ppf(0.5 + confidence / 2, n - 1)
        out |= {"diff_se": se, "diff_ci_low": out["diff_mean"] - q * se, "diff_ci_high": out["diff_mean"] + q * se}
        with warnings.catch_warnings():  # identical samples: scipy warns about precision; the result is exact
            warnings.simplefilter("ignore", RuntimeWarning)
            out["p_value"] = 1.0 if not d.any() else float(stats.ttest_rel(a, b).pvalue) if se > 0 else 0.0
            half = stats.ttest_ind(a, b, equal_var=False).confidence_interval(confidence)
        out |= {"unpaired_ci_low": half.low, "unpaired_ci_high": half.high}
    else:
        out |= {k: math.nan for k in ("diff_se", "diff_ci_low", "diff_ci_high", "p_value")}
        out |= {"unpaired_ci_low": math.nan, "unpaired_ci_high": math.nan}
    out["rel_diff"] = out["diff_mean"] / out["baseline_mean"] if out["baseline_mean"] else math.nan
    lo, hi = out["diff_ci_low"], out["diff_ci_high"]
    out["significant"] = bool(np.isfinite(lo) and (lo > 0 or hi < 0))
    return out


def add_contract(
    folder: Path,
    baseline: Mapping[str, Any],
    labels: Mapping[str, Mapping[str, str]] | None = None,
    plausible: tuple[str, Mapping[str, tuple[float, float]]] | None = None,
) -> pd.DataFrame:
    """Write ``differences`` (Parquet) and the manifest's ``differences``, ``parameter_labels``
    and ``plausible`` entries into a sweep folder, as the sweeps package does."""
    runs = pd.read_parquet(folder / "runs.parquet")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    params = list(manifest.get("columns", {}).get("parameters") or baseline)
    table = differences_table(runs, params, baseline)
    write_table(folder / "differences", table, "parquet")
    manifest["differences"] = {"baseline": dict(baseline), "confidence": 0.95, "ci_width_ratio": {}}
    if labels is not None:
        manifest["parameter_labels"] = {k: dict(v) for k, v in labels.items()}
    if plausible is not None:
        manifest["plausible"] = {"profile": plausible[0], "ranges": {k: list(v) for k, v in plausible[1].items()}}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return table
