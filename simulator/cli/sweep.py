"""``propsim sweep``: run a parameter sweep from the command line.

    propsim sweep FILE [--set PATH=VALUES ...] [--replicates N] [--seed N] [--mode grid|zip]
                  [--workers N] [--scheduler ADDRESS | --cluster local] [--output DIR]
                  [--resume | --no-resume] [--format auto|parquet|csv] [--scale F]
                  [--batch-size N] [--quiet] [--dry-run]

``--set PATH=v1,v2,v3``, ``--set PATH=log:1e-3:1e-1:5`` or ``--set PATH=lin:0:1:11`` sweeps a field
(added to, or replacing, the file's ``sweep: parameters:``); ``--fix PATH=VALUE`` changes a field for
every run without making it a column (e.g. ``--fix population.size=20000``).

Exit codes: 0 every run succeeded; 3 the sweep finished but some runs failed (their error and
traceback are in the runs table); 4 some runs were lost with their worker process (it died, e.g.
killed or out of memory, on every try: the first and 2 retries); they are in the runs table with
an error starting ``WorkerLost`` and run again on resume; when both happen, 4; 1 invalid input, a
folder holding a different sweep (resume refused) or a folder in use by another running sweep;
2 usage error; 130 interrupted by Ctrl-C (finished runs are kept: run the same command again to
resume).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_INPUT, EXIT_RUNS_FAILED, EXIT_WORKER_LOST, EXIT_INTERRUPTED = 0, 1, 3, 4, 130


def register(subparsers) -> None:
    """Add the ``sweep`` command to ``propsim``'s subcommands."""
    p = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep (p x topology x replicates), resumable and parallel",
        description="Run every point of a sweep (the file's sweep: section and/or --set PATH=VALUES) "
        "with N replicates each, and write tidy runs / timeseries / points tables. "
        "Exit codes: 0 ok, 3 some runs failed, 4 some runs lost their worker process (killed or out of "
        "memory), 1 invalid input, resume refused or folder in use, 130 interrupted.",
    )
    p.add_argument("file", help="scenario YAML file (or a bundled scenario name, e.g. hub)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUES",
        dest="set",
        help="sweep a field: PATH=v1,v2,v3 | PATH=log:START:STOP:NUM | PATH=lin:START:STOP:NUM "
        "(repeatable; replaces the file's parameter with the same path)",
    )
    p.add_argument(
        "--fix",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="set a field for every run, not swept (e.g. population.size=20000; repeatable)",
    )
    p.add_argument("--replicates", type=int, metavar="N", help="replicates per point (default: the file's, or 1)")
    p.add_argument("--seed", type=int, metavar="N", help="root seed (default: the file's sweep.seed or seed)")
    p.add_argument(
        "--mode", choices=("grid", "zip"), help="grid: every combination (default); zip: i-th values together"
    )
    p.add_argument("--scale", type=float, help="multiply population and follower counts (e.g. 0.05)")
    p.add_argument(
        "--workers",
        "-j",
        type=int,
        default=1,
        metavar="N",
        help="parallel workers: 1 runs in this process (default), N a process pool "
        "(or N Dask workers with --cluster local)",
    )
    g = p.add_mutually_exclusive_group()
    g.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://host:8786")
    g.add_argument("--cluster", choices=("local",), help="start a Dask LocalCluster with --workers workers")
    p.add_argument("--output", "-o", metavar="DIR", help="output folder (default: results/<file name>_sweep)")
    p.add_argument(
        "--resume",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="skip runs already finished in the output folder (default); --no-resume clears it",
    )
    p.add_argument(
        "--format",
        choices=("auto", "parquet", "csv"),
        default="auto",
        help="table format (default: parquet when pyarrow is installed, else csv)",
    )
    p.add_argument(
        "--baseline",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="the point the differences table compares every other point with (default: the first "
        "value of the first swept field; repeatable for several fields, e.g. --baseline topology=hub)",
    )
    p.add_argument("--batch-size", type=int, metavar="N", help="runs per task (default: automatic)")
    p.add_argument(
        "--engine",
        default="abm",
        metavar="NAME",
        help="how runs are computed: abm (default, the agent-based model) or ic (the whole "
        "reach-vs-behaviour.p0 curve per replicate in one independent-cascade pass; one-post "
        "scenarios with fatigue, churn and alpha/beta off; see simulator.sweeps.ic_engine)",
    )
    p.add_argument("--no-cache", action="store_true", help="build the world for every run (slower; same results)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar: a log line every 30 s")
    p.add_argument("--dry-run", action="store_true", help="validate every point and print the plan, run nothing")
    p.set_defaults(func=cmd_sweep)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _plan(args: argparse.Namespace):
    """The validated sweep plan of the command line (ScenarioError / ValueError when invalid)."""
    from simulator.scenario.paths import resolve_scenario_path
    from simulator.scenario.sweep_spec import parse_baseline, parse_sets
    from simulator.sweeps.plan import prepare

    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    if args.batch_size is not None and args.batch_size < 1:
        raise ValueError("--batch-size must be at least 1")
    params = parse_sets(args.set)
    baseline = parse_baseline(args.baseline)
    path = resolve_scenario_path(args.file)
    plan = prepare(
        path,
        params,
        replicates=args.replicates,
        seed=args.seed,
        mode=args.mode,
        overrides=args.fix,
        scale=args.scale,
        cache_worlds=not args.no_cache,
        engine=args.engine,
        baseline=baseline,
    )
    return path, plan


def cmd_sweep(args: argparse.Namespace) -> int:
    from simulator.sweeps.runner import SweepInterrupted, WorkersLost, run_plan

    path, plan = _plan(args)
    out = Path(args.output) if args.output else Path("results") / f"{path.stem}_sweep"
    for note in plan.metadata.get("notes", []):  # before any run: e.g. preset-only params of a preset sweep
        _err(f"note: {note}")
    spec = plan.spec
    head = (
        f"sweep {path}: {len(plan.points)} points x {spec.replicates} replicates = {plan.total_runs} runs "
        f"({spec.mode}, root seed {spec.seed}; {plan.population:,} followers at most)"
    )
    if args.dry_run:
        print(head)
        for p in spec.parameters:
            print(f"  {p.name}: {', '.join(map(_show, p.values))}")
        if plan.baseline:
            print("differences against: " + ", ".join(f"{k}={_show(v)}" for k, v in plan.baseline.items()))
        print(f"valid: every point loads; output would go to {out}/")
        return EXIT_OK
    _err(head)
    t0 = time.perf_counter()
    try:
        manifest = run_plan(
            plan,
            out,
            workers=args.workers,
            cluster=args.cluster,
            scheduler=args.scheduler,
            resume=args.resume,
            format=args.format,
            batch_size=args.batch_size,
            progress=not args.quiet,
            log=_err if args.quiet else None,
        )
    except SweepInterrupted as e:
        _err(
            f"propsim: interrupted: {e.done}/{e.total} runs finished and kept in {out}/; "
            "run the same command again to resume"
        )
        return EXIT_INTERRUPTED
    except WorkersLost as e:
        _err(f"propsim: error: {e}")
        return EXIT_WORKER_LOST
    return _report(manifest, out, time.perf_counter() - t0)


def _report(manifest: dict, out: Path, seconds: float) -> int:
    """Say how the sweep went; the exit code (0 ok, 3 runs failed, 4 runs lost their worker)."""
    from simulator.sweeps.runner import read_sweep

    prog = manifest.get("progress", {})
    fmt = manifest["plan"]["format"]
    _err(
        f"sweep: {prog.get('ok', 0)} runs ok, {prog.get('failed', 0)} failed in {seconds:.1f} s "
        f"-> {out}/ (runs.{fmt}, timeseries.{fmt}, points.{fmt}, differences.{fmt}, manifest.json)"
    )
    if not prog.get("failed"):
        return EXIT_OK
    failed = read_sweep(out).failed
    for _, r in failed.head(5).iterrows():
        _err(f"  failed run {r['run_id']} (replicate {r['replicate']}): {r['error']}")
    if len(failed) > 5:
        _err(f"  ... and {len(failed) - 5} more (see the error and traceback columns of runs.{fmt})")
    if prog.get("lost"):
        _err(
            f"sweep: {prog['lost']} runs lost their worker process on every try (out of memory? see "
            "--workers); run the same command again to retry them"
        )
        return EXIT_WORKER_LOST
    return EXIT_RUNS_FAILED


def _show(v) -> str:
    from simulator.scenario.sweep_spec import _show as show

    return show(v)
