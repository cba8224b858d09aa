"""The full model at scale: build time, 72-tick run time and peak RSS, one process per measurement.

    uv run python -m benchmarks.model --size 1m          # hub.yaml at 1M followers, 3 repeats
    uv run python -m benchmarks.model --size 10m --repeat 1   # check memory first (see README)

Each measurement runs in a fresh child process (``--child``), so its peak RSS
(``getrusage(RUSAGE_SELF).ru_maxrss``) belongs to that one build + run only. The scenario is
``scenarios/hub.yaml`` with ``population.size`` and ``graph.mean_followees=20`` overridden
(more ``--set`` overrides are passed through). ``--profile`` prints the child's cProfile top
functions for the build and for the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from .common import fmt_time, machine, parse_size, peak_rss_mb, size_label, table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "scenarios" / "hub.yaml"
TARGETS_1M = {"build_s": 10.0, "run_s": 5.0, "rss_mb": 2048.0}


def child(args: argparse.Namespace) -> int:
    """One measurement: load, build, run; prints one JSON line on stdout."""
    import simulator
    from simulator.engine.model import PropagationModel
    from simulator.scenario.loading import available_memory

    n = parse_size(args.size)
    overrides = [f"population.size={n}", f"graph.mean_followees={args.followees:g}", *args.set]
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    loaded = simulator.load(args.scenario, overrides=overrides)
    t_load = time.perf_counter() - t0
    prof = None
    if args.profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    model = PropagationModel(loaded)
    t_build = time.perf_counter() - t0
    rss_build = peak_rss_mb()
    if prof is not None:
        prof.disable()
        _print_profile(prof, "build")
        prof = __import__("cProfile").Profile()
        prof.enable()
    t0 = time.perf_counter()
    model.run()
    t_run = time.perf_counter() - t0
    if prof is not None:
        prof.disable()
        _print_profile(prof, "run")
    rss_run = peak_rss_mb()
    t0 = time.perf_counter()
    result = simulator.collect(model)
    t_collect = time.perf_counter() - t0
    s = result.summary
    print(
        json.dumps(
            {
                "n": n,
                "edges": model.world.graph.n_edges,
                "audience_edges": model.world.audience.n_edges,
                "ticks": model.n_ticks,
                "items": len(model.items),
                "accounts": len(model.accounts),
                "load_s": t_load,
                "build_s": t_build,
                "run_s": t_run,
                "collect_s": t_collect,
                "rss_start_mb": rss0,
                "rss_build_mb": rss_build,
                "rss_peak_mb": max(rss_run, peak_rss_mb()),
                "estimated_mb": loaded.estimated_bytes / 1e6,
                "available_mb": available_memory() / 1e6,
                "reach": s["reach"],
                "impressions": s["impressions"],
                "follower_reposts": s["follower_reposts"],
                "max_depth": s["max_depth"],
            }
        ),
        flush=True,
    )
    return 0


def _print_profile(prof, what: str) -> None:
    import io
    import pstats

    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("tottime").print_stats(18)
    print(f"--- cProfile: {what} (by own time) ---\n{buf.getvalue()}", file=sys.stderr, flush=True)


def measure(args: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.model",
        "--child",
        "--size",
        args.size,
        "--scenario",
        str(args.scenario),
        "--followees",
        str(args.followees),
    ]
    for s in args.set:
        cmd += ["--set", s]
    if args.profile:
        cmd.append("--profile")
    proc = subprocess.run(
        cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=None if args.profile else subprocess.PIPE, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"measurement failed (exit {proc.returncode}):\n{proc.stderr or ''}{proc.stdout}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.model", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1m", help="followers: e.g. 100k, 1m (default), 10m")
    ap.add_argument("--scenario", default=str(DEFAULT_SCENARIO), help="scenario file (default scenarios/hub.yaml)")
    ap.add_argument("--followees", type=float, default=20.0, help="graph.mean_followees (default 20)")
    ap.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="extra scenario override")
    ap.add_argument("--repeat", type=int, default=None, help="measurements, one process each (default 3; 1 at 10m+)")
    ap.add_argument("--profile", action="store_true", help="print cProfile top functions of build and run")
    ap.add_argument("--json", help="also write the measurements as JSON")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)
    n = parse_size(args.size)
    repeat = args.repeat if args.repeat is not None else (1 if n >= 5_000_000 else 3)
    runs = []
    for i in range(max(1, repeat)):
        runs.append(measure(args))
        r = runs[-1]
        print(
            f"measurement {i + 1}/{repeat}: build {r['build_s']:.2f} s, run {r['run_s']:.2f} s, "
            f"peak RSS {r['rss_peak_mb']:,.0f} MB",
            file=sys.stderr,
            flush=True,
        )
    med = {
        k: float(np.median([r[k] for r in runs]))
        for k in ("build_s", "run_s", "collect_s", "rss_build_mb", "rss_peak_mb")
    }
    r0 = runs[0]
    rows = [
        [
            size_label(n),
            f"{r0['edges']:,}",
            f"{r0['audience_edges']:,}",
            r0["ticks"],
            fmt_time(med["build_s"]),
            fmt_time(med["run_s"]),
            fmt_time(med["collect_s"]),
            f"{med['rss_build_mb']:,.0f} MB",
            f"{med['rss_peak_mb']:,.0f} MB",
            f"{r0['estimated_mb']:,.0f} MB",
            f"{r0['reach']:,}",
            f"{r0['follower_reposts']:,}",
        ]
    ]
    extra = " ".join(f"--set {s}" for s in args.set)
    text = "\n".join(
        [
            f"## propsim full model, {size_label(n)} followers",
            "",
            f"Scenario {Path(args.scenario).name} with population.size={n} graph.mean_followees={args.followees:g} {extra}"
            f"; {len(runs)} measurement(s), one fresh process each (medians); {machine()}.",
            "",
            table(
                [
                    "followers",
                    "follower edges",
                    "audience edges",
                    "ticks",
                    "build",
                    "run",
                    "collect",
                    "peak RSS build",
                    "peak RSS",
                    "loader estimate",
                    "reach",
                    "follower reposts",
                ],
                rows,
            ),
        ]
    )
    if n == 1_000_000:
        text += "\n\nTargets at 1M: build <= 10 s: %s; run <= 5 s: %s; peak RSS <= 2 GB: %s" % (
            "yes" if med["build_s"] <= TARGETS_1M["build_s"] else "NO",
            "yes" if med["run_s"] <= TARGETS_1M["run_s"] else "NO",
            "yes" if med["rss_peak_mb"] <= TARGETS_1M["rss_mb"] else "NO",
        )
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"runs": runs, "median": med, "table": text}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
