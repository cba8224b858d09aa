"""Diagrams of one run: the account matrix (chart 7) and a propagation path (chart 8).

The **account matrix** is drawn from the resolved scenario (``scenario.json`` of a run folder,
expanded with :func:`simulator.load_document`) and, for follower counts, the run's
``accounts`` table. Positions are explicit, chosen by shape, so hub, dandelion, honeycomb and
twin-star matrices look like what they are (no force-directed layout):

- radial tree (centralized, hub, dandelion, custom): official account(s) at the centre, the
  accounts they relay to on a ring, accounts two relays away fanned out beyond their parent;
- honeycomb: employees on a hexagonal lattice spiralling out from the official account, so ring
  neighbours (who relay each other) are neighbouring cells;
- twin star: the official and executive accounts side by side as a row of stars, other
  accounts on an arc below;
- organic (no relays): independent accounts on a circle.

The **propagation path** is a time-ordered tree of one item's account relays (``relays``
table): who relayed whom and when, with the people each relay reached first.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.offsetbox import (
    AnchoredOffsetbox,
    DrawingArea,
    HPacker,
    TextArea,
    VPacker,
)
from matplotlib.patches import Circle, FancyArrowPatch

from simulator.plotting._figure import (
    NOTE_COLOR,
    TEXT_COLOR,
    blank_figure,
    count_axis,
    finish,
    new_figure,
    set_footer,
    set_title,
)
from simulator.plotting.style import (
    KIND_COLORS,
    color_for_kind,
    format_count,
    label,
    slide_style,
)
from simulator.plotting.text import text, value_label

__all__ = [
    "AccountGraph",
    "account_graph",
    "matrix_layout",
    "path_tree",
    "plot_account_matrix",
    "plot_propagation_path",
]


# ---------------------------------------------------------------------------
# The account graph
# ---------------------------------------------------------------------------


@dataclass
class AccountGraph:
    """Accounts (nodes, by matrix index) and relay edges of a scenario, ready to draw."""

    graph: nx.DiGraph  # node attrs: id, handle, kind, group, followers; edge attrs: probability
    preset: str | None
    name: str
    roots: list[int]  # accounts with original posts (the centre of the drawing)


def _expand(scenario: Any):
    """A :class:`simulator.scenario.matrix.Matrix` and the preset name from a scenario in any form."""
    from simulator.scenario.loading import LoadedScenario, load_document
    from simulator.scenario.matrix import Matrix

    if isinstance(scenario, Matrix):
        return scenario, None, "matrix"
    if isinstance(scenario, LoadedScenario):
        sc = scenario.scenario
        return scenario.matrix, sc.topology.preset if sc.topology else None, sc.name
    if isinstance(scenario, Mapping):
        # The resolved scenario already holds the expanded accounts; no memory check (we never
        # build the population here).
        loaded = load_document(dict(scenario), "scenario.json", check_memory=False)
        sc = loaded.scenario
        return loaded.matrix, sc.topology.preset if sc.topology else None, sc.name
    raise TypeError(f"expected a scenario dict, LoadedScenario or Matrix, got {type(scenario).__name__}")


def account_graph(scenario: Any, accounts: pd.DataFrame | None = None) -> AccountGraph:
    """Build the account graph of ``scenario`` (a ``scenario.json`` dict, a ``LoadedScenario`` or
    a ``Matrix``); follower counts come from ``accounts`` (``followers_initial``) when given,
    else from each account's median follower count in the scenario."""
    from simulator.scenario.presets import canonical_name

    matrix, preset, name = _expand(scenario)
    followers: dict[str, float] = {}
    if accounts is not None and {"account", "followers_initial"} <= set(accounts.columns):
        followers = dict(zip(accounts["account"].astype(str), accounts["followers_initial"].astype(float)))
    g = nx.DiGraph()
    for a in matrix.accounts:
        g.add_node(
            a.index,
            id=a.id,
            handle=a.handle,
            kind=a.kind,
            group=a.group,
            followers=float(followers.get(a.id, a.followers.median)),
        )
    for e in matrix.relays:
        g.add_edge(e.source, e.target, probability=float(e.probability))
    posters = sorted({it.account for it in matrix.items})
    officials = [a.index for a in matrix.accounts if a.kind == "official"]
    roots = officials or posters or [0]
    try:
        preset = canonical_name(preset) if preset else None
    except ValueError:
        preset = None
    return AccountGraph(g, preset, name, roots)


# ---------------------------------------------------------------------------
# Layouts (explicit positions)
# ---------------------------------------------------------------------------


def _ring(n: int, radius: float, start: float = math.pi / 2) -> list[tuple[float, float]]:
    return [
        (radius * math.cos(start - 2 * math.pi * i / n), radius * math.sin(start - 2 * math.pi * i / n))
        for i in range(n)
    ]


def _bfs_levels(g: nx.DiGraph, roots: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Relay distance from the roots and the first parent found (breadth first, by index)."""
    level = {r: 0 for r in roots}
    parent: dict[int, int] = {}
    queue = deque(roots)
    while queue:
        u = queue.popleft()
        for v in sorted(g.successors(u)):
            if v not in level:
                level[v] = level[u] + 1
                parent[v] = u
                queue.append(v)
    return level, parent


def _radial_layout(ag: AccountGraph) -> dict[int, tuple[float, float]]:
    g = ag.graph
    roots = ag.roots
    pos: dict[int, tuple[float, float]] = {}
    if len(roots) == 1:
        pos[roots[0]] = (0.0, 0.0)
    else:
        for r, p in zip(roots, _ring(len(roots), 0.35)):
            pos[r] = p
    level, parent = _bfs_levels(g, roots)
    first = sorted((v for v, d in level.items() if d == 1), key=lambda v: (str(g.nodes[v]["group"]), v))
    angle: dict[int, float] = {}
    wedge: dict[int, float] = {}
    n1 = max(1, len(first))
    for i, v in enumerate(first):
        angle[v] = math.pi / 2 - 2 * math.pi * i / n1
        wedge[v] = 2 * math.pi / n1
        pos[v] = (math.cos(angle[v]), math.sin(angle[v]))
    depth = 2
    while True:
        layer = [v for v, d in level.items() if d == depth]
        if not layer:
            break
        children: dict[int, list[int]] = defaultdict(list)
        for v in sorted(layer):
            children[parent[v]].append(v)
        radius = 1.0 + 0.9 * (depth - 1)
        for p, kids in children.items():
            span = min(wedge.get(p, 2 * math.pi), math.pi) * 0.85
            for j, v in enumerate(kids):
                frac = (j + 0.5) / len(kids) - 0.5
                angle[v] = angle.get(p, 0.0) + span * frac
                wedge[v] = span / len(kids)
                pos[v] = (radius * math.cos(angle[v]), radius * math.sin(angle[v]))
        depth += 1
    rest = [v for v in g.nodes if v not in pos]
    if rest:
        outer = 1.0 + 0.9 * (depth - 1) if depth > 2 else 1.9
        for v, p in zip(rest, _ring(len(rest), outer if pos.keys() - set(roots) else 1.0)):
            pos[v] = p
    return pos


def _hex_spiral(n: int, first_ring: int = 1) -> list[tuple[float, float]]:
    """Centres of ``n`` hexagonal cells on rings ``first_ring, first_ring + 1, ...`` around the
    origin, each ring walked in order (cell spacing 1)."""
    dirs = [(1, 0), (0, 1), (-1, 1), (-1, 0), (0, -1), (1, -1)]  # axial coordinates
    cells: list[tuple[int, int]] = []
    k = first_ring
    while len(cells) < n:
        q, r = dirs[4][0] * k, dirs[4][1] * k  # a corner of ring k, then walk its six sides
        for side in range(6):
            for _ in range(k):
                cells.append((q, r))
                q, r = q + dirs[side][0], r + dirs[side][1]
        k += 1
    return [(q + r / 2, r * math.sqrt(3) / 2) for q, r in cells[:n]]


def _honeycomb_layout(ag: AccountGraph) -> dict[int, tuple[float, float]]:
    g = ag.graph
    centre = list(ag.roots)
    others = [v for v in g.nodes if v not in centre]
    pos: dict[int, tuple[float, float]] = {}
    if len(centre) == 1:
        pos[centre[0]] = (0.0, 0.0)
    else:
        for v, p in zip(centre, _ring(len(centre), 0.8)):
            pos[v] = p
    # Ring 1 stays free around the (large) core account. Employees in index order follow the
    # relay ring, so consecutive ones, who relay each other, become neighbouring cells.
    for v, c in zip(others, _hex_spiral(len(others), first_ring=2)):
        pos[v] = c
    scale = max(math.hypot(*p) for p in pos.values()) or 1.0
    return {v: (x / scale, y / scale) for v, (x, y) in pos.items()}


def _twin_star_layout(ag: AccountGraph) -> dict[int, tuple[float, float]]:
    g = ag.graph
    stars = [v for v in g.nodes if g.nodes[v]["kind"] in ("official", "executive")]
    officials = [v for v in stars if g.nodes[v]["kind"] == "official"]
    execs = [v for v in stars if v not in officials]
    # Executives either side of the official account: E1, official, E2, E3 ...
    row = execs[:1] + officials + execs[1:]
    xs = np.linspace(-1.3, 1.3, len(row)) if len(row) > 1 else [0.0]
    pos = {v: (float(x), 0.35) for v, x in zip(row, xs)}
    rest = [v for v in g.nodes if v not in pos]
    for j, v in enumerate(rest):
        theta = math.pi * (1.15 + 0.7 * (j + 0.5) / len(rest))  # arc below the stars
        pos[v] = (1.25 * math.cos(theta), 0.35 + 1.25 * math.sin(theta))
    return pos


def matrix_layout(ag: AccountGraph) -> dict[int, tuple[float, float]]:
    """Explicit node positions for the account graph, by shape (see the module docstring)."""
    g = ag.graph
    if ag.preset == "honeycomb":
        return _honeycomb_layout(ag)
    executives = sum(1 for v in g.nodes if g.nodes[v]["kind"] == "executive")
    if ag.preset == "twin_star" or (ag.preset is None and executives and len(g) <= 30):
        return _twin_star_layout(ag)
    if g.number_of_edges() == 0:
        return dict(zip(g.nodes, _ring(len(g), 1.0)))
    return _radial_layout(ag)


# ---------------------------------------------------------------------------
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
        xy = np.array([pos[v] for v in nodes])
        kinds = [g.nodes[v]["kind"] for v in nodes]
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
        span = float(np.abs(xy).max()) if len(xy) else 1.0
        margin = 0.08 * span
        ext = np.vstack([xy, np.array(bulges).reshape(-1, 2)])
        ax.set_xlim(ext[:, 0].min() - margin, ext[:, 0].max() + margin)
        ax.set_ylim(ext[:, 1].min() - margin, ext[:, 1].max() + margin)
        texts = _label_nodes(ax, g, pos, ag, area, top_labels)
        _matrix_key(kax, kinds, fmax, max_area, probs, lang, many)
        shown = _declutter(fig, texts)
        name = value_label(ag.preset, lang) if ag.preset else ag.name
        set_title(fig, title or text("title_matrix", lang, name=f"{name} ({ag.name})" if ag.preset else name))
        labelled_note = text("labels_all", lang) if shown >= len(nodes) else text("labels_top", lang)
        set_footer(fig, text("matrix_note", lang, accounts=len(nodes), edges=len(edges), labelled=labelled_note))
        return finish(fig)


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
    out: list = []
    leaves_by_group: dict[str, list[int]] = defaultdict(list)
    if radial_layout and depth >= 2 and n > 20:
        for v in g.nodes:
            if level.get(v, 0) >= 2 and g.out_degree(v) == 0 and g.nodes[v]["group"]:
                leaves_by_group[g.nodes[v]["group"]].append(v)
    grouped = {v for members in leaves_by_group.values() if len(members) > 1 for v in members}
    candidates = sorted((v for v in g.nodes if v not in grouped), key=lambda v: (-g.nodes[v]["followers"], v))
    chosen = set(candidates[:top]) | set(ag.roots)
    for v in chosen:
        x, y = pos[v]
        handle = str(g.nodes[v]["handle"])
        r_pt = math.sqrt(area[v]) / 2 + 4
        is_root = v in ag.roots
        outer = radial_layout and not is_root and g.out_degree(v) == 0 and math.hypot(x, y) > 0.3
        prio = g.nodes[v]["followers"] + (1e18 if is_root else 0)
        if outer:
            out.append((_radial_label(ax, handle, x, y, r_pt, size), prio))
        elif radial_layout and not is_root and math.hypot(x, y) > 0.3:
            # Inner-ring hub of its own fan: label beside it (clockwise), between the fans.
            ang = math.atan2(y, x) - math.pi / 2
            out.append((_side_label(ax, handle, x, y, ang, r_pt, size), prio))
        else:
            out.append(
                (
                    ax.annotate(
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
                    ),
                    prio,
                )
            )
    for members in leaves_by_group.values():
        if len(members) < 2:
            continue
        ang = math.atan2(np.mean([pos[v][1] for v in members]), np.mean([pos[v][0] for v in members]))
        rad = max(math.hypot(*pos[v]) for v in members)
        r_pt = max(math.sqrt(area[v]) for v in members) / 2 + 4
        handle = f"{_group_prefix([str(g.nodes[v]['handle']) for v in members])} ×{len(members)}"
        prio = sum(g.nodes[v]["followers"] for v in members)
        out.append(
            (_side_label(ax, handle, rad * math.cos(ang), rad * math.sin(ang), ang, r_pt, size, weight="bold"), prio)
        )
    return out


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
    renderer = fig.canvas.get_renderer()
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


# ---------------------------------------------------------------------------
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
            fig, ax = new_figure()
            ax.axis("off")
            ax.text(
                0.5,
                0.5,
                text("path_none", lang),
                ha="center",
                va="center",
                fontsize=24,
                color=NOTE_COLOR,
                transform=ax.transAxes,
            )
            set_title(fig, title or text("title_path", lang, item="–"))
            return finish(fig)
        rows, info = path_tree(relays, item, top)
        fig, (axc, ax) = new_figure(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 4.2]})
        # Cumulative reach added by relays (all of the item's relays, not only the drawn ones).
        allrows = info["all_rows"]
        t_all = np.r_[0.0, allrows["relayed_h"].to_numpy(float) - info["post_h"]]
        cum = np.r_[0.0, allrows["reach_added"].cumsum().to_numpy(float)]
        axc.step(t_all, cum, where="post", color="#333333", linewidth=2.5, gid="cum_reach_added")
        axc.fill_between(t_all, cum, step="post", color="#333333", alpha=0.08, linewidth=0)
        axc.set_ylim(0, max(float(cum[-1]), 1.0) * 1.15)  # headroom above the last step
        count_axis(axc.yaxis, lang)
        axc.set_title(text("path_cum", lang), loc="left", fontsize=16, color=NOTE_COLOR, pad=6)
        axc.tick_params(axis="y", labelsize=13)
        axc.yaxis.set_major_locator(mpl.ticker.MaxNLocator(3, steps=[1, 2, 5, 10]))

        n = len(rows)
        y = -(rows["row"].to_numpy(float) + 1)
        t = rows["t"].to_numpy(float)
        ra = rows["reach_added"].to_numpy(float)
        rmax = max(float(ra.max()), 1.0)
        root_handle = handles.get(info["root"], info["root"])
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
        ax.scatter(
            [0.0],
            [0.0],
            s=500,
            c=color_for_kind(kinds.get(info["root"], "official")),
            marker="*",
            edgecolors="white",
            linewidths=1,
            zorder=3,
            gid="root",
        )
        label_size = 14 if n <= 15 else 12 if n <= 25 else 10
        ax.annotate(
            f"{root_handle}  ({text('original_post', lang)})",
            (0.0, 0.0),
            xytext=(14, 0),
            textcoords="offset points",
            va="center",
            ha="left",
            fontsize=label_size + 1,
            fontweight="bold",
            color=TEXT_COLOR,
        )
        for yi, ti, tg, r in zip(y, t, rows["target"], ra):
            ax.annotate(
                f"{handles.get(str(tg), str(tg))}  +{format_count(r, lang)}",
                (ti, yi),
                xytext=(math.sqrt(30 + (dmax**2 - 30) * r / rmax) / 2 + 5, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=label_size,
                color=TEXT_COLOR,
            )
        ax.set_ylim(y.min() - 0.8 if n else -1, 0.8)
        tmax = max(float(t.max()) if n else 1.0, float(t_all.max()), 1e-3)
        ax.set_xlim(-0.03 * tmax, tmax * 1.32)  # room for the labels of the latest relays
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.grid(True, axis="x")
        ax.grid(False, axis="y")
        ax.set_xlabel(text("path_time", lang))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        present = list(
            dict.fromkeys(
                [kinds.get(info["root"], "official")] + [kinds.get(str(tg), "other") for tg in rows["target"]]
            )
        )
        ax.legend(
            handles=[
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="none",
                    markersize=11,
                    color=color_for_kind(k),
                    label=label(k, lang) if k in KIND_COLORS else k,
                )
                for k in present
            ],
            loc="upper right",
            fontsize=14,
            title=text("matrix_kinds", lang),
            title_fontsize=14,
            alignment="left",
        )
        set_title(fig, title or text("title_path", lang, item=info["label"]))
        note = [text("path_total", lang, n=info["n_relays"], r=format_count(info["reach_added"], lang))]
        if info["hidden"]:
            note.append(text("path_more", lang, k=info["hidden"], n=format_count(info["hidden_reach"], lang)))
        set_footer(fig, " · ".join(note))
        return finish(fig)
