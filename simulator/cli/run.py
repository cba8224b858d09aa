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


def _print_summary(s: dict, out: Path | None, seconds: float) -> None:
    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    lines = [
        f"scenario    {s['scenario']}  (topology {s['topology'] or 'custom'}, seed {s['seed']}, "
        f"{s['population']:,} followers, {s['accounts']} accounts, {s['items']} items, {s['horizon_h']:g} h)",
        f"reach       {s['reach']:,} ({pct(s['reach_share'])} of population): direct {s['direct_reach']:,}, "
        f"second level {s['second_level_reach']:,}",
        f"impressions {s['impressions']:,}  mean frequency {s['mean_frequency']:.2f}  "
        f"effective reach (>= {s['effective_reach_threshold']}) {s['effective_reach']:,}  "
        f"duplicates {s['duplicate_exposures']:,}",
        f"spread      account relays {s['account_relays']}, follower reposts {s['follower_reposts']:,}, "
        f"max depth {s['max_depth']}, t50 {_h(s['t50_h'])}, t90 {_h(s['t90_h'])}",
        f"fatigue     fatigued {s['fatigued']:,} ({pct(s['fatigue_share'])} of reached), mutes {s['mutes']:,}, "
        f"unfollows {s['unfollows']:,}, baseline churn {s['churned']:,}",
    ]
    if out is not None:
        lines.append(f"written     {out}/ (summary.json, timeseries, accounts, relays, frequency) in {seconds:.1f} s")
    print("\n".join(lines))


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
    from simulator.engine.model import PropagationModel
    from simulator.results.collect import collect
    from simulator.results.output import check_output_dir, require_parquet, write_run
    from simulator.scenario.loading import load

    path = resolve_scenario_path(args.file)
    loaded = load(path, overrides=args.set, seed=args.seed, scale=args.scale)
    if args.format == "parquet":
        require_parquet()
    out = Path(args.output) if args.output else Path("results") / path.stem
    check_output_dir(out, output_bytes(loaded))  # before the run: never lose a run to a bad target
    t0 = time.perf_counter()
    model = PropagationModel(loaded)
    model.run()
    result = collect(model)
    write_run(result, out, args.format)
    if args.json:
        print(json.dumps(result.summary, ensure_ascii=False, indent=2))
    else:
        _print_summary(result.summary, out, time.perf_counter() - t0)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from simulator.scenario.loading import load

    status = 0
    for f in args.files:
        try:
            loaded = load(resolve_scenario_path(f), overrides=args.set)
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
    r.add_argument("--json", action="store_true", help="print the summary as JSON")
    r.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check scenario files without running them")
    v.add_argument("files", nargs="+")
    v.add_argument("--set", action="append", default=[], metavar="PATH=VALUE")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("scenarios", help="list the bundled scenarios")
    s.set_defaults(func=cmd_scenarios)

    j = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    j.add_argument("--output", "-o", help="write to this file instead of stdout")
    j.set_defaults(func=cmd_schema)
