"""Markdown tables from the JSON results of :mod:`benchmarks.ic` (the README's performance rows).

    uv run python -m benchmarks.report benchmarks/results/ic-1m.json            # the full report
    uv run python -m benchmarks.report benchmarks/results/ic-1m.json --readme   # README rows only
    uv run python -m benchmarks.report before.json after.json                   # before / after

Every figure is read from the JSON file: nothing is re-measured or typed in by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import fmt_count, fmt_ratio, fmt_time, table

Ratio = dict[str, float]


def _row(report: dict[str, Any], graph: str, label: str) -> dict[str, Any] | None:
    return next((r for r in report["rows"] if r["graph"] == graph and r["row"] == label), None)


def _ratio(graph: str, label: str, impl: str = "public") -> Callable[[dict[str, Any]], Ratio | None]:
    def get(report: dict[str, Any]) -> Ratio | None:
        row = _row(report, graph, label)
        return None if row is None else row["ratio"][impl]

    return get


def _worst_poisson(report: dict[str, Any]) -> Ratio | None:
    """The Poisson row with the lowest median ratio (the target holds at every p)."""
    rows = [r for r in report["rows"] if r["graph"] == "poisson"]
    if not rows:
        return None
    worst = min(rows, key=lambda r: r["ratio"]["public"]["median"])
    return worst["ratio"]["public"] | {"p": worst["p"]}


def _curve(report: dict[str, Any]) -> Ratio | None:
    curve = report.get("curve") or []
    if not curve:
        return None
    ratios = sorted(c["cyn20_s"] / c["curve_s"] for c in curve)
    return {"n": len(ratios), "min": ratios[0], "median": ratios[len(ratios) // 2], "max": ratios[-1]}


# issue 13's targets for the IC kernel against cynetdiff (at 1M nodes, side by side in one run)
TARGETS: list[tuple[str, float, Callable[[dict[str, Any]], Ratio | None]]] = [
    ("IC p = 0.1, heavy-tailed graph (public API)", 5.0, _ratio("heavy", "0.1")),
    ("IC p = 0.01, heavy-tailed graph (public API)", 2.0, _ratio("heavy", "0.01")),
    ("IC one tiny cascade per call, public `independent_cascade`", 1.0, _ratio("heavy", "0.01 tiny")),
    ("IC one tiny cascade per call, `Cascader.run`", 1.0, _ratio("heavy", "0.01 tiny", "run")),
    ("IC on the Poisson graph, worst p (public API)", 1.0, _worst_poisson),
    ("20-point reach curve vs 20 cynetdiff runs", 15.0, _curve),
]


def fmt_spread(r: Ratio | None, fmt: Callable[[float], str] = fmt_ratio) -> str:
    """'median [min-max]' of a spread dict."""
    if r is None:
        return "-"
    return f"{fmt(r['median'])} [{fmt(r['min'])}-{fmt(r['max'])}]"


def header(report: dict[str, Any]) -> str:
    load = report["load"]
    per = load["per_round_1min"]
    graphs = "; ".join(f"{k}: {v['nodes']:,} nodes, {v['edges']:,} edges" for k, v in report["graphs"].items())
    code = report.get("code", {})
    label = f" ({code['label']})" if code.get("label") else ""
    return (
        f"IC benchmark, {report['size_label']} nodes ({report['date']}, simulator {code.get('simulator', '?')}"
        f"{label}): {graphs}. {report['machine']}; "
        f"propsim backend {report['backend']}, cynetdiff {report['cynetdiff_version']}. Machine load (1-min "
        f"average, runnable processes) {load['start'][0]:.1f} at the start, {fmt_spread(per, _num)} over the "
        f"rounds, {load['end'][0]:.1f} at the end; the benchmark thread got {load['cpu_share']:.0%} of a core "
        f"(CPU / wall). Times are CPU time of the benchmark thread per cascade, median [min-max] over "
        f"{report['config']['rounds']} interleaved rounds; ratios are cynetdiff / propsim in the same round. "
        f"The first `independent_cascade` call after the graph builds (kernel cache load, or compile "
        f"when the cache is stale; scratch allocation) took {report['first_call_s']:.2f} s wall; numba's own "
        f"start-up was paid by the graph build."
    )


def _num(x: float) -> str:
    return f"{x:.1f}"


def rows_table(report: dict[str, Any]) -> str:
    head = [
        "graph",
        "p",
        "seeds",
        "cascades",
        "mean size propsim / cynetdiff",
        "public / cascade",
        "Cascader.run",
        "batched",
        "cynetdiff",
        "ratio public",
        "ratio run",
        "ratio batched",
        "Mtrials/s public / cynetdiff (ratio)",
    ]
    body = []
    for r in report["rows"]:
        cpu, ratio, tps = r["cpu_per_cascade_s"], r["ratio"], r["trials_per_cpu_s"]
        body.append(
            [
                r["graph"],
                r["row"],
                r["seeds"],
                f"{r['rounds']} x {r['cascades_per_round']}",
                f"{fmt_count(r['mean_size']['run'])} / {fmt_count(r['mean_size']['cynetdiff'])}",
                *(fmt_spread(cpu[k], fmt_time) for k in ("public", "run", "batched", "cynetdiff")),
                *(fmt_spread(ratio[k]) for k in ("public", "run", "batched")),
                f"{_mega(tps['public'])} / {_mega(tps['cynetdiff'])} ({fmt_ratio(r['trial_ratio']['public'])})",
            ]
        )
        if r.get("eon"):
            body[-1] += [fmt_spread(r["eon"]["cpu_per_cascade_s"], fmt_time), fmt_count(r["eon"]["mean_size"])]
    if any(r.get("eon") for r in report["rows"]):
        head += ["EoN / cascade", "mean size EoN"]
    return table(head, body)


def _mega(x: float | None) -> str:
    return "-" if not x else f"{x / 1e6:,.0f}"


def curve_table(report: dict[str, Any]) -> str:
    curve = report.get("curve") or []
    if not curve:
        return ""
    med = {
        k: sorted(c[k] for c in curve)[len(curve) // 2] for k in ("curve_s", "curve_exposed_s", "runs20_s", "cyn20_s")
    }
    return table(
        ["20-point curve (heavy)", "one pass", "+ exposure", "20 propsim runs", "20 cynetdiff runs", "ratio"],
        [
            [
                f"median of {len(curve)}",
                fmt_time(med["curve_s"]),
                fmt_time(med["curve_exposed_s"]),
                fmt_time(med["runs20_s"]),
                fmt_time(med["cyn20_s"]),
                fmt_spread(_curve(report)),
            ]
        ],
    )


def targets_table(report: dict[str, Any]) -> str:
    """The README's IC performance rows: issue 13's targets, measured median [min-max], met?"""
    body = []
    for name, target, get in TARGETS:
        r = get(report)
        where = f" (p = {r['p']:g})" if r and "p" in r else ""
        met = "-" if r is None else ("yes" if r["median"] >= target else f"no ({r['median'] / target:.0%} of it)")
        body.append([name + where, f">= {target:g}x", fmt_spread(r), met])
    return table([f"vs cynetdiff, {report['size_label']} nodes", "target", "measured", "met"], body)


def render(report: dict[str, Any]) -> str:
    """The whole report as markdown."""
    checks = [f"- [{'PASS' if c['passed'] else 'FAIL'}] {c['name']}: {c['detail']}" for c in report["checks"]]
    parts = [
        f"## propsim IC benchmark, n = {report['size_label']}",
        "",
        header(report),
        "",
        rows_table(report),
        "",
        curve_table(report),
        "",
        targets_table(report),
        "",
        f"Peak RSS {report['peak_rss_mb']:,.0f} MB (whole process, with cynetdiff's uint32 copies of the graphs).",
        "",
        "Correctness:",
        *checks,
    ]
    return "\n".join(parts)


def compare(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Before / after table of the target rows (each from its own run, with its own load)."""
    body = []
    for name, target, get in TARGETS:
        b, a = get(before), get(after)
        body.append([name, f">= {target:g}x", fmt_spread(b), fmt_spread(a)])
    loads = [f"{r['load']['per_round_1min']['median']:.1f}" for r in (before, after)]
    head = [f"before (load {loads[0]})", f"after (load {loads[1]})"]
    rows = []
    for r in after["rows"]:
        b = _row(before, r["graph"], r["row"])
        cells = [fmt_spread(x["ratio"]["public"]) if x else "-" for x in (b, r)]
        rows.append([r["graph"], r["row"], *cells])
    return (
        table(["vs cynetdiff", "target", *head], body)
        + "\n\n"
        + table(["graph", "p", *(f"public API, {h}" for h in head)], rows)
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__.split("\n\n")[0])
    ap.add_argument("json", nargs="+", help="one report (render it) or two (before, after)")
    ap.add_argument("--readme", action="store_true", help="only the README rows (targets table and header)")
    args = ap.parse_args(argv)
    if len(args.json) > 2:
        ap.error("give one report, or two to compare")
    reports = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.json]
    if len(reports) == 2:
        print(compare(*reports))
    elif args.readme:
        print(header(reports[0]) + "\n\n" + targets_table(reports[0]))
    else:
        print(render(reports[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
