"""``propsim run``, ``validate``, ``scenarios`` and ``schema``: one scenario at a time."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.scenario.errors import ScenarioError
from simulator.scenario.paths import bundled_dir, resolve_scenario_path

if TYPE_CHECKING:
    from simulator.scenario.loading import LoadedScenario

EXIT_INPUT = 1
UNTIL_HELP = (
    "run only the first HOURS of the campaign: the horizon becomes HOURS and repeated posts keep the "
    "repeats before it (e.g. a week of a month-long campaign: --until 168)"
)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _print_summary(s: dict, out: Path | None, seconds: float) -> None:
    scaled = s.get("full_size") is not None
    sim = "simulated " if scaled else ""
    lines = [
        f"scenario    {s['scenario']}  (topology {s['topology'] or 'custom'}, seed {s['seed']}, "
        f"{s['population']:,} {sim}followers, {s['accounts']} accounts, {s['items']} items, {s['horizon_h']:g} h)",
        f"reach       {s['reach']:,} ({_pct(s['reach_share'])} of the {sim}population): "
        f"direct {s['direct_reach']:,}, second level {s['second_level_reach']:,}",
        f"impressions {s['impressions']:,}  mean frequency {s['mean_frequency']:.2f}  "
        f"effective reach (>= {s['effective_reach_threshold']}) {s['effective_reach']:,}  "
        f"duplicates {s['duplicate_exposures']:,}",
        f"spread      account relays {s['account_relays']}, follower reposts {s['follower_reposts']:,}, "
        f"max depth {s['max_depth']}, t50 {_h(s['t50_h'])}, t90 {_h(s['t90_h'])}",
        f"fatigue     fatigued {s['fatigued']:,} ({_pct(s['fatigue_share'])} of reached), mutes {s['mutes']:,}, "
        f"unfollows {s['unfollows']:,}, baseline churn {s['churned']:,}",
    ]
    if s.get("horizon_full_h") is not None:
        lines.append(
            f"until       the first {s['horizon_h']:g} h of the file's {s['horizon_full_h']:g} h: "
            f"{s['items_original']} of its {s['originals_full']} original posts (--until)"
        )
    if scaled:
        lines += _full_size_lines(s)
    lines += _overlap_lines(s.get("overlaps") or [])
    if out is not None:
        lines.append(f"written     {out}/ (summary.json, timeseries, accounts, relays, frequency) in {seconds:.1f} s")
    print("\n".join(lines))


FULL_SIZE_SHOWN = (
    ("reach", "reach"),
    ("direct_reach", "direct"),
    ("impressions", "impressions"),
    ("follower_reposts", "follower reposts"),
    ("exits", "exits"),
    ("churned", "baseline churn"),
)
MAX_OVERLAP_ROWS = 8


def _full_size_lines(s: dict) -> list[str]:
    f = s["full_size"]
    figures = ", ".join(f"{label} ~{f[k]:,}" for k, label in FULL_SIZE_SHOWN if k in f)
    return [
        f"scale       simulated at {s['scale']:g} of full size ({s['population']:,} of {s['population_full']:,} "
        "people): the counts above are simulated; shares refer to the simulated population and hold at full size",
        f"full size   {figures} (simulated counts / {s['scale']:g}; all in summary.json full_size)",
    ]


def _overlap_lines(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    out = ["overlaps    share of the first unit's followers who also follow the second (declared / realised):"]
    for o in rows[:MAX_OVERLAP_ROWS]:
        declared = f"{o['declared']:.3f}" if o["declared"] is not None else "undeclared"
        if o.get("reverse_declared"):
            declared = "reverse of a declared overlap"
        lo, hi = f"{o['realised_min']:.3f}", f"{o['realised_max']:.3f}"
        spread = "" if lo == hi else f" (members {lo}-{hi})"
        out.append(f"            {o['account']} -> {o['other']}: {declared} / {o['realised']:.3f}{spread}")
    if len(rows) > MAX_OVERLAP_ROWS:
        out.append(f"            ... {len(rows) - MAX_OVERLAP_ROWS} more in summary.json overlaps")
    return out


def _print_warnings(warnings: list, seen: set[tuple[str, str]] | None = None) -> None:
    """Print warnings (ScenarioWarning or their dicts) to stderr, each once."""
    seen = set() if seen is None else seen
    for w in warnings:
        d = w if isinstance(w, dict) else w.as_dict()
        key = (d["code"], d["message"])
        if key in seen:
            continue
        seen.add(key)
        where = d["where"] or d["field"]
        print(f"{where + ': ' if where else ''}warning: {d['message']} [{d['code']}]", file=sys.stderr)


def _h(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f} h"


OUTPUT_ROW_BYTES = 300  # rough bytes of one table row on disk (CSV)


def output_bytes(loaded: LoadedScenario) -> int:
    """Rough size of a run folder: a time-series row per tick, a row per account, relay rows up
    to one per relay edge and item."""
    sc, m = loaded.scenario, loaded.matrix
    rows = sc.time.horizon / sc.time.tick + len(m.accounts) + len(m.relays) * max(1, len(m.items))
    return int(OUTPUT_ROW_BYTES * rows)


def cmd_run(args: argparse.Namespace) -> int:
    from simulator.scenario.loading import load

    path = resolve_scenario_path(args.file)
    loaded = load(path, overrides=args.set, seed=args.seed, scale=args.scale, until=args.until)
    if args.explain:
        return _explain(loaded, args.json)
    from simulator.engine.model import PropagationModel
    from simulator.results.collect import collect
    from simulator.results.diagnostics import full_size, run_warnings
    from simulator.results.output import check_output_dir, require_parquet, write_run
    from simulator.scenario.warnings import loaded_warnings

    if args.format == "parquet":
        require_parquet()
    out = Path(args.output) if args.output else Path("results") / path.stem
    check_output_dir(out, output_bytes(loaded))  # before the run: never lose a run to a bad target
    printed: set[tuple[str, str]] = set()
    _print_warnings(loaded_warnings(loaded, estimates=False), printed)  # before a long run, not after
    t0 = time.perf_counter()
    model = PropagationModel(loaded)
    model.run()
    result = collect(model)
    s = result.summary
    found = run_warnings(loaded.scenario, loaded.matrix, model.world, s, loaded.locate)
    s["warnings"] = [w.as_dict() for w in found]
    s.update(full_size(s, loaded.scale, loaded.population_full))
    if loaded.horizon_full is not None:
        s.update(
            horizon_full_h=loaded.horizon_full,
            originals_full=loaded.originals_full,
            items_original=sum(p.repeat for p in loaded.scenario.campaign),
        )
    write_run(result, out, args.format)
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=2))
    else:
        _print_summary(s, out, time.perf_counter() - t0)
    _print_warnings(found, printed)
    return 0


def _explain(loaded: LoadedScenario, as_json: bool) -> int:
    from simulator.results.explain import explain, format_explain

    d = explain(loaded)
    print(json.dumps(d, ensure_ascii=False, indent=2) if as_json else format_explain(d))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from simulator.scenario.loading import load, machine_fit
    from simulator.scenario.warnings import loaded_warnings

    status = 0
    for f in args.files:
        try:
            # validity does not depend on this machine: its memory is a warning here, a refusal in run
            loaded = load(resolve_scenario_path(f), overrides=args.set, until=args.until, check_memory=False)
        except ScenarioError as e:
            print(str(e), file=sys.stderr)
            status = EXIT_INPUT
            continue
        m = loaded.matrix
        print(
            f"{f}: ok ({loaded.scenario.population.size:,} followers, {len(m.accounts)} accounts, "
            f"{len(m.relays)} relay edges, {len(m.items)} items, ~{loaded.estimated_bytes / 1e9:.2f} GB, "
            f"~{_duration(loaded.estimated_seconds)})"
        )
        _print_warnings(loaded_warnings(loaded))
        for msg in machine_fit(loaded):
            print(f"{f}: warning: {msg} [machine]", file=sys.stderr)
    return status


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def cmd_scenarios(args: argparse.Namespace) -> int:
    from simulator.scenario.yaml_io import parse_yaml, read_text

    folder = bundled_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        print(f"no bundled scenarios found in {folder}", file=sys.stderr)
        return EXIT_INPUT
    width = max(len(f.stem) for f in files)
    for f in files:
        try:
            doc, _ = parse_yaml(read_text(f), str(f))
            desc = str(doc.get("description", "")).strip().splitlines()[0] if doc.get("description") else ""
        except (ScenarioError, AttributeError, IndexError):
            desc = "(unreadable)"
        print(f"{f.stem:<{width}}  {desc}")
    print(f"\n(in {folder}; run one with: propsim run {folder.name}/{files[0].name})")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from simulator.scenario.schema import Scenario

    schema = Scenario.model_json_schema()
    text = json.dumps(schema, ensure_ascii=False, indent=2)
    if args.output:
        from simulator.results.output import atomic_write

        atomic_write(args.output, lambda f: f.write(text.encode("utf-8")))
    else:
        print(text)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the one-scenario commands to the ``propsim`` parser."""
    r = sub.add_parser("run", help="run one scenario and write its results")
    r.add_argument("file", help="scenario YAML file (or the name of a bundled scenario, e.g. hub)")
    r.add_argument("--seed", type=int, help="override the scenario's seed")
    r.add_argument("--output", "-o", help="output folder (default: results/<scenario file name>)")
    r.add_argument("--format", choices=("csv", "json", "parquet"), default="csv", help="table format (default csv)")
    r.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="override a field, e.g. --set behaviour.p0=0.002 (repeatable)",
    )
    r.add_argument("--scale", type=float, help="multiply population and follower counts (e.g. 0.05 for a quick try)")
    r.add_argument("--until", type=float, metavar="HOURS", help=UNTIL_HELP)
    r.add_argument("--json", action="store_true", help="print the summary (or with --explain the matrix) as JSON")
    r.add_argument(
        "--explain",
        action="store_true",
        help="print the expanded matrix (accounts, audiences, realised overlaps, relay edges per item) "
        "and the warnings, without running the campaign",
    )
    r.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check scenario files without running them (and print warnings)")
    v.add_argument("files", nargs="+")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    v.add_argument("--until", type=float, metavar="HOURS", help=UNTIL_HELP)
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("scenarios", help="list the bundled scenarios")
    s.set_defaults(func=cmd_scenarios)

    j = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    j.add_argument("--output", "-o", help="write to this file instead of stdout")
    j.set_defaults(func=cmd_schema)
