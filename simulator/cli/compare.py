"""``propsim compare``: your matrix against presets built at its budget, on the same worlds.

    propsim compare FILE [--against hub,dandelion,...] [--replicates N] [--set PATH=VALUE(S) ...]
                    [--baseline NAME] [--rank-by METRIC] [--seed N] [--scale F] [--workers N]
                    [--scheduler ADDRESS | --cluster local] [--output DIR] [--resume | --no-resume]
                    [--format auto|parquet|csv] [--quiet]

Prints the ranked table (paired differences against your matrix with simultaneous intervals) and
writes a sweep folder (``propsim plot DIR --deck deck.pptx`` works on it) with ``comparison``,
``budgets`` and ``comparison.txt`` beside the sweep tables. Exit codes: 0 ok, 3 some runs failed,
1 invalid input or resume refused, 130 interrupted (run the same command again to resume).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_RUNS_FAILED, EXIT_INTERRUPTED = 0, 3, 130


def register(subparsers) -> None:
    """Add the ``compare`` command to ``propsim``'s subcommands."""
    p = subparsers.add_parser(
        "compare",
        help="your matrix against presets at the same budget: ranked paired differences",
        description="Build each preset at the budget of your scenario's matrix (same population, total "
        "audience, number of accounts, official share and campaign), run every matrix on the same "
        "replicate worlds and print a ranked table of paired differences against your matrix. "
        "Exit codes: 0 ok, 3 some runs failed, 1 invalid input or resume refused, 130 interrupted.",
    )
    p.add_argument("file", help="your scenario YAML file (or a bundled scenario name)")
    p.add_argument(
        "--against",
        default="all",
        metavar="PRESETS",
        help="comma-separated presets (names or aliases) to compare with (default: all six)",
    )
    p.add_argument("--replicates", type=int, default=10, metavar="N", help="replicate worlds (default 10)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE(S)",
        dest="set",
        help="one value: change a field of your scenario (any path); several values or a range "
        "(log:a:b:n): compare at each value of a field every matrix shares (behaviour, fatigue, graph, time)",
    )
    p.add_argument(
        "--baseline",
        default="custom",
        metavar="NAME",
        help="the matrix differences are taken against (default: custom, your own)",
    )
    p.add_argument(
        "--rank-by",
        default="effective_reach",
        metavar="METRIC",
        help="metric of the ranking (default effective_reach; e.g. reach)",
    )
    p.add_argument("--seed", type=int, metavar="N", help="root seed (default: the scenario's seed)")
    p.add_argument("--scale", type=float, help="multiply population and follower counts (e.g. 0.05)")
    p.add_argument("--workers", "-j", type=int, default=1, metavar="N", help="parallel workers (as propsim sweep)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786")
    g.add_argument("--cluster", choices=("local",), help="start a Dask LocalCluster with --workers workers")
    p.add_argument("--output", "-o", metavar="DIR", help="output folder (default: results/<file name>_compare)")
    p.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="skip runs already finished in the output folder (default); --no-resume clears it",
    )
    p.add_argument("--format", choices=("auto", "parquet", "csv"), default="auto", help="table format")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_compare)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_compare(args: argparse.Namespace) -> int:
    from simulator.scenario.paths import resolve_scenario_path
    from simulator.scenario.sweep_spec import parse_sets
    from simulator.sweeps.compare import compare
    from simulator.sweeps.runner import SweepInterrupted

    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    if args.replicates < 2:
        raise ValueError("--replicates must be at least 2 (paired intervals need two replicates)")
    settings = parse_sets(args.set)
    path = resolve_scenario_path(args.file)
    out = Path(args.output) if args.output else Path("results") / f"{path.stem}_compare"
    _err(f"compare {path}: your matrix against {args.against} x {args.replicates} replicates -> {out}/")
    t0 = time.perf_counter()
    try:
        result = compare(
            path,
            args.against,
            replicates=args.replicates,
            settings=settings,
            seed=args.seed,
            scale=args.scale,
            baseline=args.baseline,
            rank_by=args.rank_by,
            workers=args.workers,
            cluster=args.cluster,
            scheduler=args.scheduler,
            output=out,
            resume=args.resume,
            format=args.format,
            progress=not args.quiet,
        )
    except SweepInterrupted as e:
        _err(f"propsim: interrupted: {e.done}/{e.total} runs finished and kept in {out}/; run the same command again")
        return EXIT_INTERRUPTED
    print(result)
    failed = result.sweep.failed
    _err(
        f"compare: {len(result.sweep.runs)} runs in {time.perf_counter() - t0:.1f} s -> {out}/ "
        f"(comparison, budgets, comparison.txt and the sweep tables; propsim plot {out} --deck deck.pptx)"
    )
    if len(failed):
        for _, r in failed.head(5).iterrows():
            _err(f"  failed run {r['run_id']} (replicate {r['replicate']}): {r['error']}")
        return EXIT_RUNS_FAILED
    return EXIT_OK
