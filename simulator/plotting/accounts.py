"""Chart 6: what each account contributed (first exposures, relays, audience change)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from simulator.plotting._figure import (
    TEXT_COLOR,
    count_axis,
    finish,
    new_figure,
    set_title,
    top_legend,
)
from simulator.plotting._tables import (
    lighten,
    require,
)
from simulator.plotting.formatters import format_count
from simulator.plotting.labels import label, text
from simulator.plotting.palette import color_for_kind
from simulator.plotting.style import slide_style


def top_accounts(accounts: pd.DataFrame, top: int = 15) -> pd.DataFrame:
    """The ``top`` accounts by first exposures caused (``first_exposures_total``), largest first."""
    return accounts.sort_values(["first_exposures_total", "relays"], ascending=False, kind="stable").head(top)


def plot_account_contribution(
    accounts: pd.DataFrame,
    *,
    top: int = 15,
    lang: str = "en",
    title: str | None = None,
) -> Figure:
    """Chart 6: for the ``top`` accounts (by first exposures caused): first exposures caused
    (by its own deliveries, plus via followers' reposts), relays published, and net audience
    change (-(unfollows + churn)), as three aligned bar panels coloured by account kind."""
    require(
        accounts,
        ["handle", "kind", "first_exposures_direct", "first_exposures_total", "relays", "net_audience_change"],
        "plot_account_contribution",
    )
    rows = top_accounts(accounts, top)
    n = len(rows)
    with slide_style(lang):
        fig, (a1, a2, a3) = new_figure(1, 3, sharey=True, gridspec_kw={"width_ratios": [2.2, 1, 1]})
        y = np.arange(n)[::-1]
        colors = [color_for_kind(k) for k in rows["kind"]]
        direct = rows["first_exposures_direct"].to_numpy(float)
        total = rows["first_exposures_total"].to_numpy(float)
        a1.barh(y, direct, color=colors, height=0.7, gid="first_exposures_direct")
        a1.barh(
            y,
            total - direct,
            left=direct,
            color=[lighten(c, 0.6) for c in colors],
            height=0.7,
            gid="first_exposures_via_reposts",
        )
        for yi, t in zip(y, total):
            a1.text(t, yi, " " + format_count(t, lang), va="center", ha="left", fontsize=13, color=TEXT_COLOR)
        a2.barh(y, rows["relays"].to_numpy(float), color=colors, height=0.7, gid="relays")
        net = rows["net_audience_change"].to_numpy(float)
        a3.barh(y, net, color=colors, height=0.7, gid="net_audience_change")
        a3.axvline(0, color="#333333", linewidth=1.2)
        a1.set_yticks(y, labels=rows["handle"].astype(str).tolist())
        a1.tick_params(axis="y", labelsize=14 if n > 12 else 16)
        for ax, key in ((a1, "first_exposures_panel"), (a2, "relays_panel"), (a3, "net_change_panel")):
            ax.set_title(text(key, lang), loc="left", fontsize=18)
            count_axis(ax.xaxis, lang)
            ax.grid(True, axis="x")
            ax.grid(False, axis="y")
            ax.tick_params(axis="x", labelsize=14)
        a1.margins(x=0.12)
        a2.set_xlim(left=0)
        a2.xaxis.get_major_locator().set_params(integer=True)
        if net.min() >= 0:
            a3.set_xlim(-1, 1)
        else:
            a3.set_xlim(net.min() * 1.15, max(0.0, net.max()) + abs(net.min()) * 0.1)
        kinds = list(dict.fromkeys(rows["kind"]))
        handles = [Patch(color=color_for_kind(k), label=label(k, lang) if k in _KIND_KEYS else k) for k in kinds]
        handles.append(Patch(color=lighten("#555555", 0.6), label=text("via_reposts_part", lang)))
        top_legend(a1, handles, row=[a1, a2, a3], fontsize=15)
        set_title(fig, title or text("title_accounts", lang, n=n))
        return finish(fig)


_KIND_KEYS = ("official", "sub_brand", "regional", "executive", "employee", "vertical", "other")
