"""``propsim validate-model`` (oracle report) and ``propsim calibrate`` (fit to real cascades).

Registered into the main CLI by :func:`register`. Exit codes as the rest of ``propsim`` (0 ok,
1 invalid input, 2 usage or internal error, 130 interrupted) plus 3: the model ran but an
oracle is outside its tolerance / the calibrated fit misses its target.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

EXIT_CHECK_FAILED = 3
AUTO_POPULATION = 50_000  # calibration runs scale the scenario down to about this many followers


def register(subparsers) -> None:
    """Add the ``validate-model`` and ``calibrate`` subcommands."""
    v = subparsers.add_parser(
        "validate-model",
        help="check the engine against analytic results (oracle report)",
        description="Run the engine in plain independent-cascade mode on configuration-model, directed "
        "follower and branching-process graphs and compare with theory (docs/model.md, "
        "analytic oracles). Prints theory, simulation and z-scores; writes oracles.csv, oracles.md, "
        "report.json and oracles.png. Exit 3 if an oracle is outside |z| < 4.",
    )
    v.add_argument(
        "--size",
        choices=("small", "large"),
        default="small",
        help="small: 20k-node graphs, ~30 s (CI); large: 200k nodes, several minutes",
    )
    v.add_argument("--seed", type=int, default=1, help="root seed (default 1)")
    v.add_argument("--output", "-o", help="output folder (default results/validation-SIZE)")
    v.add_argument(
        "--only",
        action="append",
        choices=("undirected", "directed", "branching", "exposure"),
        help="run only this oracle family (repeatable)",
    )
    v.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    v.add_argument(
        "--plot-format", action="append", choices=("png", "svg", "pdf"), help="figure format (repeatable; default png)"
    )
    v.add_argument("--json", action="store_true", help="print the table as JSON records")
    v.set_defaults(func=cmd_validate_model)

    c = subparsers.add_parser(
        "calibrate",
        help="fit follower behaviour to real cascade profiles and write a scenario",
        description="Fit behaviour.p0 (typical depth-1 share), behaviour.latency (direct-repost delay), "
        "the exposure response (if the target gives an exposure curve) and relay probabilities "
        "(if the target gives observed relay counts) so that simulated organic cascades of the "
        "scenario reproduce the target; print the fit and write the scenario with the fitted "
        "values. Exit 3 if the fit misses the target's tolerance (10 pp / 20%).",
        epilog="Target file (YAML or JSON), every key optional: depth1_share, latency_median_h, latency_sigma, "
        "latency_quantiles_h {p10,p25,p75,p90}, latency_share_lt_1h, latency_share_lt_24h, "
        "exposure_response {1: 1.0, 2: 1.2, ...}, relays {count, accounts, source_posts, days, source, "
        "target} or relays_per_month + accounts + source_posts_per_month.",
    )
    c.add_argument("file", help="scenario YAML file (or the name of a bundled scenario, e.g. hub)")
    c.add_argument(
        "--target",
        "-t",
        required=True,
        help="weibo, twitter, twitter15, twitter16 (measured profiles) or a target file",
    )
    c.add_argument("--output", "-o", help="calibrated scenario file (default ./NAME.TARGET.yaml)")
    c.add_argument("--force", action="store_true", help="overwrite the output file if it exists")
    c.add_argument("--dry-run", action="store_true", help="fit and print, write nothing")
    c.add_argument("--account", help="seed account id (default: the account of the first campaign post)")
    c.add_argument("--cascades", type=int, default=200, help="simulated cascades per candidate (default 200)")
    c.add_argument(
        "--scale",
        type=float,
        help=f"scale of the calibration runs (default: down to ~{AUTO_POPULATION:,} followers); "
        "the written scenario keeps its own size",
    )
    c.add_argument("--seed", type=int, help="seed of the calibration runs (default: the scenario's)")
    c.add_argument("--max-iter", type=int, default=10, help="maximum p0 candidates (default 10)")
    c.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field for the calibration runs only (repeatable)",
    )
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    c.set_defaults(func=cmd_calibrate)


def _err(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_validate_model(args: argparse.Namespace) -> int:
    from simulator.validation.oracles import run_report
    from simulator.validation.report import format_table, summary_line, write_report

    out = Path(args.output) if args.output else Path("results") / f"validation-{args.size}"
    t0 = time.perf_counter()
    report = run_report(args.size, seed=args.seed, families=args.only, progress=None if args.json else _err)
    written = write_report(report, out)
    if not args.no_plot:
        from simulator.plotting.oracles import plot_report

        written += plot_report(report, out / "oracles", tuple(args.plot_format or ("png",)))
    if args.json:
        print(report.table().to_json(orient="records", indent=1))
    else:
        print(format_table(report, markdown=False))
        print()
        print(summary_line(report))
        print(f"written     {out}/ ({', '.join(p.name for p in written)}) in {time.perf_counter() - t0:.0f} s")
    return 0 if report.ok else EXIT_CHECK_FAILED


def cmd_calibrate(args: argparse.Namespace) -> int:
    from simulator.calibration.fit import calibrate
    from simulator.calibration.report import calibration_json, format_calibration, write_calibrated
    from simulator.calibration.targets import resolve_target
    from simulator.scenario.loading import load
    from simulator.scenario.paths import resolve_scenario_path

    path = resolve_scenario_path(args.file)
    target = resolve_target(args.target)
    if args.cascades < 10:
        raise ValueError("--cascades must be at least 10")
    if args.scale is not None and not 0 < args.scale <= 1000:
        raise ValueError("--scale must be in (0, 1000]")
    out = Path(args.output) if args.output else Path(f"{path.stem}.{target.name}.yaml")
    if not args.dry_run:
        if out.resolve() == path.resolve():
            raise ValueError(f"{out}: refusing to overwrite the input scenario; choose another --output")
        if out.exists() and not args.force:
            raise ValueError(f"{out} exists; use --force to overwrite it or --output to choose another file")
    scale = args.scale
    if scale is None:
        full = load(path, overrides=args.set, seed=args.seed, check_memory=False)
        size = full.scenario.population.size
        scale = min(1.0, AUTO_POPULATION / size)
    loaded = load(path, overrides=args.set, seed=args.seed, scale=None if scale == 1.0 else scale)
    say = None if args.json else _err
    if say and scale != 1.0:
        say(
            f"calibration runs at scale {scale:g} (population {loaded.scenario.population.size:,}); depth shares "
            "and delays do not depend on the population size"
        )
    cal = calibrate(
        loaded,
        target,
        account=args.account,
        cascades=args.cascades,
        seed=args.seed,
        max_iter=args.max_iter,
        scenario_name=str(path),
        progress=say,
    )
    if scale != 1.0:
        cal.notes.append(f"fitted at --scale {scale:g} (population {loaded.scenario.population.size:,})")
    written = None
    if not args.dry_run:
        written = write_calibrated(path, cal, out)
    if args.json:
        data = calibration_json(cal)
        data["written"] = str(written) if written else None
        print(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=True))
    else:
        print(format_calibration(cal))
        print()
        print(f"fit within tolerance: {'yes' if cal.ok else 'NO'}")
        if written:
            print(f"written     {written}")
    return 0 if cal.ok else EXIT_CHECK_FAILED
