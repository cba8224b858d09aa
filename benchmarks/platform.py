"""The platform-scale case study as a benchmark (issue 14): ``scenarios/platform_brand.yaml``.

    uv run python -m benchmarks.platform --out benchmarks/results          # 580M and 10M people
    uv run python -m benchmarks.platform --populations 10m --horizon 168   # the first week at 10M
    uv run python -m benchmarks.platform --scale 0.001                     # smoke: a 580k platform
    uv run python -m benchmarks.platform --render benchmarks/results/platform.json [--readme]

A 2M-follower cinema brand (4 sub-brands, 32 city accounts) in a 580M-person platform held implicitly,
a 30-day campaign of 150 original posts and their relays, fatigue and baseline churn on. Each population
runs in a fresh child process (:mod:`benchmarks.runs`): phase times (wall and main-thread CPU), the
process's peak RSS and CPU (``wait4``), deliveries, reach, second-level reach, fatigue and the size of
the run's state tables. The same campaign at 10M people shows whether run time follows deliveries
rather than population. ``--memory-limit GB`` caps each child's address space (default 12 GB) so that
a run that outgrows a shared machine stops with a MemoryError, reported with how far it got, instead
of pushing the machine into the OOM killer. Targets (issue 14): 580M completes in < 5 minutes and
< 8 GB; run time at 580M <= 1.5 x run time at 10M. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from .common import code_version, fmt_time, load_average, machine, parse_size, size_label, table
from .runs import measure

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "platform_brand.yaml"
FILE_POPULATION = 580_000_000  # the scenario file's own population.size
TARGET_SECONDS = 300.0
TARGET_RSS_MB = 8 * 1024.0
TARGET_RATIO = 1.5


def _spec(population: int, args: argparse.Namespace) -> dict[str, Any]:
    overrides = [] if population == FILE_POPULATION else [f"population.size={population}"]
    if args.horizon:
        overrides.append(f"time.until={args.horizon:g}")  # the first hours: horizon and repeats cut together
    overrides += args.set
    return {
        "scenario": str(args.scenario),
        "overrides": overrides,
        "scale": args.scale,
        "memory_limit_gb": args.memory_limit,
        "check_memory": False,  # the address-space cap holds; the loader would refuse what we measure
        "daily": 24,
        "profile": args.profile,
    }


def one(population: int, args: argparse.Namespace) -> dict[str, Any]:
    """One measurement of the campaign at ``population`` people (a fresh process)."""
    r = measure(_spec(population, args))
    s = r.get("summary") or {}
    failed = r.get("failed")
    counters = failed["counters"] if failed else s
    run = r["phases"].get("run")
    deliveries = int(counters.get("impressions", 0))
    row = {
        "population": r["world"]["population"],
        "label": size_label(r["world"]["population"]),
        "world": r["world"],
        "phases": r["phases"],
        "process": r["process"],
        "load_before": r["load_before"],
        "deliveries": deliveries,
        "failed": failed,
        "tables": failed["tables"] if failed else r.get("tables"),
        "summary": s,
        "depth_distribution": r.get("depth_distribution", {}),
        "timeseries": r.get("timeseries"),
        "profile": r.get("profile"),
    }
    if run and deliveries:
        row["run_cpu_per_delivery_ns"] = 1e9 * run["cpu_s"] / deliveries
        row["deliveries_per_cpu_s"] = deliveries / run["cpu_s"]
    return row


def _targets(rows: list[dict[str, Any]], days: float) -> list[dict[str, Any]]:
    by = {r["population"]: r for r in rows}
    big, small = by.get(FILE_POPULATION), by.get(10_000_000)
    out: list[dict[str, Any]] = []
    if big is not None:
        done = big["failed"] is None
        wall = big["process"]["wall_s"]
        cpu = big["process"]["cpu_s"]
        out.append(
            {
                "target": f"580M platform, {days:g}-day campaign: whole process < 5 min (30-day target)",
                "limit": TARGET_SECONDS,
                "measured": wall if done else None,
                "cpu_s": cpu,
                "met": done and wall < TARGET_SECONDS,
                "note": f"CPU {cpu:.0f} s" + ("" if done else f"; stopped: {big['failed']['error']}"),
            }
        )
        rss = big["process"]["max_rss_mb"]
        out.append(
            {
                "target": f"580M platform, {days:g}-day campaign: peak RSS < 8 GB (30-day target)",
                "limit": TARGET_RSS_MB,
                "measured": rss,
                "met": done and rss < TARGET_RSS_MB,
                "note": "" if done else f"stopped at the {big['spec_limit_gb']:g} GB limit",
            }
        )
    if big is not None and small is not None and big["failed"] is None and small["failed"] is None:
        b, s = big["phases"]["run"]["cpu_s"], small["phases"]["run"]["cpu_s"]
        out.append(
            {
                "target": "run time 580M / 10M <= 1.5x (run phase, CPU)",
                "limit": TARGET_RATIO,
                "measured": b / s,
                "met": b / s <= TARGET_RATIO,
                "note": f"deliveries ratio {big['deliveries'] / max(1, small['deliveries']):.2f}",
            }
        )
    return out


def render(report: dict[str, Any], readme: bool = False) -> str:
    """The report as markdown (``readme``: the README rows only)."""
    rows = report["rows"]
    head = (
        f"Platform case study ({report['date']}, simulator {report['code']}): `{Path(report['scenario']).name}`"
        f"{' with ' + ', '.join(report['overrides']) if report['overrides'] else ''}; {report['machine']}; "
        f"machine load (1-min) {report['load']['start'][0]:.1f} at the start, {report['load']['end'][0]:.1f} at the "
        f"end; one fresh process per population, memory limit {report['memory_limit_gb']:g} GB."
    )
    body = []
    for r in rows:
        ph, pr = r["phases"], r["process"]
        run = ph.get("run")
        status = "ok" if r["failed"] is None else f"stopped at hour {r['failed']['hours_reached']:.0f} (MemoryError)"
        s = r["failed"]["counters"] if r["failed"] else r["summary"]
        body.append(
            [
                r["label"],
                r["world"]["mode"],
                status,
                fmt_time(ph["build"]["cpu_s"]),
                fmt_time(run["wall_s"]) if run else "-",
                fmt_time(run["cpu_s"]) if run else "-",
                fmt_time(pr["wall_s"]),
                f"{pr['max_rss_mb'] / 1024:.1f} GB",
                f"{r['deliveries']:,}",
                f"{r.get('run_cpu_per_delivery_ns', float('nan')):.0f} ns",
                f"{s.get('reach', 0):,}",
                f"{s.get('second_level_reach', 0):,}",
                f"{s.get('fatigued', 0):,}",
                f"{s.get('mutes', 0) + s.get('unfollows', 0):,}",
                f"{(r['tables'] or {}).get('item_table_mb', 0) / 1024:.1f} GB",
                _archive_cell(r["tables"] or {}),
                _person_cell(r["tables"] or {}),
            ]
        )
    rows_md = table(
        [
            "people",
            "world",
            "status",
            "build (CPU)",
            "run (wall)",
            "run (CPU)",
            "whole process",
            "peak RSS",
            "deliveries",
            "CPU / delivery",
            "reach",
            "second level",
            "fatigued",
            "exits",
            "item table",
            "archive (pairs)",
            "person table",
        ],
        body,
    )
    tgt = table(
        ["target", "measured", "met"],
        [
            [
                t["target"],
                _fmt_target(t),
                "yes"
                if t["met"]
                else ("no" + (f" ({t['measured'] / t['limit']:.1f}x the limit)" if t["measured"] else "")),
            ]
            for t in report["targets"]
        ],
    )
    if readme:
        return head + "\n\n" + tgt
    return "\n\n".join(["## propsim platform benchmark", head, rows_md, tgt])


def _archive_cell(tables: dict[str, Any]) -> str:
    """The item table's archive: size and live pairs ('-' for engines without one)."""
    if "archive_mb" not in tables:
        return "-"
    return f"{tables['archive_mb'] / 1024:.1f} GB ({tables['archive_pairs'] / 1e6:,.0f}M)"


def _person_cell(tables: dict[str, Any]) -> str:
    return f"{tables.get('person_table_mb', 0) / 1024:.1f} GB" if tables else "-"


def _fmt_target(t: dict[str, Any]) -> str:
    if t["measured"] is None:
        return "- " + t.get("note", "")
    if "RSS" in t["target"]:
        return f"{t['measured'] / 1024:.1f} GB " + t.get("note", "")
    if "/" in t["target"]:
        return f"{t['measured']:.2f}x ({t['note']})"
    return f"{fmt_time(t['measured'])} ({t['note']})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.platform", description=__doc__.split("\n\n")[0])
    ap.add_argument("--populations", default="580m,10m", help="comma-separated people counts (default 580m,10m)")
    ap.add_argument("--scenario", default=str(SCENARIO))
    ap.add_argument("--scale", type=float, default=None, help="multiply population and followers (smoke: 0.001)")
    ap.add_argument("--horizon", type=float, default=None, help="hours (default: the scenario's 720)")
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="extra scenario override")
    ap.add_argument("--memory-limit", type=float, default=12.0, help="address-space cap per run, GB (default 12)")
    ap.add_argument("--profile", action="store_true", help="cProfile the run phase (top functions in the JSON)")
    ap.add_argument("--out", help="folder for platform-<label>.json and .md")
    ap.add_argument("--json", help="also write the report to this JSON file")
    ap.add_argument("--render", help="print the markdown of an existing report JSON")
    ap.add_argument("--readme", action="store_true", help="with --render: only the README rows")
    args = ap.parse_args(argv)
    if args.render:
        print(render(json.loads(Path(args.render).read_text(encoding="utf-8")), args.readme))
        return 0
    pops = [FILE_POPULATION if p.strip().lower() == "580m" else parse_size(p) for p in args.populations.split(",")]
    report: dict[str, Any] = {
        "benchmark": "platform",
        "schema": 1,
        "scenario": str(args.scenario),
        "overrides": ([f"scale={args.scale:g}"] if args.scale else [])
        + ([f"time.until={args.horizon:g}"] if args.horizon else [])
        + args.set,
        "memory_limit_gb": args.memory_limit,
        "machine": machine(),
        "code": code_version(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load": {"start": load_average()},
        "rows": [],
    }
    for p in pops:
        row = one(p, args)
        row["spec_limit_gb"] = args.memory_limit
        report["rows"].append(row)
        print(
            f"{row['label']}: {'ok' if row['failed'] is None else 'stopped (MemoryError)'}, process "
            f"{row['process']['wall_s']:.0f} s wall / {row['process']['cpu_s']:.0f} s CPU, peak RSS "
            f"{row['process']['max_rss_mb']:,.0f} MB, {row['deliveries']:,} deliveries",
            file=sys.stderr,
            flush=True,
        )
    report["load"]["end"] = load_average()
    report["days"] = (args.horizon or 720.0) / 24
    report["targets"] = _targets(report["rows"], report["days"]) if not args.scale else []
    checks = _checks(report["rows"])
    report["checks"] = checks
    text = render(report)
    print(text)
    print(
        "\nChecks:\n" + "\n".join(f"- [{'PASS' if c['passed'] else 'FAIL'}] {c['name']}: {c['detail']}" for c in checks)
    )
    _write(report, text, args)
    return 0 if all(c["passed"] for c in checks) else 1


def _checks(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Correctness of each finished run (never timings): the world is implicit, the campaign published
    every original, reach splits into direct and second level, the daily series is cumulative."""
    out = []
    for r in rows:
        if r["failed"] is not None:
            continue
        s, ts = r["summary"], r["timeseries"] or {}
        reach = ts.get("reach", [])
        out += [
            {
                "name": f"{r['label']} implicit world",
                "passed": r["world"]["mode"] == "implicit",
                "detail": r["world"]["mode"],
            },
            {
                "name": f"{r['label']} all originals published",
                "passed": s["account_posts"] == s["items"],
                "detail": f"{s['account_posts']} originals, {s['account_relays']} relays",
            },
            {
                "name": f"{r['label']} reach = direct + second level",
                "passed": s["reach"] == s["direct_reach"] + s["second_level_reach"] and s["second_level_reach"] > 0,
                "detail": f"{s['reach']:,} = {s['direct_reach']:,} + {s['second_level_reach']:,}",
            },
            {
                "name": f"{r['label']} daily reach is cumulative",
                "passed": bool(reach) and all(b >= a for a, b in zip(reach, reach[1:])),
                "detail": f"{len(reach)} days",
            },
        ]
    return out


def _write(report: dict[str, Any], text: str, args: argparse.Namespace) -> None:
    from simulator.results.output import atomic_write

    paths = []
    if args.out:
        label = "-".join(r["label"] for r in report["rows"]) + (f"-scale{args.scale:g}" if args.scale else "")
        label += f"-{args.horizon:g}h" if args.horizon else ""
        paths.append(Path(args.out) / f"platform-{label}.json")
        Path(args.out).mkdir(parents=True, exist_ok=True)
        md = text.encode("utf-8")
        atomic_write(Path(args.out) / f"platform-{label}.md", lambda f: f.write(md))
    if args.json:
        paths.append(Path(args.json))
    for p in paths:
        data = json.dumps(report, indent=1, default=float).encode("utf-8")
        _write_bytes(p, data)


def _write_bytes(path: Path, data: bytes) -> None:
    from simulator.results.output import atomic_write

    atomic_write(path, lambda f: f.write(data))


if __name__ == "__main__":
    sys.exit(main())
