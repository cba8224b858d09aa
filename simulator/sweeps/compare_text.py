"""The comparison of :mod:`simulator.sweeps.compare` as a text table (``propsim compare`` prints it
and writes it to ``comparison.txt``): one row per matrix in rank order, one column per metric with
the baseline's mean or another matrix's paired difference ``+d [low, high]``, or "similar (n.s.)"
where the simultaneous interval covers 0. Counts of people are shown as whole numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from simulator.results.metrics import metric as metric_meta
from simulator.scenario.presets import CUSTOM

MATRIX = "topology.preset"
FAMILY_CONFIDENCE = 0.95
# Metrics without metadata (user-defined) that keep decimals.
FRACTIONAL = frozenset({"reach_share", "mean_frequency", "fatigue_share", "t50_h", "t90_h"})


def _label(metric: str) -> str:
    m = metric_meta(metric)
    return m.en if m is not None else metric.replace("_", " ")


def _whole(metric: str) -> bool:
    """Counts (people, posts) are shown as whole numbers; shares, ratios and hours keep decimals."""
    m = metric_meta(metric)
    return m.integer if m is not None else metric not in FRACTIONAL


def _num(x: float, signed: bool = False, whole: bool = True) -> str:
    """Whole numbers with separators below 10,000, else 3 significant digits (12.3k, 1.2M);
    ``whole=False`` keeps 3 significant digits of small fractional values."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if whole:
        x = float(round(x)) + 0.0  # no "-0"
    sign = "+" if signed and x > 0 else ""
    a = abs(x)
    if a >= 1e6:
        text = f"{x / 1e6:.3g}M"
    elif a >= 1e4:
        text = f"{x / 1e3:.3g}k"
    elif a >= 10 or float(x).is_integer():
        text = f"{x:,.0f}"
    else:
        text = f"{x:.3g}"
    return sign + text


def _cell(row: Mapping[str, Any]) -> str:
    whole = _whole(row["metric"])
    if row["verdict"] == "baseline":
        return "(baseline)"
    if row["verdict"] == "similar (n.s.)":
        return "similar (n.s.)"
    if row["verdict"] == "no pairs":
        return "-"
    d, lo, hi = (_num(row[c], True, whole) for c in ("diff_mean", "diff_ci_low", "diff_ci_high"))
    return f"{d} [{lo}, {hi}]"


def _show_matrix(name: Any) -> str:
    return "yours (custom)" if name == CUSTOM else str(name)


def render(table: pd.DataFrame, info: Mapping[str, Any]) -> str:
    """The comparison as a text table: one row per matrix in rank order, one column per metric
    (the baseline's mean; the others' paired difference and interval, or "similar (n.s.)")."""
    b = info.get("budget", {})
    share = f" (official {b['official_share']:.0%})" if "official_share" in b else ""
    base = _show_matrix(info.get("baseline", CUSTOM))
    lines = [
        f"{info.get('name', '')}: your matrix against {', '.join(info.get('against', []))} at its budget",
        f"  budget: {b.get('accounts', '?')} accounts, {_num(b.get('audience', math.nan))} followers in total{share}, "
        f"{b.get('posts_per_week', math.nan):.3g} originals a week; population {_num(info.get('population', math.nan))}"
        + (f", run at scale {info['scale']:g}" if info.get("scale") else ""),
        f"  {info.get('replicates', '?')} replicates on common worlds; "
        f"ranked by {_label(str(info.get('rank_by', ''))).lower()}; "
        f"differences against {base}",
        f"  intervals: simultaneous 95% over {info.get('pairs', '?')} pairs of matrices (Bonferroni: each at "
        f"{100 * float(info.get('level', FAMILY_CONFIDENCE)):.3g}%); similar (n.s.) = the interval covers 0",
    ]
    others = [c for c in table.columns[: list(table.columns).index("rank")]]
    groups = [((), table)] if not others else list(table.groupby(others, sort=False, dropna=False))
    for key, sub in groups:
        lines.append("")
        if others:
            vals = key if isinstance(key, tuple) else (key,)
            lines.append(", ".join(f"{k} = {_value(v)}" for k, v in zip(others, vals)))
        lines += _grid(sub, f"difference against {base}", _cell)
        lines.append("")
        lines += _grid(sub, "mean per run", lambda r: _num(r["mean"], whole=_whole(r["metric"])))
    return "\n".join(lines)


def _value(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _grid(sub: pd.DataFrame, title: str, cell: Any) -> list[str]:
    """One row per matrix (rank order), one column per metric, cells from ``cell(row)``."""
    metrics = list(dict.fromkeys(sub["metric"]))
    header = ["rank", "matrix", *(_label(m) for m in metrics)]
    body = []
    for name, rows in sub.groupby(MATRIX, sort=False):
        by = {r["metric"]: r for r in rows.to_dict("records")}
        rank = rows["rank"].iloc[0]
        body.append([str(int(rank)) if not pd.isna(rank) else "-", _show_matrix(name)] + [cell(by[m]) for m in metrics])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    out = [f"  {title}:"]
    for r in [header, *body]:
        out.append("  ".join(c.rjust(w) if i == 0 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    return out
