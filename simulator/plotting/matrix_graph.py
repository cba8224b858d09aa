"""The account graph of a scenario and its explicit layouts (no force-directed drawing).

Positions are chosen by shape, so hub, dandelion, honeycomb and twin-star matrices look like what
they are:

- radial tree (centralized, hub, dandelion, custom): official account(s) at the centre, the
  accounts they relay to on a ring, accounts two relays away fanned out beyond their parent;
- honeycomb: employees on a hexagonal lattice spiralling out from the official account, so ring
  neighbours (who relay each other) are neighbouring cells;
- twin star: the official and executive accounts side by side as a row of stars, other
  accounts on an arc below;
- organic (no relays): independent accounts on a circle.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

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
        for par, kids in children.items():
            span = min(wedge.get(par, 2 * math.pi), math.pi) * 0.85
            for j, v in enumerate(kids):
                frac = (j + 0.5) / len(kids) - 0.5
                angle[v] = angle.get(par, 0.0) + span * frac
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
