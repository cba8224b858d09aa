"""The oracle report: the full engine in plain-IC mode against analytic results.

:mod:`~simulator.validation.theory` (the analytic results), :mod:`~simulator.validation.generators`
(graphs built for the purpose), :mod:`~simulator.validation.harness` (running the engine in plain-IC
mode), :mod:`~simulator.validation.oracles` (the report's rows) and :mod:`~simulator.validation.report`
(table, summary and figure).
"""
