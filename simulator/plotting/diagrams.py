"""Diagrams of one run: the account matrix (chart 7) and a propagation path (chart 8).

The graph and its layouts are in :mod:`.matrix_graph`, the matrix drawing in
:mod:`.matrix_diagram`, the path in :mod:`.path_diagram`; this module gathers them.
"""

from __future__ import annotations

from simulator.plotting.matrix_diagram import plot_account_matrix
from simulator.plotting.matrix_graph import AccountGraph, account_graph, matrix_layout
from simulator.plotting.path_diagram import path_tree, plot_propagation_path

__all__ = [
    "AccountGraph",
    "account_graph",
    "matrix_layout",
    "path_tree",
    "plot_account_matrix",
    "plot_propagation_path",
]
