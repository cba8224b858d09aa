"""Presenting a calibration: the printed table, the JSON form and the calibrated scenario file."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from simulator.calibration.cascades import MIN_REPOSTERS, CascadeStats
from simulator.calibration.fit import Calibration

# ==============================================================================================
# Output
# ==============================================================================================


def format_calibration(cal: Calibration) -> str:
    """Human-readable fit report."""
    t = cal.target
    lines = [f"target      {t.name} ({t.source})"]
    if cal.account:
        lines.append(
            f"cascades    {cal.cascades} organic cascades from {cal.account} ({cal.followers:,} followers), "
            f"population {cal.population:,}"
        )
    lines.append("")
    lines.append("parameter                    before      fitted")
    for k, v in cal.fitted.items():
        old = cal.before.get(k, "")
        lines.append(f"{k:<28} {_g(old):<11} {_g(v)}")
    if not cal.fitted:
        lines.append("(nothing fitted)")
    errs = cal.errors()
    if errs:
        lines += ["", "statistic                    target      before      fitted      error       ok"]
        sb = cal.stats_before
        for k, e in errs.items():
            before = _stat(sb, k) if sb else math.nan
            if k == "depth1_share" or "share" in k:
                err = f"{100 * e['error']:+.1f} pp"
            else:
                err = f"{100 * e['error']:+.1f}%"
            lines.append(
                f"{k:<28} {_g(e['target']):<11} {_g(before):<11} {_g(e['simulated']):<11} {err:<11} "
                f"{'yes' if e['ok'] else 'NO'}"
            )
    s = cal.stats_after
    if s is not None:
        ref = t.reference
        lines += ["", "checks (not fitted)"]
        pooled = ref.get("pooled_depth_shares")
        pv = s.pooled_nonviral
        lines.append(
            f"  pooled depth shares 1/2/3+, non-viral cascades: simulated {pv['1']:.3f} / {pv['2']:.3f} / "
            f"{pv['3+']:.3f}"
            + (f"; target {pooled['1']:.3f} / {pooled['2']:.3f} / {pooled['3+']:.3f}" if pooled else "")
        )
        pa = s.pooled
        lines.append(
            f"  pooled depth shares 1/2/3+, all cascades: simulated {pa['1']:.3f} / {pa['2']:.3f} / {pa['3+']:.3f}"
        )
        per = ref.get("per_cascade_depth1_share")
        lo, hi = s.depth1_share_iqr
        lines.append(
            f"  per-cascade depth-1 share IQR: simulated {lo:.3f}-{hi:.3f}"
            + (f"; target {per['p25']:.3f}-{per['p75']:.3f}" if per else "")
        )
        if "latency_all_median_h" in ref:
            lines.append(
                f"  delay median, all depths, non-viral cascades: simulated {s.latency_all_median_h:.2f} h; "
                f"target {ref['latency_all_median_h']:.2f} h"
            )
        lines.append(
            f"  mean reposters per cascade {s.mean_reposters:,.1f}; {s.used}/{s.cascades} cascades with >= "
            f"{MIN_REPOSTERS} reposters; viral {s.viral:.1%}"
        )
    if cal.notes:
        lines += [""] + [f"note: {n}" for n in cal.notes]
    return "\n".join(lines)


def _stat(s: CascadeStats, key: str) -> float:
    if key == "depth1_share":
        return s.depth1_share
    if key.startswith("latency_share_lt_"):
        return s.latency["share_lt_1h" if key.rsplit("_", 1)[1] == "1h" else "share_lt_24h"]
    return s.latency[key[len("latency_") : -2]]


def _g(x: Any) -> str:
    if isinstance(x, float):
        return "-" if math.isnan(x) else f"{x:.4g}"
    return str(x)


def header_lines(cal: Calibration) -> list[str]:
    """Comment lines describing the fit (written at the top of the calibrated scenario)."""
    out = [
        f"Calibrated by `propsim calibrate` against target {cal.target.name!r} ({cal.target.source}).",
        f"Source scenario: {cal.scenario}.",
    ]
    if cal.account:
        out.append(
            f"Fit: {cal.cascades} organic cascades from {cal.account} ({cal.followers:,} followers, "
            f"population {cal.population:,}), relays and fatigue off in the fit runs."
        )
    for k, v in cal.fitted.items():
        out.append(f"  {k}: {_g(cal.before.get(k, '-'))} -> {_g(v)}")
    for k, e in cal.errors().items():
        out.append(f"  {k}: target {_g(e['target'])}, simulated {_g(e['simulated'])}")
    for n in cal.notes:
        out.append(f"Note: {n}")
    return out


def write_calibrated(scenario_path: str | Path, cal: Calibration, out_path: str | Path) -> Path:
    """Write the user's scenario file with the fitted values set, comments kept, and a header
    describing the fit (atomically). Values are set at ``behaviour.*``; fitted relay edges are
    added to (or replace matching entries in) ``relays``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from simulator.results.output import atomic_write

    text = Path(scenario_path).read_text(encoding="utf-8-sig")
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    doc = y.load(text)
    if not isinstance(doc, CommentedMap):
        raise ValueError(f"{scenario_path}: not a scenario mapping")
    beh = doc.get("behaviour")
    if beh is None:
        beh = CommentedMap()
        doc["behaviour"] = beh
    for key, val in cal.fitted.items():
        if not key.startswith("behaviour."):
            continue
        parts = key.split(".")[1:]
        if parts[0] == "latency":
            lat = beh.get("latency")
            if not isinstance(lat, dict):
                lat = CommentedMap(
                    {"median": cal.before["behaviour.latency.median"], "sigma": cal.before["behaviour.latency.sigma"]}
                )
                lat.fa.set_flow_style()
                beh["latency"] = lat
            lat[parts[1]] = val
        else:
            beh[parts[0]] = val
    if cal.relay_edges:
        relays = doc.get("relays")
        if relays is None:
            relays = CommentedSeq()
            doc["relays"] = relays
        for entry in cal.relay_edges:
            item = CommentedMap(entry)
            for i, r in enumerate(relays):
                if isinstance(r, dict) and r.get("source") == entry["source"] and r.get("target") == entry["target"]:
                    relays[i] = item
                    break
            else:
                relays.append(item)
    import io

    buf = io.StringIO()
    y.dump(doc, buf)
    body = buf.getvalue()
    head = "".join(f"# {line}\n" for line in header_lines(cal)) + "#\n"
    data = (head + body).encode("utf-8")
    return atomic_write(out_path, lambda f: f.write(data))


def calibration_json(cal: Calibration) -> dict[str, Any]:
    """Machine-readable result (printed by ``propsim calibrate --json``)."""
    return json.loads(
        json.dumps(
            {
                "target": cal.target.name,
                "target_source": cal.target.source,
                "scenario": cal.scenario,
                "account": cal.account,
                "followers": cal.followers,
                "population": cal.population,
                "cascades": cal.cascades,
                "before": cal.before,
                "fitted": cal.fitted,
                "errors": cal.errors(),
                "ok": cal.ok,
                "stats_before": cal.stats_before.as_dict() if cal.stats_before else None,
                "stats_after": cal.stats_after.as_dict() if cal.stats_after else None,
                "history": cal.history,
                "notes": cal.notes,
                "relay_edges": cal.relay_edges,
            },
            default=float,
            allow_nan=True,
        )
    )
