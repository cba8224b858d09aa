"""The ``propsim`` command line: one module per command group, all wired in :mod:`simulator.cli.entry`.

Exit codes: 0 success, 1 invalid input, 2 usage or internal error, 3 some sweep runs failed / an
oracle or a fit outside its tolerance, 130 interrupted.
"""

from simulator.cli.entry import main

__all__ = ["main"]
