"""The ``propsim`` command line.

Exit codes: 0 success, 1 invalid input (every problem printed as ``FILE:LINE:COL: field: message``),
2 usage error or internal error, 130 interrupted (Ctrl-C). Bad input never prints a traceback;
set ``PROPSIM_DEBUG=1`` to see one for an internal error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from . import __version__
from .scenario_io import ScenarioError

EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's default exit code 2 is ours too
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def bundled_dir() -> Path:
    """Folder of the bundled scenarios (inside the wheel, or the checkout's ``scenarios/``)."""
    here = Path(__file__).resolve().parent
    for cand in (here / "scenarios", here.parent / "scenarios"):
        if cand.is_dir():
            return cand
    return here.parent / "scenarios"


def resolve_scenario_path(name: str) -> Path:
    """A path as given, or the name of a bundled scenario (``hub`` -> scenarios/hub.yaml)."""
    p = Path(name)
    if p.exists() or p.suffix:
        return p
    cand = bundled_dir() / f"{name}.yaml"
    return cand if cand.exists() else p


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


def cmd_run(args: argparse.Namespace) -> int:
    from .model import PropagationModel
    from .output import require_parquet, write_run
    from .results import collect
    from .scenario_io import load

    path = resolve_scenario_path(args.file)
    loaded = load(path, overrides=args.set, seed=args.seed, scale=args.scale)
    if args.format == "parquet":
        require_parquet()
    out = Path(args.output) if args.output else Path("results") / path.stem
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
    from .scenario_io import load

    status = 0
    for f in args.files:
        try:
            loaded = load(resolve_scenario_path(f), overrides=args.set)
        except ScenarioError as e:
            print(str(e), file=sys.stderr)
            status = EXIT_INPUT
            continue
        m = loaded.matrix
        print(f"{f}: ok ({loaded.scenario.population.size:,} followers, {len(m.accounts)} accounts, "
              f"{len(m.relays)} relay edges, {len(m.items)} items, ~{loaded.estimated_bytes / 1e9:.2f} GB)")
    return status


def cmd_scenarios(args: argparse.Namespace) -> int:
    from .scenario_io import parse_yaml

    folder = bundled_dir()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        print(f"no bundled scenarios found in {folder}", file=sys.stderr)
        return EXIT_INPUT
    width = max(len(f.stem) for f in files)
    for f in files:
        try:
            doc, _ = parse_yaml(f.read_text(encoding="utf-8"), str(f))
            desc = str(doc.get("description", "")).strip().splitlines()[0] if doc.get("description") else ""
        except (ScenarioError, OSError, IndexError):
            desc = "(unreadable)"
        print(f"{f.stem:<{width}}  {desc}")
    print(f"\n(in {folder}; run one with: propsim run {folder.name}/{files[0].name})")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    from .config import Scenario

    schema = Scenario.model_json_schema()
    text = json.dumps(schema, ensure_ascii=False, indent=2)
    if args.output:
        from .output import atomic_write

        atomic_write(args.output, lambda f: f.write(text.encode("utf-8")))
    else:
        print(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="propsim", description="Simulate how a company's posts spread through its matrix of "
                                            "social-media accounts and their followers.")
    p.add_argument("--version", action="version", version=f"propsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    r = sub.add_parser("run", help="run one scenario and write its results")
    r.add_argument("file", help="scenario YAML file (or the name of a bundled scenario, e.g. hub)")
    r.add_argument("--seed", type=int, help="override the scenario's seed")
    r.add_argument("--output", "-o", help="output folder (default: results/<scenario file name>)")
    r.add_argument("--format", choices=("csv", "json", "parquet"), default="csv", help="table format (default csv)")
    r.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field, e.g. --set behaviour.p0=0.002 (repeatable)")
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

    _register_extensions(sub)
    return p


def _register_extensions(sub) -> None:
    """Commands that live in their own modules (sweep, plot, ...) register themselves here."""
    import importlib

    for mod in ("simulator.sweep_cli", "simulator.plotting.cli", "simulator.validation_cli"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name == mod or (e.name and mod.startswith(e.name)):
                continue
            raise
        m.register(sub)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``propsim`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args)
    except ScenarioError as e:
        print(str(e), file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("propsim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (RuntimeError, ValueError, OSError) as e:
        if os.environ.get("PROPSIM_DEBUG"):
            raise
        print(f"propsim: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as e:  # an internal bug: say so plainly, traceback on request
        if os.environ.get("PROPSIM_DEBUG"):
            raise
        print(f"propsim: internal error: {type(e).__name__}: {e} (set PROPSIM_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
