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
# Defaults of simulator.calibration.profile_fit, repeated so that `propsim --help` does not load the engine
# (tests/test_calibrate.py checks they agree).
PROFILE_SIGMAS = "0,0.2,0.3,0.4,0.5,0.6,0.8"
PROFILE_VIRAL = 0.025


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
        help="fit follower behaviour to real cascade profiles and write a scenario or a behaviour profile",
        description="Fit behaviour.p0 (typical depth-1 share), behaviour.latency (direct-repost delay), "
        "the exposure response (if the target gives an exposure curve) and relay probabilities "
        "(if the target gives observed relay counts) so that simulated organic cascades of the "
        "scenario reproduce the target; print the fit and write the scenario with the fitted "
        "values. Exit 3 if the fit misses the target's tolerance (10 pp / 20%). "
        "With --profile NAME: fit the named behaviour profile (p0, appeal_sigma, latency) in the "
        "calibration world (default: the bundled hub scenario) and store it with its fit table and "
        "provenance in behaviour_profiles.json. With --check-defaults: run bundled scenarios at their "
        "defaults over several seeds and compare their cascades with Weibo's.",
        epilog="Target file (YAML or JSON), every key optional: depth1_share, latency_median_h, latency_sigma, "
        "latency_quantiles_h {p10,p25,p75,p90}, latency_share_lt_1h, latency_share_lt_24h, "
        "exposure_response {1: 1.0, 2: 1.2, ...}, relays {count, accounts, source_posts, days, source, "
        "target} or relays_per_month + accounts + source_posts_per_month.",
    )
    c.add_argument(
        "file",
        nargs="?",
        help="scenario YAML file (or the name of a bundled scenario, e.g. hub); with --profile the "
        "calibration world (default hub), with --check-defaults the one scenario to check (default: all)",
    )
    c.add_argument(
        "--target",
        "-t",
        help="weibo, twitter, twitter15, twitter16 (measured profiles) or a target file "
        "(required unless --profile or --check-defaults; with --profile default: the profile's name)",
    )
    c.add_argument("--profile", metavar="NAME", help="fit behaviour profile NAME (weibo, twitter) and store it")
    c.add_argument(
        "--sigmas",
        help=f"--profile: appeal_sigma values to scan (comma-separated, default {PROFILE_SIGMAS})",
    )
    c.add_argument(
        "--viral-limit",
        type=float,
        help="--profile: largest share of posts allowed to spread to > 10%% of the population "
        f"(default {PROFILE_VIRAL})",
    )
    c.add_argument(
        "--check-defaults",
        action="store_true",
        help="run the bundled scenarios (or FILE) at their defaults and compare their cascades with Weibo's",
    )
    c.add_argument("--replicates", type=int, default=5, help="--check-defaults: seeds per scenario (1..N, default 5)")
    c.add_argument(
        "--output",
        "-o",
        help="calibrated scenario file (default ./NAME.TARGET.yaml); with --profile the profiles file "
        "(default: the package's simulator/data/behaviour_profiles.json); with --check-defaults a CSV of cascades",
    )
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
    if args.profile:
        return cmd_profile(args)
    if args.check_defaults:
        return cmd_check_defaults(args)
    if not args.file or not args.target:
        raise ValueError("calibrate needs a scenario FILE and --target (or --profile NAME, or --check-defaults)")
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


def _floats(text: str, what: str) -> list[float]:
    try:
        out = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"{what}: expected comma-separated numbers, got {text!r}") from None
    if not out or any(not 0 <= x <= 5 for x in out):
        raise ValueError(f"{what}: expected numbers in [0, 5], got {text!r}")
    return out


def cmd_profile(args: argparse.Namespace) -> int:
    """``propsim calibrate --profile NAME``: fit a behaviour profile and store it."""
    from simulator.calibration.profile_fit import (
        CALIBRATION_SCENARIO,
        fit_profile,
        format_profile_fit,
        write_profile,
    )
    from simulator.calibration.targets import BUILTIN_TARGETS, builtin_target
    from simulator.scenario.loading import load
    from simulator.scenario.paths import resolve_scenario_path
    from simulator.scenario.profiles import profile_path

    name = args.profile.strip().lower()
    target_name = (args.target or name).strip().lower()
    if target_name not in BUILTIN_TARGETS:
        raise ValueError(f"--profile needs a built-in target ({', '.join(BUILTIN_TARGETS)}); got {target_name!r}")
    if args.cascades < 10:
        raise ValueError("--cascades must be at least 10")
    sigmas = _floats(args.sigmas or PROFILE_SIGMAS, "--sigmas")
    limit = PROFILE_VIRAL if args.viral_limit is None else args.viral_limit
    if not 0 <= limit < 1:
        raise ValueError("--viral-limit must be in [0, 1)")
    scenario = args.file or CALIBRATION_SCENARIO
    path = resolve_scenario_path(scenario)
    # The calibration world runs at full size: the follower graph's tail (capped at 5% of the world)
    # and the account's share of the world change with --scale.
    loaded = load(path, overrides=args.set, seed=args.seed, scale=args.scale, check_memory=False)
    say = None if args.json else _err
    fit = fit_profile(
        loaded,
        name,
        builtin_target(target_name),
        account=args.account,
        cascades=args.cascades,
        seed=args.seed,
        sigmas=sigmas,
        viral_limit=limit,
        max_iter=args.max_iter,
        scenario_name=f"{path.stem} (" + (f"--scale {args.scale:g}, " if args.scale else "") + f"{path.name})",
        progress=say,
    )
    out = Path(args.output) if args.output else profile_path()
    written = None if args.dry_run else write_profile(fit, out)
    if args.json:
        print(json.dumps({"profile": name, **fit.entry(), "written": str(written) if written else None}, indent=1))
    else:
        print(format_profile_fit(fit))
        print()
        print(f"fit within tolerance: {'yes' if fit.ok else 'NO'}")
        if written:
            print(f"written     {written} [profiles.{name}]")
    return 0 if fit.ok else EXIT_CHECK_FAILED


def cmd_check_defaults(args: argparse.Namespace) -> int:
    """``propsim calibrate --check-defaults``: the bundled scenarios' cascades against Weibo's."""
    from simulator.calibration.realism import (
        bundled_scenarios,
        format_realism,
        pooled,
        scenario_realism,
        within_bands,
    )
    from simulator.scenario.paths import resolve_scenario_path

    if not 1 <= args.replicates <= 1000:
        raise ValueError("--replicates must be in 1..1000")
    paths = [resolve_scenario_path(args.file)] if args.file else bundled_scenarios()
    seeds = list(range(1, args.replicates + 1))
    say = None if args.json else _err
    results = [scenario_realism(p, seeds, overrides=args.set, progress=say) for p in paths]
    if args.output:
        import pandas as pd

        from simulator.results.output import atomic_write

        table = pd.concat([r.cascades.assign(scenario=r.scenario) for r in results], ignore_index=True)
        text = table.to_csv(index=False).encode("utf-8")
        atomic_write(args.output, lambda f: f.write(text))
    ok = within_bands(results)
    if args.json:
        from simulator.calibration.realism import summary_rows

        data = {"scenarios": summary_rows(results).to_dict(orient="records"), "pooled": pooled(results), "ok": ok}
        print(json.dumps(data, indent=1, allow_nan=True))
    else:
        print(format_realism(results))
        print()
        print(f"every scenario inside the issue-10 bands (viral posts judged pooled): {'yes' if ok else 'NO'}")
    return 0 if ok else EXIT_CHECK_FAILED
