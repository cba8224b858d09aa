"""Interactive propsim app on Mesa's SolaraViz (optional extra ``viz``).

Launch in a browser from the repository root::

    uv run --extra viz solara run simulator/app/viz.py

or show it inside a Jupyter notebook (last expression of a cell)::

    from simulator.app.viz import page
    page

The page shows the account matrix as a network (accounts coloured by kind, sized by audience,
ringed in black when they post or relay in the current hour, relay edges that fired drawn dark),
live curves of reach, fatigue and exits, and a summary line. The sidebar's sliders rebuild the
model (press *Reset* after changing them): topology preset, follower repost probability ``p0``,
a multiplier on the preset's relay probabilities, the median fatigue tolerance and the posting
frequency. One step is one tick (1 hour); the run ends at the 72-hour horizon.

The app builds a small synthetic population (``size`` followers, default 20,000; the preset's
follower counts are scaled to match), so a step takes milliseconds. The drawing helpers
(:func:`account_positions`, :func:`draw_account_matrix`) work on any
:class:`~simulator.engine.model.PropagationModel` and are used by the notebooks too.
"""

from __future__ import annotations

import html
import math
import re
from collections import deque
from collections.abc import Iterable
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

# Absolute imports: `solara run simulator/app/viz.py` executes this file as a script, not as a module.
from simulator.engine.model import PropagationModel
from simulator.plotting.style import KIND_COLORS, NEUTRAL_COLOR, cjk_font_family, count_formatter, label
from simulator.scenario.loading import load_document
from simulator.scenario.presets import PRESETS, canonical_name, expand, params_model

#: Population size the preset defaults are written for (``population_size`` of every preset).
PRESET_POPULATION = 2_000_000  # = the presets' default population_size (simulator/scenario/preset_shapes.py)

#: Relay-probability parameters of each preset (scaled together by ``relay_scale``).
RELAY_PARAMS: dict[str, tuple[str, ...]] = {
    "centralized": ("relay_probability",),
    "organic": (),
    "hub": ("relay_probability",),
    "dandelion": ("on_topic_probability", "off_topic_probability", "spoke_probability", "lateral_probability"),
    "honeycomb": ("relay_probability", "lateral_probability"),
    "twin_star": (
        "official_to_executive",
        "executive_to_official",
        "executive_to_executive",
        "official_to_vertical",
        "vertical_off_topic",
    ),
}

#: Tolerance spread (lognormal sigma) kept at the model default; only the median is a slider.
TOLERANCE_SIGMA = 0.7


def app_document(
    preset: str = "hub",
    p0: float = 0.001,
    relay_scale: float = 1.0,
    tolerance: float = 20.0,
    posts_per_day: int = 3,
    horizon: float = 72.0,
    seed: int = 0,
) -> dict[str, Any]:
    """The scenario document the app runs: a preset, its default campaign repeated
    ``posts_per_day`` times a day over the horizon (hours), and the slider values.

    ``relay_scale`` multiplies every relay probability of the preset (clipped to 1).
    """
    name = canonical_name(preset)
    model = params_model(name)()
    params = {k: min(1.0, float(getattr(model, k)) * relay_scale) for k in RELAY_PARAMS[name]}
    every = 24.0 / posts_per_day
    repeat = max(1, int(math.ceil(horizon / every - 1e-9)))
    campaign = [
        dict(post, repeat=repeat, every=every, label=post.get("label") or f"post every {every:g} h")
        for post in expand(name, params)["campaign"]
    ]
    return {
        "name": f"app-{name}",
        "description": f"propsim app: {name} preset",
        "seed": int(seed),
        "time": {"tick": 1.0, "horizon": float(horizon)},
        "topology": {"preset": name, "params": params},
        "campaign": campaign,
        "behaviour": {"p0": float(p0)},
        "fatigue": {"tolerance": {"median": float(tolerance), "sigma": TOLERANCE_SIGMA}},
    }


class AppModel(PropagationModel):
    """A :class:`PropagationModel` built from slider values (SolaraViz re-creates it with them).

    Args:
        preset: topology preset name or alias.
        p0: follower repost probability per delivery (before appeal and exposure response).
        relay_scale: multiplier on the preset's relay probabilities.
        tolerance: median fatigue tolerance (load units).
        posts_per_day: original posts per day by the preset's posting account(s).
        size: followers in the synthetic population (preset follower counts scale with it).
        seed: root seed.

    Attributes (besides the parent's):
        posted_now / relayed_now: account indices that posted / relayed in the last tick.
        fired_now: ``(source, target)`` account-index pairs of relays published in the last tick.
        fired_all: every relay pair published so far (the propagation path).
    """

    def __init__(
        self,
        preset: str = "hub",
        p0: float = 0.001,
        relay_scale: float = 1.0,
        tolerance: float = 20.0,
        posts_per_day: int = 3,
        size: int = 20_000,
        seed: int = 0,
        **kwargs: Any,
    ):
        # SolaraViz's Reset passes a Mesa ``scenario`` keyword too; this model takes its
        # randomness from ``seed`` (kwargs are accepted and ignored for that reason).
        doc = app_document(preset, p0, relay_scale, tolerance, posts_per_day, seed=seed)
        loaded = load_document(doc, source="<app>", scale=size / PRESET_POPULATION)
        self.preset = canonical_name(preset)
        self.posted_now = np.zeros(0, dtype=np.int64)
        self.relayed_now = np.zeros(0, dtype=np.int64)
        self.fired_now: list[tuple[int, int]] = []
        self.fired_all: list[tuple[int, int]] = []
        super().__init__(loaded)

    def step(self) -> None:
        """One tick, remembering who published in it (for highlighting)."""
        posts, relays = self.account_stats["posts"].copy(), self.account_stats["relays"].copy()
        n_log = len(self.relay_log)
        super().step()
        self.posted_now = np.flatnonzero(self.account_stats["posts"] > posts)
        self.relayed_now = np.flatnonzero(self.account_stats["relays"] > relays)
        by_id = self.matrix.by_id
        self.fired_now = [(by_id[r["source"]], by_id[r["target"]]) for r in self.relay_log[n_log:]]
        self.fired_all.extend(self.fired_now)


# --- drawing (plain matplotlib; usable without Solara) ------------------------------------------


def account_positions(model: PropagationModel) -> np.ndarray:
    """Radial-tree positions (n_accounts x 2) of the account matrix.

    Roots are the accounts with original campaign posts (one root sits at the centre; several sit
    on the first ring); every other account hangs below the first account that can relay to it
    (breadth-first over relay edges), in an angular wedge proportional to its subtree's leaves,
    at a radius equal to its relay depth. Deterministic: no force layout.
    """
    n = len(model.accounts)
    matrix = model.matrix
    children: dict[int, list[int]] = {i: [] for i in range(n)}
    for e in matrix.relays:
        children[e.source].append(e.target)
    roots = sorted({it.account for it in matrix.items}) or [0]
    parent = {r: -1 for r in roots}
    queue = deque(roots)
    order: list[int] = []
    while True:
        while queue:
            u = queue.popleft()
            order.append(u)
            for v in children[u]:
                if v not in parent:
                    parent[v] = u
                    queue.append(v)
        rest = [i for i in range(n) if i not in parent]
        if not rest:
            break
        parent[rest[0]] = -1  # unreachable: a further root
        roots.append(rest[0])
        queue.append(rest[0])
    tree: dict[int, list[int]] = {i: [] for i in [-1, *range(n)]}
    for v in order:
        tree[parent[v]].append(v)
    leaves: dict[int, int] = {}
    for v in reversed([-1, *order]):
        leaves[v] = max(1, sum(leaves[c] for c in tree[v]))
    pos = np.zeros((n, 2))
    single = len(roots) == 1

    def place(v: int, lo: float, hi: float, depth: int) -> None:
        kids = tree[v]
        total = sum(leaves[c] for c in kids)
        a = lo
        for c in kids:
            b = a + (hi - lo) * leaves[c] / total
            radius = depth + 1 - (1 if single else 0)
            mid = (a + b) / 2
            pos[c] = (radius * math.cos(mid), radius * math.sin(mid))
            place(c, a, b, depth + 1)
            a = b

    place(-1, math.pi / 2, math.pi / 2 + 2 * math.pi, 0)
    if single:
        pos[roots[0]] = (0.0, 0.0)
    return pos


def draw_account_matrix(
    model: PropagationModel,
    ax: Axes | None = None,
    *,
    active: Iterable[int] | None = None,
    fired: Iterable[tuple[int, int]] | None = None,
    title: str | None = None,
    labels: bool = True,
) -> Figure:
    """Draw the account matrix: nodes coloured by kind and sized by initial audience, relay edges
    in light grey, ``fired`` relays (``(source, target)`` index pairs) dark, ``active`` accounts
    ringed in black. Defaults for :class:`AppModel`: what happened in the last tick.

    Returns the figure (a new 7 x 7 in one when ``ax`` is None).
    """
    if ax is None:
        fig = Figure(figsize=(7, 7))
        ax = fig.add_subplot()
    fig = ax.get_figure()  # type: ignore[assignment]  # a Figure here: the axes are never in a subfigure
    if active is None:
        active = np.union1d(getattr(model, "posted_now", []), getattr(model, "relayed_now", []))
    if fired is None:
        fired = getattr(model, "fired_now", [])
    active = {int(i) for i in active}
    fired = {(int(s), int(t)) for s, t in fired}
    pos = account_positions(model)
    edges = sorted({(e.source, e.target) for e in model.matrix.relays})
    idle = [(pos[s], pos[t]) for s, t in edges if (s, t) not in fired]
    if idle:
        ax.add_collection(LineCollection(idle, colors="#BBBBBB", linewidths=0.6, alpha=0.6, zorder=1))
    hot = [(pos[s], pos[t]) for s, t in fired]
    if hot:
        ax.add_collection(LineCollection(hot, colors="#222222", linewidths=1.8, zorder=2))
    kinds = [a.data.kind for a in model.accounts]
    aud = np.diff(model.world.audience.indptr).astype(float)
    size = 20 + 600 * np.sqrt(aud / max(aud.max(), 1.0))
    colors = [KIND_COLORS.get(k, NEUTRAL_COLOR) for k in kinds]
    ring = ["#000000" if i in active else "white" for i in range(len(kinds))]
    width = [2.5 if i in active else 0.5 for i in range(len(kinds))]
    ax.scatter(pos[:, 0], pos[:, 1], s=size, c=colors, edgecolors=ring, linewidths=width, zorder=3)
    family = [f for f in (cjk_font_family(), "DejaVu Sans") if f]
    if labels:
        for i, acc in enumerate(model.accounts):
            if acc.data.group is None:  # singletons only: groups would clutter the picture
                ax.annotate(
                    acc.data.handle,
                    pos[i],
                    xytext=(0, 9 + math.sqrt(size[i]) / 2),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8,
                    family=family,
                    zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
                )
    present = [k for k in KIND_COLORS if k in kinds]
    handles = [Line2D([], [], marker="o", ls="", color=KIND_COLORS[k], label=label(k)) for k in present]
    if active:
        handles.append(Line2D([], [], marker="o", ls="", mfc="white", mec="black", mew=2, label="published now"))
    if fired:
        handles.append(Line2D([], [], color="#222222", lw=1.8, label="relay fired"))
    ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False, bbox_to_anchor=(0, -0.02))
    lim = max(1.0, float(np.abs(pos).max())) * 1.18
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10, family=family)
    return fig


def draw_curves(model: PropagationModel, measures: dict[str, str], title: str, ax: Axes | None = None) -> Figure:
    """Plot DataCollector model reporters (``{name: colour}``) against hours."""
    if ax is None:
        fig = Figure(figsize=(5, 3.2), layout="constrained")
        ax = fig.add_subplot()
    fig = ax.get_figure()  # type: ignore[assignment]  # a Figure here: the axes are never in a subfigure
    df = model.datacollector.get_model_vars_dataframe()
    for m, color in measures.items():
        ax.plot(df["time_h"], df[m], color=color, label=m.replace("_", " "), lw=1.8)
    ax.set_xlim(0, model.horizon)
    ax.set_xlabel("hours")
    ax.yaxis.set_major_formatter(count_formatter("en"))
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    return fig


CURVES: dict[str, tuple[str, dict[str, str]]] = {
    "reach": (
        "Reach (unique followers reached)",
        {"reach": "#0072B2", "direct_reach": "#56B4E9", "second_level_reach": "#E69F00"},
    ),
    "fatigue": ("Fatigue (followers past their tolerance)", {"fatigued": "#CC79A7"}),
    "exits": (
        "Exits (mutes, unfollows, baseline churn)",
        {"mutes": "#D55E00", "unfollows": "#000000", "churned": "#8C8C8C"},
    ),
}


def summary_text(model: PropagationModel) -> str:
    """One Markdown paragraph: hour, reach, frequency, fatigue, exits and who published now."""
    c, n = model.counters, model.world.n
    who = [
        model.accounts[i].data.handle
        for i in np.union1d(getattr(model, "posted_now", []), getattr(model, "relayed_now", [])).astype(int)
    ]
    shown = ", ".join(who[:8]) + (f" and {len(who) - 8} more" if len(who) > 8 else "")
    freq = c["impressions"] / c["reach"] if c["reach"] else 0.0
    return (
        f"**{model.config.name}** · hour {model.hours:g} of {model.horizon:g} · "
        f"reach **{c['reach']:,}** ({c['reach'] / n:.1%} of {n:,}) · {freq:.2f} deliveries per person · "
        f"duplicates {c['duplicate_exposures']:,} · fatigued {c['fatigued']:,} · "
        f"mutes {c['mutes']:,} · unfollows {c['unfollows']:,}  \n"
        f"Published this hour: {shown or '-'}"
    )


# --- Solara page --------------------------------------------------------------------------------

import solara  # noqa: E402  (the optional ``viz`` extra; everything above works without it)
from mesa.visualization import SolaraViz  # noqa: E402


def _matrix_component(model: AppModel):
    fig = draw_account_matrix(model, title=f"{model.preset} · hour {model.hours:g}")
    return solara.FigureMatplotlib(fig, format="png", bbox_inches="tight", dpi=90)


def summary_html(model: PropagationModel) -> str:
    """:func:`summary_text` as HTML (its Markdown is only ``**bold**`` and a hard line break)."""
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(summary_text(model)))
    return text.replace("  \n", "<br>")


def _summary_component(model: AppModel):
    # HTML, not solara.Markdown: Markdown loads KaTeX from the CDN, which solara-assets lacks (offline).
    return solara.HTML(tag="div", unsafe_innerHTML=summary_html(model))


def _curves_component(key: str):
    title, measures = CURVES[key]

    def component(model: AppModel):
        return solara.FigureMatplotlib(draw_curves(model, measures, title), format="png", dpi=90)

    component.__name__ = f"{key}_curves"
    return component


model_params: dict[str, Any] = {
    "preset": {"type": "Select", "value": "hub", "values": list(PRESETS), "label": "Topology preset"},
    "p0": {
        "type": "SliderFloat",
        "value": 0.001,
        "min": 0.0,
        "max": 0.01,
        "step": 0.0002,
        "label": "Repost probability p0",
    },
    "relay_scale": {
        "type": "SliderFloat",
        "value": 1.0,
        "min": 0.0,
        "max": 2.0,
        "step": 0.1,
        "label": "Relay probability × preset default",
    },
    "tolerance": {
        "type": "SliderFloat",
        "value": 20.0,
        "min": 1.0,
        "max": 60.0,
        "step": 1.0,
        "label": "Fatigue tolerance (median load)",
    },
    "posts_per_day": {"type": "SliderInt", "value": 3, "min": 1, "max": 12, "step": 1, "label": "Posts per day"},
    "size": 20_000,
    "seed": 0,
}


def make_page(model: AppModel | solara.Reactive | None = None, **params: Any):
    """A SolaraViz element for ``model`` (default: an :class:`AppModel` with the sliders'
    defaults, overridden by ``params``). Pass a ``solara.reactive(model)`` to follow the model
    the page re-creates on *Reset* (``reactive.value``)."""
    if model is None:
        defaults = {k: (v["value"] if isinstance(v, dict) else v) for k, v in model_params.items()}
        model = AppModel(**{**defaults, **params})
    components = [(_matrix_component, 0), (_summary_component, 0)]
    components += [(_curves_component(k), 0) for k in CURVES]
    return SolaraViz(
        model,
        components=components,
        model_params=model_params,
        name="propsim: how a post spreads through the account matrix",
    )


#: The app: ``solara run simulator/app/viz.py`` serves it; a notebook displays it.
page = make_page()
