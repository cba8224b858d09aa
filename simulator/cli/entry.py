"""The ``propsim`` command line.

Exit codes: 0 success, 1 invalid input (every problem printed as ``FILE:LINE:COL: field: message``),
2 usage error or internal error, 130 interrupted (Ctrl-C). Bad input never prints a traceback;
set ``PROPSIM_DEBUG=1`` to see one for an internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from simulator import __version__
from simulator.scenario.errors import ScenarioError

EXIT_INPUT, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's default exit code 2 is ours too
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="propsim",
        description="Simulate how a company's posts spread through its matrix of "
        "social-media accounts and their followers.",
    )
    p.add_argument("--version", action="version", version=f"propsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    # Each command module registers its parsers; the heavy libraries load only inside commands.
    from simulator.cli import compare, model_check, plot, run, sweep

    for module in (run, sweep, compare, plot, model_check):
        module.register(sub)
    return p


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
    except MemoryError:  # the run's state outgrew the machine (or a memory cap): nothing was written
        if os.environ.get("PROPSIM_DEBUG"):
            raise
        print(
            "propsim: out of memory: the run's state (it grows with the people reached x the posts) outgrew "
            "the memory available; nothing was written. Run at a smaller --scale or with fewer posts.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except (RuntimeError, ValueError, OSError) as e:
        if os.environ.get("PROPSIM_DEBUG"):
            raise
        print(f"propsim: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except Exception as e:  # an internal bug: say so plainly, traceback on request
        if os.environ.get("PROPSIM_DEBUG"):
            raise
        print(
            f"propsim: internal error: {type(e).__name__}: {e} (set PROPSIM_DEBUG=1 for the traceback)", file=sys.stderr
        )
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
