"""The interactive SolaraViz app (optional extra ``viz``): ``solara run simulator/app/viz.py``.

In a notebook: ``from simulator.app import page`` and evaluate ``page`` in a cell.
"""

from simulator.app.viz import (
    AppModel,
    account_positions,
    app_document,
    draw_account_matrix,
    draw_curves,
    make_page,
    page,
    summary_text,
)

__all__ = [
    "AppModel",
    "account_positions",
    "app_document",
    "draw_account_matrix",
    "draw_curves",
    "make_page",
    "page",
    "summary_text",
]
