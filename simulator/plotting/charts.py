"""Comparison charts for strategy decks. Each function takes tidy tables and returns a Figure.

=====  ==================================  ====================================================
 no.    function                             tables
=====  ==================================  ====================================================
 1      :func:`plot_reach`                   sweep ``points`` (``reach_mean``, ``reach_ci_*``)
 2      :func:`plot_fatigue`                 sweep ``points`` (``fatigue_share_*``, ``exits_*``)
 3      :func:`plot_tradeoff`                sweep ``points`` (``reach_*`` and a cost, ``exits_*``)
 4      :func:`plot_cumulative_reach`        ``timeseries`` (+ sweep ``runs`` to pick runs)
 5      :func:`plot_frequency`               ``frequency`` (exposures, followers [, run_id])
 5b     :func:`plot_effective_reach`         sweep ``points``, when the sweep kept no frequency table
 6      :func:`plot_account_contribution`    run ``accounts``
=====  ==================================  ====================================================

Each family lives in its own module (:mod:`.lines`, :mod:`.tradeoff`, :mod:`.timeline`,
:mod:`.frequency`, :mod:`.accounts`); this module gathers them. The account-matrix diagram (7) and
the propagation path (8) are in :mod:`simulator.plotting.diagrams`. Every chart is drawn in the
slide style of ``lang`` (``"en"`` or ``"zh"``); numbers use 12k / 1.2M (en) or 1.2万 (zh). Drawn
artists carry a ``gid`` (``"reach:hub"``, ``"reach_ci:hub"``, ``"frontier"``...) so tests and
notebooks can find them.
"""

from __future__ import annotations

from simulator.plotting._tables import FEW_EXITS
from simulator.plotting.accounts import plot_account_contribution, top_accounts
from simulator.plotting.frequency import frequency_buckets, plot_effective_reach, plot_frequency
from simulator.plotting.lines import plot_fatigue, plot_reach
from simulator.plotting.timeline import plot_cumulative_reach
from simulator.plotting.tradeoff import efficient_frontier, plot_tradeoff

__all__ = [
    "FEW_EXITS",
    "efficient_frontier",
    "frequency_buckets",
    "plot_account_contribution",
    "plot_cumulative_reach",
    "plot_effective_reach",
    "plot_fatigue",
    "plot_frequency",
    "plot_reach",
    "plot_tradeoff",
    "top_accounts",
]
