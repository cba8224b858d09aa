"""The interactive SolaraViz app (optional extra ``viz``): ``solara run simulator/app/page.py``.

In a notebook: ``from simulator.app import page`` and evaluate ``page`` in a cell.
"""

from simulator.app.page import (
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
