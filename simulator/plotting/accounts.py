"""Chart 6: what each account contributed (first exposures, relays) and the followers it lost,
campaign-caused exits apart from baseline churn."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from simulator.plotting._figure import (
    NOTE_COLOR,
    TEXT_COLOR,
    count_axis,
    finish,
    new_figure,
    set_footer,
    set_title,
    top_legend,
)
from simulator.plotting._tables import lighten, require
from simulator.plotting.formatters import format_sig
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
    """Chart 6: for the ``top`` accounts (by first exposures caused): first exposures caused (by
    its own deliveries, plus via followers' reposts), relays published, and followers lost,
    split into what the campaign caused (mutes + unfollows, in the account's colour) and
    baseline churn (hatched grey: it happens without any campaign), as three aligned panels."""
    require(
        accounts,
        ["handle", "kind", "first_exposures_direct", "first_exposures_total", "relays"],
        "plot_account_contribution",
    )
    rows = top_accounts(accounts, top)
    n = len(rows)
    with slide_style(lang):
        fig, (a1, a2, a3) = new_figure(1, 3, sharey=True, gridspec_kw={"width_ratios": [2.2, 1, 1.2]})
        y = np.arange(n)[::-1]
        colors = [color_for_kind(k) for k in rows["kind"]]
        _exposure_bars(a1, rows, y, colors, lang)
        a2.barh(y, rows["relays"].to_numpy(float), color=colors, height=0.7, gid="relays")
        _lost_bars(a3, rows, y, colors)
        a1.set_yticks(y, labels=rows["handle"].astype(str).tolist())
        a1.tick_params(axis="y", labelsize=14 if n > 12 else 16)
        for ax, key in ((a1, "first_exposures_panel"), (a2, "relays_panel"), (a3, "lost_panel")):
            ax.set_title(text(key, lang), loc="left", fontsize=18)
            count_axis(ax.xaxis, lang, integer=True)
            ax.grid(True, axis="x")
            ax.grid(False, axis="y")
            ax.tick_params(axis="x", labelsize=14)
        a1.margins(x=0.12)
        a2.set_xlim(left=0)
        a3.set_xlim(left=0)
        kinds = list(dict.fromkeys(rows["kind"]))
        handles = [Patch(color=color_for_kind(k), label=label(k, lang) if k in _KIND_KEYS else k) for k in kinds]
        handles.append(
            Patch(facecolor=lighten(NOTE_COLOR, 0.6), edgecolor=NOTE_COLOR, label=text("via_reposts_part", lang))
        )
        handles.append(Patch(facecolor="white", edgecolor=NOTE_COLOR, hatch="///", label=label("churned", lang)))
        top_legend(a1, handles, row=[a1, a2, a3], fontsize=15)
        set_title(fig, title or text("title_accounts", lang, n=n))
        set_footer(fig, text("lost_note", lang))
        return finish(fig)


def _exposure_bars(ax: Axes, rows: pd.DataFrame, y: np.ndarray, colors: list[str], lang: str) -> None:
    direct = rows["first_exposures_direct"].to_numpy(float)
    total = rows["first_exposures_total"].to_numpy(float)
    ax.barh(y, direct, color=colors, height=0.7, gid="first_exposures_direct")
    ax.barh(
        y,
        total - direct,
        left=direct,
        color=[lighten(c, 0.6) for c in colors],
        edgecolor=colors,
        linewidth=1.0,
        height=0.7,
        gid="first_exposures_via_reposts",
    )
    for yi, t in zip(y, total):
        ax.text(t, yi, " " + format_sig(t, lang, integer=True), va="center", ha="left", fontsize=13, color=TEXT_COLOR)


def _lost_bars(ax: Axes, rows: pd.DataFrame, y: np.ndarray, colors: list[str]) -> None:
    """Followers lost: campaign-caused exits (solid) then baseline churn (hatched grey)."""
    exits = sum((rows[c].to_numpy(float) for c in ("mutes", "unfollows") if c in rows), np.zeros(len(rows)))
    churn = rows["churned"].to_numpy(float) if "churned" in rows else np.zeros(len(rows))
    ax.barh(y, exits, color=colors, height=0.7, gid="campaign_exits")
    ax.barh(
        y,
        churn,
        left=exits,
        color="white",
        edgecolor=NOTE_COLOR,
        hatch="///",
        linewidth=0.8,
        height=0.7,
        gid="baseline_churn",
    )
    if not (exits + churn).any():
        ax.set_xlim(0, 1)


_KIND_KEYS = ("official", "sub_brand", "regional", "executive", "employee", "vertical", "other")
