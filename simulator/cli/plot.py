"""``propsim plot``: charts, takeaways and a PPTX deck from a run or sweep folder.

    propsim plot RESULTS_DIR [--kind KIND ...] [--output DIR] [--format png|svg|pdf]
                 [--lang en|zh] [--deck FILE.pptx] [--x PATH] [--by COLUMN]
                 [--where PATH=VALUE ...] [--at VALUE] [--top N] [--item ITEM]
                 [--objective effective_reach|reach|reach_per_exit] [--title TEXT]

Exit codes follow ``propsim``: 0 ok, 1 bad input (message, no traceback), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from typing import Any

from simulator.plotting.kinds import KINDS, parse_kinds

_FORMATS = ("png", "svg", "pdf")


def _formats(text: str) -> list[str]:
    out = []
    for part in text.split(","):
        f = part.strip().lower().lstrip(".")
        if f not in _FORMATS:
            raise argparse.ArgumentTypeError(f"unknown format {part!r}; use png, svg or pdf")
        out.append(f)
    return out


def _where(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected PATH=VALUE, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key.strip(), float(value)
    except ValueError:
        return key.strip(), value.strip()


def register(subparsers) -> None:
    """Add ``propsim plot`` to the ``propsim`` command line."""
    p = subparsers.add_parser(
        "plot",
        help="draw comparison charts (and a PowerPoint deck) from a run or sweep folder",
        description="Draw slide-ready comparison charts from the folder of a run (propsim run) or a sweep "
        "(propsim sweep). A sweep gives charts 0-5 and a recommendation, a single run 4-8: 0 differences "
        "(each option vs the baseline), 1 reach, 2 fatigue, 3 tradeoff, 4 timeline, 5 frequency, 6 accounts, "
        "7 matrix, 8 path. Every comparison is a paired difference with a 95 percent interval; what the intervals do "
        "not separate is called similar (n.s.).",
    )
    p.add_argument(
        "results", metavar="RESULTS_DIR", help="a run folder (summary.json) or a sweep folder (manifest.json)"
    )
    p.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help=f"chart(s) to draw: {', '.join(KINDS)}, or 0-8; comma-separated or repeated (default: all that apply)",
    )
    p.add_argument("--output", "-o", metavar="DIR", help="folder for the chart files (default: RESULTS_DIR/plots)")
    p.add_argument(
        "--format",
        action="append",
        type=_formats,
        metavar="png|svg|pdf",
        help="file format(s), comma-separated or repeated (default png; PNG at >= 200 dpi, "
        "SVG with text as outlines, PDF with its fonts embedded)",
    )
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of titles and labels (default en)")
    p.add_argument("--deck", metavar="FILE.pptx", help="also write a 16:9 PowerPoint deck (needs python-pptx)")
    _add_sweep_args(p)
    p.set_defaults(func=cmd_plot)


def _add_sweep_args(p: argparse.ArgumentParser) -> None:
    """How a sweep is cut and what its recommendation maximises; which run item is drawn."""
    p.add_argument(
        "--x",
        metavar="PATH",
        help="sweep parameter for the x axis of charts 1-3 (default behaviour.p0, else the first swept probability)",
    )
    p.add_argument("--by", metavar="COLUMN", help="one line per value of this column (default: topology if swept)")
    p.add_argument(
        "--where",
        action="append",
        type=_where,
        default=[],
        metavar="PATH=VALUE",
        help="hold another swept parameter at this value (default: its first value)",
    )
    p.add_argument(
        "--at",
        type=float,
        metavar="VALUE",
        help="x value at which options are compared (default: the swept value inside the plausible range of "
        "the behaviour profile when the sweep gives one, else the middle swept value)",
    )
    p.add_argument(
        "--top", type=int, default=15, metavar="N", help="accounts shown in the contribution chart (default 15)"
    )
    p.add_argument(
        "--objective",
        choices=("effective_reach", "reach", "reach_per_exit"),
        default="effective_reach",
        help="what the recommendation slide maximises (default effective_reach; exits caused by the campaign "
        "are reported as its cost)",
    )
    p.add_argument("--title", metavar="TEXT", help="title of the deck (default: the scenario's description)")
    p.add_argument(
        "--item",
        metavar="ITEM",
        help="content item (index or label) for the propagation path "
        "(default: the one whose relays reached the most people)",
    )


def cmd_plot(args: argparse.Namespace) -> int:
    from simulator.plotting.fonts import CJK_FONT_FIX, find_cjk_font
    from simulator.plotting.rendering import render

    kinds = parse_kinds(args.kind)  # ValueError -> exit 1 with the message
    formats = [f for group in (args.format or [["png"]]) for f in group]
    if args.deck:
        if not args.deck.lower().endswith(".pptx"):
            raise ValueError(f"--deck {args.deck}: the file name must end in .pptx")
        from simulator.plotting.deck import require_pptx

        require_pptx()
    if args.top < 1:
        raise ValueError("--top must be at least 1")
    item: Any = args.item
    if item is not None and item.isdigit():
        item = int(item)
    if find_cjk_font() is None:
        print(
            f"propsim: warning: no CJK font found; Chinese text will render as empty boxes. Fix: {CJK_FONT_FIX}.",
            file=sys.stderr,
        )
    with warnings.catch_warnings():
        # Said once above instead of once per chart.
        warnings.filterwarnings("ignore", message="propsim: no CJK font", category=UserWarning)
        report = render(
            args.results,
            args.output,
            kinds=kinds,
            formats=formats,
            lang=args.lang,
            deck=args.deck,
            x=args.x,
            by=args.by,
            where=dict(args.where),
            at=args.at,
            top=args.top,
            item=item,
            objective=args.objective,
            title=args.title,
        )
    _print_report(report)
    if not len(report.charts):
        print("propsim: nothing to draw for this folder with the chosen --kind", file=sys.stderr)
        return 1
    return 0


def _print_report(report: Any) -> None:
    """What was drawn, where, with its takeaway; what was skipped and why."""
    from simulator.plotting.formatters import format_value

    cs = report.charts
    sel = cs.selection
    if sel is not None:
        parts = [f"x = {sel.x}" if sel.x else "no numeric parameter", f"lines by {sel.by}" if sel.by else "one line"]
        if sel.at is not None:
            parts.append(f"single-point charts at {sel.x} = {format_value(sel.at, cs.data.points[sel.x].unique())}")
        if sel.where:
            parts.append("held at " + sel.describe(cs.data.points))
        print(f"{cs.data.path}: sweep of {len(cs.data.runs)} runs; " + "; ".join(parts))
        if getattr(cs.data, "failed", 0):
            print(f"  ({cs.data.failed} failed runs left out)")
    for chart in cs:
        files = [f for f in report.files if f.stem.endswith("_" + chart.kind)]
        shown = ", ".join(str(f) for f in files)
        print(f"{chart.kind:<10} {shown}")
        if chart.takeaway:
            print(f"{'':<10} {chart.takeaway}")
    for kind, reason in cs.skipped.items():
        print(f"{kind:<10} skipped: {reason}")
    if report.deck is not None:
        extra = 2 + (cs.recommendation is not None)
        print(f"deck       {report.deck} ({len(cs) + extra} slides)")
    if cs.recommendation is not None:
        print(f"{'recommend':<10} {cs.recommendation.headline}")
