"""Targets, correctness checks and markdown of :mod:`benchmarks.model` reports (every figure is read from
the report's JSON: nothing is re-measured or typed in by hand)."""

from __future__ import annotations

from typing import Any

from .common import fmt_time, table

Spread = dict[str, float]

# Summary keys that may differ between the CLI and the in-process run: the version string, and the
# warnings, whose locations name the source of an override (the CLI's "--set" against the loader's).
SUMMARY_SKIP = {"propsim_version", "warnings"}


def _s(x: Spread | None, fmt=fmt_time) -> str:
    """'median [min-max] (n)' of a spread."""
    if not x or not x.get("n"):
        return "-"
    return f"{fmt(x['median'])} [{fmt(x['min'])}-{fmt(x['max'])}] (n={x['n']})"


def _mega(x: float) -> str:
    return f"{x / 1e6:.1f}M"


def _mb(x: float) -> str:
    return f"{x:,.0f} MB"


def _target(name: str, limit: str, measured: str, value: float | None, ok: bool | None, note: str = "") -> dict:
    return {"target": name, "limit": limit, "measured": measured, "value": value, "met": ok, "note": note}


def model_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 13's targets with the measured value (median over samples) and whether it is met."""
    sec = report["sections"]
    out: list[dict[str, Any]] = []
    if "build" in sec:
        for mode, w in sec["build"].items():
            cpu, wall = w["warm_first_cpu_s"], w["warm_first_wall_s"]
            out.append(
                _target(
                    f"{report['size_label']} world build, {mode}, warm cache (fresh process)",
                    "<= 3 s",
                    f"CPU {_s(cpu)}; wall {_s(wall)}",
                    cpu["median"],
                    cpu["median"] <= 3.0,
                    f"second build in the process: CPU {_s(w['hot_cpu_s'])}",
                )
            )
    if "heavy" in sec:
        for mode in [k for k in sec["heavy"] if k != "profile"]:
            h = sec["heavy"][mode]
            d = h["deliveries_per_cpu_s"]
            out.append(
                _target(
                    f"heavy campaign run phase, {h['world']['mode']} world ({mode})",
                    ">= 15M deliveries/s",
                    f"{_s(d, _mega)} per CPU s; {_mega(h['deliveries'][0])} deliveries",
                    d["median"],
                    d["median"] >= 15e6,
                )
            )
    if "cli" in sec and sec["cli"]["wall_s"]["n"]:
        c = sec["cli"]
        d = c["deliveries_per_wall_s"]
        out.append(
            _target(
                "whole `propsim run` process (import + build + run + write)",
                ">= 8M deliveries/s",
                f"{_s(d, _mega)} per wall s; {_s(c['deliveries_per_cpu_s'], _mega)} per CPU s",
                d["median"],
                d["median"] >= 8e6,
                f"wall / CPU {c['wall_s']['median'] / c['cpu_s']['median']:.2f}",
            )
        )
    if "startup" in sec:
        s = sec["startup"]["propsim run hub (4,000 people)"]
        out.append(
            _target(
                "`propsim run` start-up (tiny scenario: import to first output)",
                "<= 1.5 s",
                f"wall {_s(s['first_output_s'])}; CPU {_s(s['cpu_s'])}",
                s["first_output_s"]["median"],
                s["first_output_s"]["median"] <= 1.5,
            )
        )
    out += _rss_targets(report)
    if "sweep" in sec:
        big = sec["sweep"][report["size_label"]]
        minutes = 600 / big["runs_per_min"] if big["runs_per_min"] else float("nan")
        out.append(
            _target(
                f"sweep 20 p0 x 30 replicates at {report['size_label']}, 2 workers (projected)",
                "< 8 min",
                f"{minutes:.1f} min ({big['runs_per_min']:.1f} runs/min over {big['runs']} runs)",
                minutes,
                minutes < 8,
            )
        )
    return out


def _rss_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    sec = report["sections"]
    out: list[dict[str, Any]] = []
    if "rss" not in sec:
        return out
    for name, r in sec["rss"].items():
        if "error" in r:
            out.append(_target(f"peak RSS, hub at {name}", "-", "not measured: " + r["error"][-160:], None, False))
            continue
        small = r["people"] == report["size"]
        limit = 1024.0 if small else 24 * 1024.0
        out.append(
            _target(
                f"peak RSS, hub at {name} ({r['world']['mode']} world)",
                "<= 1 GB" if small else "fits in 24 GB",
                _mb(r["peak_rss_mb"]),
                r["peak_rss_mb"],
                r["peak_rss_mb"] <= limit,
            )
        )
    if "heavy" in sec:
        h = sec["heavy"]["auto"]
        out.append(
            _target(
                f"peak RSS, heavy campaign at {report['size_label']} ({h['world']['mode']} world)",
                "<= 1 GB",
                _s(h["peak_rss_mb"], _mb),
                h["peak_rss_mb"]["median"],
                h["peak_rss_mb"]["median"] <= 1024.0,
            )
        )
    return out


def _check(name: str, passed: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "passed": bool(passed), "detail": detail}


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> tuple[bool, str]:
    if not a or not b:
        return False, "missing"
    diff = [k for k in a if k in b and k not in SUMMARY_SKIP and a[k] != b[k]]
    return not diff, "identical" if not diff else f"differ in {diff}"


def model_checks(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Correctness checks of the measured runs (never timings)."""
    sec, out = report["sections"], []
    if "heavy" in sec:
        auto = sec["heavy"]["auto"]
        other = next(v for k, v in sec["heavy"].items() if k not in ("auto", "profile"))
        ok, detail = _same(auto["summary"], other["summary"])
        out.append(
            _check(f"heavy campaign: {auto['world']['mode']} world == {other['world']['mode']} world", ok, detail)
        )
        expl = other
        rep = all(_same(auto["summaries"][0], s)[0] for s in auto["summaries"] + expl["summaries"])
        out.append(
            _check(
                "heavy campaign: every sample identical (fresh processes)",
                rep,
                f"{len(auto['summaries'])} + {len(expl['summaries'])}",
            )
        )
        if report["size"] >= 1_000_000:
            d = auto["deliveries"][0]
            out.append(_check("heavy campaign has >= 50M deliveries", d >= 50e6, f"{d:,}"))
    if "cli" in sec and "heavy" in sec:
        summaries = [s["summary"] for s in sec["cli"]["samples"]]
        results = [_same(sec["heavy"]["auto"]["summary"], s) for s in summaries]
        ok = bool(results) and all(r[0] for r in results)
        out.append(_check("`propsim run` summary == in-process run", ok, "; ".join(r[1] for r in results)))
    if "startup" in sec:
        for name, s in sec["startup"].items():
            out.append(_check(f"{name} exits 0", all(e == 0 for e in s["exit"]), str(s["exit"])))
        v = sec["startup"].get("propsim validate hub")
        if v:
            out.append(_check("propsim validate says ok", ": ok (" in v["first_output"], v["first_output"][:80]))
    if "build" in sec:
        w = sec["build"]["explicit"]["world"]
        ratio = (w["graph_edges"] or 0) / (w["population"] * 120.0)
        # Repeated draws of one follower are one follow: the heavy-tailed accounts lose ~1.5% of their draws
        # at 1M people and ~8% at 10k (fewer people to draw from), so the floor depends on the size.
        floor = 0.97 if w["population"] >= 1_000_000 else 0.88
        out.append(
            _check("explicit world holds ~120 followees a person", floor < ratio < 1.01, f"{ratio:.4f} x n x 120")
        )
        out.append(
            _check(
                "implicit world holds no follower graph", sec["build"]["implicit"]["world"]["graph_edges"] is None, ""
            )
        )
    if "sweep" in sec:
        for label, s in sec["sweep"].items():
            ok = s["runs"] == s["ok"] and s["runs"] > 0 and 0 < s["max_reach_share"] <= 1
            out.append(_check(f"sweep at {label}: every run finished", ok, f"{s['ok']}/{s['runs']} ok"))
    return out


# --- markdown -------------------------------------------------------------------------------------------


def header(report: dict[str, Any]) -> str:
    loads = [x for sec in report["sections"].values() for x in _loads(sec)]
    spread_load = f"{min(loads):.1f}-{max(loads):.1f}" if loads else "-"
    cfg = report["config"]
    return (
        f"Full-model benchmark, {report['size_label']} people ({report['date']}, simulator {report['code']}): "
        f"`{cfg['scenario']}` scaled x{cfg['scale']:g} at the default graph degree (120 followees); heavy "
        f"campaign {', '.join(cfg['heavy'])}. {report['machine']}; NUMBA_NUM_THREADS={cfg['numba_threads']}; "
        f"byte-code caches on (PYTHONPYCACHEPREFIX={cfg.get('bytecode_cache', '?')}). "
        f"Machine load (1-min average) {report['load']['start'][0]:.1f} at the start, {spread_load} before the "
        f"measurements, {report['load'].get('end', [float('nan')])[0]:.1f} at the end. Each measurement is a fresh "
        f"process; figures are median [min-max] (n = samples). No peer simulates the full model (accounts, relays, "
        f"repeated exposure, fatigue): there is nothing to run side by side (plain IC vs cynetdiff: benchmarks.ic)."
    )


def _loads(sec: Any) -> list[float]:
    if isinstance(sec, dict):
        return [x for k, v in sec.items() for x in (v if k == "loads" else ([v] if k == "load" else _loads(v)))]
    return []


def targets_table(report: dict[str, Any]) -> str:
    rows = [
        [t["target"], t["limit"], t["measured"], "yes" if t["met"] else "NO", t.get("note", "")]
        for t in report["targets"]
    ]
    return table(["target (issue 13)", "limit", "measured", "met", "note"], rows)


def _build_table(sec: dict[str, Any]) -> str:
    rows = [
        [mode, _s(w["cold_first_cpu_s"]), _s(w["warm_first_cpu_s"]), _s(w["warm_first_wall_s"]), _s(w["hot_cpu_s"])]
        + [_s(w["peak_rss_mb"], _mb), f"{w['world']['graph_edges'] or 0:,}"]
        for mode, w in sec.items()
    ]
    head = ["world build", "cold cache CPU", "warm CPU", "warm wall", "2nd build CPU", "peak RSS", "follower edges"]
    return table(head, rows)


def _heavy_table(sec: dict[str, Any]) -> str:
    rows = [
        [f"{m} ({h['world']['mode']})", f"{h['deliveries'][0]:,}", _s(h["run_cpu_s"]), _s(h["run_wall_s"])]
        + [_s(h["deliveries_per_cpu_s"], _mega), _s(h["peak_rss_mb"], _mb)]
        + [f"{(h['tables'] or {}).get('item_table_mb', 0):,} MB"]
        for m, h in sec.items()
        if m != "profile"
    ]
    head = ["heavy campaign", "deliveries", "run CPU", "run wall", "deliveries / CPU s", "peak RSS", "item table"]
    out = table(head, rows)
    prof = sec.get("profile")
    if prof:
        top = [
            [p["function"], f"{p['own_s']:.2f} s", f"{100 * p['own_s'] / prof['run_cpu_s']:.0f}%", p["calls"]]
            for p in prof["top"][:10]
        ]
        out += (
            f"\n\ncProfile of one heavy run (run phase, {prof['run_cpu_s']:.1f} s CPU of its thread; compiled "
            "kernels are opaque to it):\n\n" + table(["function", "own CPU", "share", "calls"], top)
        )
    return out


def _startup_table(sec: dict[str, Any]) -> str:
    rows = [
        [k, _s(v["first_output_s"]), _s(v["wall_s"]), _s(v["cpu_s"]), _s(v["peak_rss_mb"], _mb)] for k, v in sec.items()
    ]
    return table(["command", "first output", "exit", "CPU", "peak RSS"], rows)


def _rss_table(sec: dict[str, Any]) -> str:
    sec = {k: r for k, r in sec.items() if "error" not in r}
    rows = [
        [k, r["world"]["mode"], _mb(r["peak_rss_mb"]), fmt_time(r["build_cpu_s"]), fmt_time(r["run_cpu_s"])]
        + [f"{r['deliveries']:,}"]
        for k, r in sec.items()
    ]
    return table(["hub scenario", "world", "peak RSS", "build CPU", "run CPU", "deliveries"], rows)


def _sweep_table(sec: dict[str, Any]) -> str:
    rows = [
        [k, s["runs"], f"{s['runs_per_min']:.1f}", fmt_time(s["wall_s"]), fmt_time(s["main_cpu_s"])]
        + [_mb(s["peak_rss_mb"])]
        for k, s in sec.items()
    ]
    head = ["sweep (2 workers)", "runs", "runs / min", "wall", "CPU (main process)", "peak RSS (main process)"]
    return table(head, rows)


DETAILS = {
    "build": _build_table,
    "heavy": _heavy_table,
    "startup": _startup_table,
    "rss": _rss_table,
    "sweep": _sweep_table,
}


def detail_tables(report: dict[str, Any]) -> list[str]:
    """One markdown table per measured section."""
    return [fn(report["sections"][name]) for name, fn in DETAILS.items() if name in report["sections"]]


def render(report: dict[str, Any], readme: bool = False) -> str:
    """The report as markdown (``readme``: the header and the targets table only)."""
    if readme:
        return header(report) + "\n\n" + targets_table(report)
    checks = [f"- [{'PASS' if c['passed'] else 'FAIL'}] {c['name']}: {c['detail']}" for c in report["checks"]]
    parts = [f"## propsim full-model benchmark, {report['size_label']} people", header(report), targets_table(report)]
    return "\n\n".join(parts + detail_tables(report) + ["Correctness:\n" + "\n".join(checks)])
