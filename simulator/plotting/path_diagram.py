"""Chart 8: the propagation path of one item, a time-ordered tree of its account relays.

Drawn from the run's ``relays`` table: who relayed whom and when, with the people each relay
reached first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from simulator.plotting._figure import (
    NOTE_COLOR,
    TEXT_COLOR,
    count_axis,
    finish,
    new_figure,
    set_footer,
    set_title,
)
from simulator.plotting.formatters import format_count
from simulator.plotting.labels import label, text
from simulator.plotting.palette import KIND_COLORS, color_for_kind
from simulator.plotting.style import slide_style

# 8. The propagation path of one item
# ---------------------------------------------------------------------------


def _pick_item(relays: pd.DataFrame, item: Any) -> Any:
    if item is None:  # the item whose relays reached the most new people (then: most relays, earliest)
        stats = relays.groupby("item").agg(
            reach=("reach_added", "sum"), n=("reach_added", "size"), t=("relayed_h", "min")
        )
        stats = stats.sort_values(["reach", "n", "t"], ascending=[False, False, True], kind="stable")
        return stats.index[0]
    if item in set(relays["item"]):
        return item
    if "item_label" in relays and item in set(relays["item_label"].astype(str)):
        return relays.loc[relays["item_label"].astype(str) == str(item), "item"].iloc[0]
    raise ValueError(f"item {item!r} has no relays; items with relays: {sorted(set(relays['item']))}")


def path_tree(relays: pd.DataFrame, item: Any = None, top: int = 25) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The relay tree of one item, in drawing order.

    Returns ``(rows, info)``: ``rows`` are the item's relays that are drawn (the ``top`` by
    ``reach_added`` and every ancestor they need), depth-first with children by time, with added
    columns ``row`` (0 = first relay under the root), ``parent_row`` (-1 = the original post),
    ``t`` (hours after the post) and ``cum_reach_added`` (over all the item's relays, by time);
    ``info`` holds ``item``, ``label``, ``root`` (the posting account), ``post_h``, ``n_relays``,
    ``reach_added`` (total), ``hidden`` and ``hidden_reach``.
    """
    it = _pick_item(relays, item)
    rows = relays[relays["item"] == it].sort_values("relayed_h", kind="stable").reset_index(drop=True)
    d1 = rows[rows["relay_depth"] == rows["relay_depth"].min()]
    root = str(d1["source"].iloc[0])
    post_h = float(d1["triggered_h"].min())
    by_target = {str(t): i for i, t in enumerate(rows["target"])}
    parent = [by_target.get(str(s), -1) if str(s) != root else -1 for s in rows["source"]]
    rows["parent_index"] = parent
    rows["cum_reach_added"] = rows["reach_added"].cumsum()
    keep = set(rows.nlargest(top, "reach_added", keep="first").index) if len(rows) > top else set(rows.index)
    for i in list(keep):  # ancestors of every kept relay
        p = parent[i]
        while p >= 0 and p not in keep:
            keep.add(p)
            p = parent[p]
    children: dict[int, list[int]] = defaultdict(list)
    for i in rows.index:
        if i in keep:
            children[parent[i]].append(i)
    order: list[int] = []
    stack = sorted(children[-1], key=lambda i: rows.at[i, "relayed_h"], reverse=True)
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(sorted(children[i], key=lambda j: rows.at[j, "relayed_h"], reverse=True))
    drawn = rows.loc[order].copy()
    pos = {i: k for k, i in enumerate(order)}
    drawn["row"] = [pos[i] for i in order]
    drawn["parent_row"] = [pos.get(parent[i], -1) for i in order]
    drawn["t"] = drawn["relayed_h"] - post_h
    hidden = rows.loc[sorted(set(rows.index) - keep)]
    item_label = str(rows["item_label"].iloc[0]) if "item_label" in rows else str(it)
    if "item_label" in relays and (relays.loc[relays["item"] != it, "item_label"].astype(str) == item_label).any():
        item_label += f" @ {post_h:g} h"  # repeated posts share a label: tell them apart by time
    info = {
        "item": it,
        "label": item_label,
        "root": root,
        "post_h": post_h,
        "n_relays": len(rows),
        "reach_added": int(rows["reach_added"].sum()),
        "hidden": len(hidden),
        "hidden_reach": int(hidden["reach_added"].sum()),
        "all_rows": rows,
    }
    return drawn.reset_index(drop=True), info


def plot_propagation_path(
    relays: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    *,
    item: Any = None,
    top: int = 25,
    lang: str = "en",
    title: str | None = None,
) -> Figure:
    """Chart 8: the relay tree of one item over time, like the "typical path" slides.

    Each row is one account relay, placed at its time (hours after the original post) and joined
    to the account it relayed by an elbow line; the dot's area and the label give the people it
    reached first ("+1.2k"). The top strip shows the cumulative reach added by relays. Only the
    ``top`` relays by reach added (and their ancestors) are drawn; the rest are counted in the
    footer. ``item`` is an item index or label; default: the item with the most relays.
    """
    handles: dict[str, str] = {}
    kinds: dict[str, str] = {}
    if accounts is not None and {"account", "handle"} <= set(accounts.columns):
        handles = dict(zip(accounts["account"].astype(str), accounts["handle"].astype(str)))
        kinds = dict(zip(accounts["account"].astype(str), accounts["kind"].astype(str)))
    with slide_style(lang):
        if relays.empty:
            return _empty_path(lang, title)
        rows, info = path_tree(relays, item, top)
        fig, (axc, ax) = new_figure(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 4.2]})
        t_all = _cumulative_strip(axc, info, lang)
        _relay_tree(ax, rows, info, handles, kinds, lang)
        n = len(rows)
        y = -(rows["row"].to_numpy(float) + 1)
        t = rows["t"].to_numpy(float)
        ax.set_ylim(y.min() - 0.8 if n else -1, 0.8)
        tmax = max(float(t.max()) if n else 1.0, float(t_all.max()), 1e-3)
        ax.set_xlim(-0.03 * tmax, tmax * 1.32)  # room for the labels of the latest relays
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        ax.set_xlabel(text("path_time", lang))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        present = [kinds.get(info["root"], "official")] + [kinds.get(str(tg), "other") for tg in rows["target"]]
        _kind_legend(ax, list(dict.fromkeys(present)), lang)
        set_title(fig, title or text("title_path", lang, item=info["label"]))
        note = [text("path_total", lang, n=info["n_relays"], r=format_count(info["reach_added"], lang))]
        if info["hidden"]:
            note.append(text("path_more", lang, k=info["hidden"], n=format_count(info["hidden_reach"], lang)))
        set_footer(fig, " · ".join(note))
        return finish(fig)


def _empty_path(lang: str, title: str | None) -> Figure:
    fig, ax = new_figure()
    ax.axis("off")
    kw: dict[str, Any] = {"ha": "center", "va": "center", "fontsize": 24, "color": NOTE_COLOR}
    ax.text(0.5, 0.5, text("path_none", lang), transform=ax.transAxes, **kw)
    set_title(fig, title or text("title_path", lang, item="–"))
    return finish(fig)


def _cumulative_strip(axc: Axes, info: dict[str, Any], lang: str) -> np.ndarray:
    """Cumulative reach added by relays (all of the item's relays, not only the drawn ones);
    returns the relay times (hours after the post, 0 first)."""
    allrows = info["all_rows"]
    t_all = np.r_[0.0, allrows["relayed_h"].to_numpy(float) - info["post_h"]]
    cum = np.r_[0.0, allrows["reach_added"].cumsum().to_numpy(float)]
    axc.step(t_all, cum, where="post", color="#333333", linewidth=2.5, gid="cum_reach_added")
    axc.fill_between(t_all, cum, step="post", color="#333333", alpha=0.08, linewidth=0)
    axc.set_ylim(0, max(float(cum[-1]), 1.0) * 1.15)  # headroom above the last step
    count_axis(axc.yaxis, lang, integer=True)
    axc.set_title(text("path_cum", lang), loc="left", fontsize=16, color=NOTE_COLOR, pad=6)
    axc.tick_params(axis="y", labelsize=13)
    axc.yaxis.set_major_locator(mpl.ticker.MaxNLocator(3, steps=[1, 2, 5, 10], integer=True))
    return t_all


def _relay_tree(
    ax: Axes, rows: pd.DataFrame, info: dict[str, Any], handles: dict[str, str], kinds: dict[str, str], lang: str
) -> None:
    """Elbow links, relay dots sized by reach added, the original post as a star, and labels."""
    n = len(rows)
    y = -(rows["row"].to_numpy(float) + 1)
    t = rows["t"].to_numpy(float)
    ra = rows["reach_added"].to_numpy(float)
    rmax = max(float(ra.max()), 1.0)
    # Elbows: down from the parent's time, then across to the relay's time.
    segs = []
    for yi, ti, pr in zip(y, t, rows["parent_row"].to_numpy(int)):
        px, py = (0.0, 0.0) if pr < 0 else (t[pr], y[pr])
        segs.append([(px, py), (px, yi), (ti, yi)])
    ax.add_collection(LineCollection(segs, colors="#9a9a9a", linewidths=1.6, zorder=1, gid="path_links"))
    colors = [color_for_kind(kinds.get(str(tg), "other")) for tg in rows["target"]]
    # Dot area by reach added; the largest dot spans at most ~1.6 rows (about 380 pt of rows).
    dmax = min(30.0, 1.6 * 380.0 / (n + 2))
    sizes = 30 + (dmax**2 - 30) * ra / rmax
    ax.scatter(t, y, s=sizes, c=colors, edgecolors="white", linewidths=1, zorder=3, gid="relays")
    root_color = color_for_kind(kinds.get(info["root"], "official"))
    ax.scatter([0.0], [0.0], s=500, c=root_color, marker="*", edgecolors="white", linewidths=1, zorder=3, gid="root")
    size = 14 if n <= 15 else 12 if n <= 25 else 10
    kw: dict[str, Any] = {"textcoords": "offset points", "va": "center", "ha": "left", "color": TEXT_COLOR}
    root_text = f"{handles.get(info['root'], info['root'])}  ({text('original_post', lang)})"
    ax.annotate(root_text, (0.0, 0.0), xytext=(14, 0), fontsize=size + 1, fontweight="bold", **kw)
    for yi, ti, tg, r in zip(y, t, rows["target"], ra):
        offset = math.sqrt(30 + (dmax**2 - 30) * r / rmax) / 2 + 5
        name = f"{handles.get(str(tg), str(tg))}  +{format_count(r, lang)}"
        ax.annotate(name, (ti, yi), xytext=(offset, 0), fontsize=size, **kw)


def _kind_legend(ax: Axes, kinds: list[str], lang: str) -> None:
    handles = [
        Line2D([], [], marker="o", linestyle="none", markersize=11, color=color_for_kind(k), label=_kind_name(k, lang))
        for k in kinds
    ]
    ax.legend(
        handles=handles,
        loc="upper right",
        fontsize=14,
        title=text("matrix_kinds", lang),
        title_fontsize=14,
        alignment="left",
    )


def _kind_name(kind: str, lang: str) -> str:
    return label(kind, lang) if kind in KIND_COLORS else kind
