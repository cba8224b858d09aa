"""Chart 7: the account matrix of one run, accounts sized by followers, relay edges by probability.

Drawn from the resolved scenario (``scenario.json`` of a run folder) and, for follower counts, the
run's ``accounts`` table, in the layout of :mod:`simulator.plotting.matrix_graph`.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.offsetbox import AnchoredOffsetbox, DrawingArea, HPacker, TextArea, VPacker
from matplotlib.patches import Circle, FancyArrowPatch

from simulator.plotting._figure import (
    NOTE_COLOR,
    TEXT_COLOR,
    blank_figure,
    finish,
    get_renderer,
    set_footer,
    set_title,
)
from simulator.plotting.formatters import format_count
from simulator.plotting.labels import label, text
from simulator.plotting.matrix_graph import AccountGraph, _bfs_levels, account_graph, matrix_layout
from simulator.plotting.names import value_label
from simulator.plotting.palette import KIND_COLORS, color_for_kind
from simulator.plotting.style import slide_style

# 7. The account-matrix diagram
# ---------------------------------------------------------------------------

_MIN_S = 30.0  # smallest marker area (pt^2), so small accounts stay visible


def _max_area(n: int, preset: str | None) -> float:
    # Largest marker area (pt^2): smaller when many accounts share the drawing.
    if preset == "honeycomb" or n > 80:
        return 1600.0
    return 2800.0 if n > 12 else 3600.0


def _marker_area(followers: np.ndarray, fmax: float, max_area: float) -> np.ndarray:
    # Area proportional to followers (what the eye compares), with a floor.
    return np.maximum(_MIN_S, max_area * np.clip(followers / fmax, 0, 1))


def _nice_sizes(fmax: float) -> list[float]:
    """Three round follower counts for the size key (e.g. 20k, 5k, 1k)."""
    if fmax < 1:
        return [1.0]

    def nice_below(v: float) -> float:
        e = 10 ** math.floor(math.log10(v))
        return max(m * e for m in (1, 2, 5) if m * e <= v)

    top = nice_below(fmax)
    return sorted({top, nice_below(max(top / 4, 1)), nice_below(max(top / 20, 1))}, reverse=True)


def _group_prefix(handles: list[str]) -> str:
    """Shared start of a group's handles, e.g. "@Official_running_华东", ... -> "@Official_running"."""
    prefix = os.path.commonprefix(handles).rstrip("_-. ")
    return prefix if len(prefix) >= 3 else handles[0]


def plot_account_matrix(
    scenario: Any,
    accounts: pd.DataFrame | None = None,
    *,
    lang: str = "en",
    top_labels: int | None = None,
    title: str | None = None,
) -> Figure:
    """Chart 7: accounts as nodes coloured by kind and sized by followers (area), relay edges
    drawn with width and opacity by relay probability, in a layout that shows the matrix's shape.

    Args:
        scenario: ``scenario.json`` of a run (dict), a ``LoadedScenario`` or a ``Matrix``.
        accounts: the run's accounts table (``followers_initial`` used for sizes), optional.
        top_labels: label at most this many accounts, largest first; default: all of up to 40
            accounts, else 12. Fans of leaf accounts in a two-level tree (dandelion spokes)
            get one label per group; labels that would overlap a larger account's are dropped.
    """
    ag = account_graph(scenario, accounts)
    g = ag.graph
    pos = matrix_layout(ag)
    nodes = list(g.nodes)
    followers = np.array([g.nodes[v]["followers"] for v in nodes], dtype=float)
    fmax = float(followers.max()) if len(followers) and followers.max() > 0 else 1.0
    max_area = _max_area(len(nodes), ag.preset)
    area = dict(zip(nodes, _marker_area(followers, fmax, max_area)))
    if top_labels is None:
        top_labels = len(nodes) if len(nodes) <= 40 else 12
    with slide_style(lang):
        fig = blank_figure()
        gs = fig.add_gridspec(1, 2, width_ratios=[5, 1])
        ax = fig.add_subplot(gs[0, 0])
        kax = fig.add_subplot(gs[0, 1])
        ax.set_aspect("equal")
        ax.axis("off")
        edges = list(g.edges(data="probability"))
        probs = np.array([p for _, _, p in edges], dtype=float)
        many = len(edges) > 150
        bulges = _draw_edges(ax, g, pos, edges, area, many)
        kinds = [g.nodes[v]["kind"] for v in nodes]
        xy = _draw_nodes(ax, nodes, pos, followers, area, kinds)
        _fit_limits(ax, xy, bulges)
        texts = _label_nodes(ax, g, pos, ag, area, top_labels)
        _matrix_key(kax, kinds, fmax, max_area, probs, lang, many)
        shown = _declutter(fig, texts)
        name = value_label(ag.preset, lang) if ag.preset else ag.name
        set_title(fig, title or text("title_matrix", lang, name=name))  # the preset, not the scenario id
        labelled_note = text("labels_all", lang) if shown >= len(nodes) else text("labels_top", lang)
        set_footer(fig, text("matrix_note", lang, accounts=len(nodes), edges=len(edges), labelled=labelled_note))
        return finish(fig)


def _draw_nodes(
    ax: Axes, nodes: list[int], pos: dict, followers: np.ndarray, area: dict[int, float], kinds: list[str]
) -> np.ndarray:
    """Accounts as dots coloured by kind, large ones on top; returns their positions."""
    xy = np.array([pos[v] for v in nodes])
    order = np.argsort(-followers, kind="stable")[::-1]  # large nodes on top of small ones
    ax.scatter(
        xy[order, 0],
        xy[order, 1],
        s=[area[nodes[i]] for i in order],
        c=[color_for_kind(kinds[i]) for i in order],
        edgecolors="white",
        linewidths=1.0,
        zorder=3,
        gid="accounts",
    )
    return xy


def _fit_limits(ax: Axes, xy: np.ndarray, bulges: list[tuple[float, float]]) -> None:
    """Axes limits around the nodes and the bulges of curved edges, with a margin."""
    span = float(np.abs(xy).max()) if len(xy) else 1.0
    margin = 0.08 * span
    ext = np.vstack([xy, np.array(bulges).reshape(-1, 2)])
    ax.set_xlim(ext[:, 0].min() - margin, ext[:, 0].max() + margin)
    ax.set_ylim(ext[:, 1].min() - margin, ext[:, 1].max() + margin)


def _draw_edges(ax, g: nx.DiGraph, pos, edges, area: dict[int, float], many: bool) -> list[tuple[float, float]]:
    """Relay edges: arrows when few, one line collection when many (hundreds of arrows are slow).

    Returns the outermost points of curved edges, so the axes limits can include them.
    """
    bulges: list[tuple[float, float]] = []
    if not edges:
        return bulges
    if many:
        segs = [(pos[u], pos[v]) for u, v, _ in edges]
        colors = [(0.3, 0.3, 0.3, 0.1 + 0.6 * p) for _, _, p in edges]
        ax.add_collection(
            LineCollection(segs, linewidths=[0.5 + 3.0 * p for _, _, p in edges], colors=colors, zorder=1, gid="edges")
        )
        return bulges
    for u, v, p in edges:
        rad = 0.18 if g.has_edge(v, u) else 0.0  # both directions: bend the two apart
        if rad:
            (x1, y1), (x2, y2) = pos[u], pos[v]
            # arc3: control point at the midpoint + rad * (dy, -dx); the curve reaches half way.
            bulges.append(((x1 + x2) / 2 + 0.5 * rad * (y2 - y1), (y1 + y2) / 2 - 0.5 * rad * (x2 - x1)))
        ax.add_patch(
            FancyArrowPatch(
                pos[u],
                pos[v],
                arrowstyle="-|>",
                mutation_scale=10 + 8 * p,
                connectionstyle=f"arc3,rad={rad}",
                linewidth=_edge_width(p),
                color="#4d4d4d",
                alpha=_edge_alpha(p),
                shrinkA=math.sqrt(area[u]) / 2 + 1,
                shrinkB=math.sqrt(area[v]) / 2 + 2,
                zorder=1,
                gid=f"edge:{g.nodes[u]['id']}->{g.nodes[v]['id']}",
            )
        )
    return bulges


def _edge_width(p: float) -> float:
    return 0.6 + 4.0 * p


def _edge_alpha(p: float) -> float:
    return 0.2 + 0.6 * p


def _label_nodes(ax, g: nx.DiGraph, pos, ag: AccountGraph, area: dict[int, float], top: int) -> list:
    """Handles next to their nodes; returns ``(text, priority)`` pairs (higher = keep first).

    Outer-ring accounts get radial labels pointing outward; centre and inner-ring accounts get
    horizontal labels under the node. Leaves of a two-level tree are labelled per group.
    """
    n = len(g)
    size = 15 if n <= 12 else 13 if n <= 40 else 12
    level, _ = _bfs_levels(g, ag.roots)
    depth = max(level.values()) if level else 0
    radial_layout = (
        ag.preset not in ("honeycomb", "twin_star") and g.number_of_edges() > 0 or (g.number_of_edges() == 0 and n > 8)
    )
    leaves_by_group: dict[str, list[int]] = defaultdict(list)
    if radial_layout and depth >= 2 and n > 20:
        for v in g.nodes:
            if level.get(v, 0) >= 2 and g.out_degree(v) == 0 and g.nodes[v]["group"]:
                leaves_by_group[g.nodes[v]["group"]].append(v)
    grouped = {v for members in leaves_by_group.values() if len(members) > 1 for v in members}
    candidates = sorted((v for v in g.nodes if v not in grouped), key=lambda v: (-g.nodes[v]["followers"], v))
    chosen = set(candidates[:top]) | set(ag.roots)
    out = [_node_label(ax, g, v, pos[v], v in ag.roots, radial_layout, area[v], size) for v in chosen]
    for members in leaves_by_group.values():
        if len(members) > 1:
            out.append(_group_label(ax, g, members, pos, area, size))
    return out


def _node_label(ax, g: nx.DiGraph, v: int, xy, is_root: bool, radial: bool, area: float, size: float) -> tuple:
    """One account's label and its priority (roots first, then by followers)."""
    x, y = xy
    handle = str(g.nodes[v]["handle"])
    r_pt = math.sqrt(area) / 2 + 4
    prio = g.nodes[v]["followers"] + (1e18 if is_root else 0)
    away = radial and not is_root and math.hypot(x, y) > 0.3
    if away and g.out_degree(v) == 0:  # an outer leaf: radial label pointing outward
        return _radial_label(ax, handle, x, y, r_pt, size), prio
    if away:  # inner-ring hub of its own fan: label beside it (clockwise), between the fans
        return _side_label(ax, handle, x, y, math.atan2(y, x) - math.pi / 2, r_pt, size), prio
    t = ax.annotate(
        handle,
        (x, y),
        xytext=(0, -r_pt),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=size + (2 if is_root else 0),
        fontweight="bold" if is_root else "normal",
        color=TEXT_COLOR,
        zorder=5,
        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.8},
    )
    return t, prio


def _group_label(ax, g: nx.DiGraph, members: list[int], pos, area: dict[int, float], size: float) -> tuple:
    """One label for a fan of leaves ("@Official_running ×12") at its mean direction."""
    ang = math.atan2(np.mean([pos[v][1] for v in members]), np.mean([pos[v][0] for v in members]))
    rad = max(math.hypot(*pos[v]) for v in members)
    r_pt = max(math.sqrt(area[v]) for v in members) / 2 + 4
    handle = f"{_group_prefix([str(g.nodes[v]['handle']) for v in members])} ×{len(members)}"
    prio = sum(g.nodes[v]["followers"] for v in members)
    x, y = rad * math.cos(ang), rad * math.sin(ang)
    return _side_label(ax, handle, x, y, ang, r_pt, size, weight="bold"), prio


def _side_label(ax, label: str, x: float, y: float, ang: float, r_pt: float, size: float, weight: str = "normal"):
    """Horizontal label at ``r_pt`` points from (x, y) in direction ``ang``, aligned away from it."""
    c, s = math.cos(ang), math.sin(ang)
    ha = "left" if c > 0.35 else "right" if c < -0.35 else "center"
    va = "bottom" if s > 0.35 else "top" if s < -0.35 else "center"
    return ax.annotate(
        label,
        (x, y),
        xytext=(r_pt * c, r_pt * s),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=size,
        fontweight=weight,
        color=TEXT_COLOR,
        zorder=5,
        bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none", "alpha": 0.8},
    )


def _radial_label(ax, label: str, x: float, y: float, r_pt: float, size: float):
    ang = math.atan2(y, x)
    deg = math.degrees(ang)
    flip = abs(deg) > 90  # left half: rotate by 180 degrees so the text reads left to right
    return ax.annotate(
        label,
        (x, y),
        xytext=(r_pt * math.cos(ang), r_pt * math.sin(ang)),
        textcoords="offset points",
        rotation=deg + 180 if flip else deg,
        rotation_mode="anchor",
        ha="right" if flip else "left",
        va="center",
        fontsize=size,
        color=TEXT_COLOR,
        zorder=4,
    )


def _text_polygon(t, renderer) -> np.ndarray:
    """Corners (display coordinates) of a text's rotated box; window extents of rotated text
    are axis-aligned and far too large for overlap tests of radial labels."""
    rot = float(t.get_rotation()) % 360
    if rot == 0:
        b = t.get_window_extent(renderer)
        return np.array([(b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1)])
    t.set_rotation(0)
    b = t.get_window_extent(renderer)
    t.set_rotation(rot)
    ax_ = {"left": b.x0, "right": b.x1}.get(t.get_horizontalalignment(), (b.x0 + b.x1) / 2)
    ay_ = {"bottom": b.y0, "top": b.y1, "baseline": b.y0}.get(t.get_verticalalignment(), (b.y0 + b.y1) / 2)
    c, s = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    pts = np.array([(b.x0, b.y0), (b.x1, b.y0), (b.x1, b.y1), (b.x0, b.y1)]) - (ax_, ay_)
    return pts @ np.array([[c, s], [-s, c]]) + (ax_, ay_)


def _polygons_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Separating-axis test for two convex polygons."""
    for poly in (a, b):
        for i in range(len(poly)):
            edge = poly[(i + 1) % len(poly)] - poly[i]
            normal = np.array([-edge[1], edge[0]])
            pa, pb = a @ normal, b @ normal
            if pa.max() <= pb.min() or pb.max() <= pa.min():
                return False
    return True


def _declutter(fig: Figure, texts: list) -> int:
    """Hide labels that overlap a label of higher priority; returns how many stay visible."""
    if not texts:
        return 0
    fig.draw_without_rendering()
    renderer = get_renderer(fig)
    kept: list[np.ndarray] = []
    for t, _ in sorted(texts, key=lambda tp: -tp[1]):
        poly = _text_polygon(t, renderer)
        centre = poly.mean(axis=0)
        poly = centre + (poly - centre) * 1.04  # a little air between labels
        if any(_polygons_overlap(poly, k) for k in kept):
            t.set_visible(False)
            continue
        kept.append(poly)
    return len(kept)


def _matrix_key(kax, kinds: list[str], fmax: float, max_area: float, probs: np.ndarray, lang: str, many: bool) -> None:
    """The key beside the diagram: account kinds, follower sizes (true marker sizes) and relay
    probabilities (true line widths), as offset boxes so sizes stay in points."""
    kax.axis("off")
    size = 14
    rows: list[Any] = []

    def header(name: str) -> None:
        rows.append(TextArea(name, textprops={"fontsize": size, "fontweight": "bold", "color": NOTE_COLOR}))

    def row(symbol: DrawingArea, name: str) -> None:
        rows.append(
            HPacker(
                children=[symbol, TextArea(name, textprops={"fontsize": size, "color": TEXT_COLOR})],
                align="center",
                pad=0,
                sep=8,
            )
        )

    header(text("matrix_kinds", lang))
    for k in [k for k in KIND_COLORS if k in set(kinds)] + sorted(set(kinds) - set(KIND_COLORS)):
        da = DrawingArea(24, 18)
        da.add_artist(Circle((12, 9), 7, facecolor=color_for_kind(k), edgecolor="none"))
        row(da, label(k, lang) if k in KIND_COLORS else k)
    header(text("matrix_sizes", lang))
    sizes = _nice_sizes(fmax)
    dmax = math.sqrt(_marker_area(np.array([sizes[0]]), fmax, max_area)[0])
    for f in sizes:
        d = math.sqrt(_marker_area(np.array([f]), fmax, max_area)[0])
        da = DrawingArea(max(dmax, 24), d + 2)
        da.add_artist(Circle((max(dmax, 24) / 2, d / 2 + 1), d / 2, facecolor="#a6a6a6", edgecolor="white"))
        row(da, format_count(f, lang))
    if len(probs):
        header(text("matrix_edges", lang))
        shown = sorted({float(np.round(q, 2)) for q in (probs.min(), np.median(probs), probs.max())}, reverse=True)
        for p in shown:
            da = DrawingArea(44, 14)
            width = 0.5 + 3.0 * p if many else _edge_width(p)
            alpha = 0.1 + 0.6 * p if many else _edge_alpha(p)
            da.add_artist(Line2D([2, 42], [7, 7], color="#4d4d4d", linewidth=width, alpha=alpha))
            row(da, f"{p:g}")
    box = VPacker(children=rows, align="left", pad=0, sep=7)
    kax.add_artist(
        AnchoredOffsetbox(
            loc="upper left", child=box, frameon=False, bbox_to_anchor=(0, 1), bbox_transform=kax.transAxes, borderpad=0
        )
    )
