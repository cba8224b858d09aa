"""Shared figure plumbing for the charts: figure creation, titles, footers, axes helpers.

Figures are plain :class:`matplotlib.figure.Figure` objects (not pyplot-managed), so rendering
many charts in a loop leaks nothing and needs no GUI backend; notebooks display them as usual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator, NullFormatter, NullLocator
from matplotlib.transforms import ScaledTranslation
from numpy.typing import ArrayLike

from simulator.plotting.formatters import count_formatter, value_formatter
from simulator.plotting.labels import norm_key
from simulator.plotting.palette import TOPOLOGY_COLORS, sequential_color

# Marker per topology (same order as the colours) so lines stay distinguishable in grey print.
TOPOLOGY_MARKERS: dict[str, str] = {
    "centralized": "o",
    "organic": "s",
    "hub": "D",
    "dandelion": "^",
    "honeycomb": "h",
    "twin_star": "*",
}
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "h")
#: Colours of named groups that are not topologies (plans, handles), in order; all >= 3:1 on white.
CYCLE = (*TOPOLOGY_COLORS.values(), "#222222")

FOOTER_SIZE = 13
NOTE_COLOR = "#555555"
TEXT_COLOR = "#222222"


@dataclass(frozen=True)
class GroupStyle:
    color: str
    marker: str


def group_style(by: str | None, value: Any, index: int, values: Sequence[Any]) -> GroupStyle:
    """Colour and marker of one line: fixed per topology, else by position (numbers: an ordered
    dark-viridis scale, every colour >= 3:1 on white)."""
    if by is None:
        return GroupStyle(TOPOLOGY_COLORS["centralized"], "o")
    if isinstance(value, str):
        key = norm_key(value)
        if key in TOPOLOGY_COLORS:
            return GroupStyle(TOPOLOGY_COLORS[key], TOPOLOGY_MARKERS[key])
        return GroupStyle(CYCLE[index % len(CYCLE)], _MARKERS[index % len(_MARKERS)])
    # Ordered numeric groups: an ordered colour scale reads as "more of the parameter".
    return GroupStyle(sequential_color(index, len(values)), _MARKERS[index % len(_MARKERS)])


def new_figure(nrows: int = 1, ncols: int = 1, **kwargs: Any) -> tuple[Figure, Any]:
    """A slide-sized figure (current rcParams) with a grid of axes."""
    fig = blank_figure()
    axes = fig.subplots(nrows, ncols, **kwargs)
    return fig, axes


def get_renderer(fig: Figure) -> Any:
    """The figure's renderer (text extents); our figures have an Agg canvas."""
    return cast(Any, fig.canvas).get_renderer()


def blank_figure() -> Figure:
    """An empty slide-sized figure with an Agg canvas (text extents need a renderer)."""
    fig = Figure()
    FigureCanvasAgg(fig)
    return fig


def set_title(fig: Figure, title: str) -> None:
    """Chart title: left-aligned at the top of the figure, bold."""
    fig.suptitle(
        title, x=0.012, ha="left", fontsize=mpl.rcParams["axes.titlesize"], fontweight="bold", color=TEXT_COLOR
    )


FOOTER_SEP = " · "


def set_footer(fig: Figure, note: str) -> None:
    """Small grey note at the bottom-left (method, fixed parameters); space is reserved for it.

    Notes joined with :data:`FOOTER_SEP` are wrapped at the separators so that no line runs past
    the right edge of the figure.
    """
    if not note:
        return
    note = _wrap_footer(fig, note)
    engine = fig.get_layout_engine()
    lines = note.count("\n") + 1
    height = (FOOTER_SIZE * 1.45 * lines + 6) / 72 / fig.get_figheight()
    if engine is not None and hasattr(engine, "set"):
        cast(Any, engine).set(rect=(0, height, 1, 1 - height))  # constrained layout takes a rect
    fig.text(0.012, 0.008, note, ha="left", va="bottom", fontsize=FOOTER_SIZE, color=NOTE_COLOR, gid="footer")


def _wrap_footer(fig: Figure, note: str) -> str:
    """Greedy line breaks at the " · " separators, measured with the figure's renderer."""
    renderer = get_renderer(fig)
    probe = fig.text(0, 0, "", fontsize=FOOTER_SIZE)
    room = fig.bbox.width * (1 - 2 * 0.012)

    def width(s: str) -> float:
        probe.set_text(s)
        return probe.get_window_extent(renderer).width

    out: list[str] = []
    try:
        for line in note.split("\n"):
            current = ""
            for part in line.split(FOOTER_SEP):
                candidate = part if not current else current + FOOTER_SEP + part
                if current and width(candidate) > room:
                    out.append(current)
                    current = part
                else:
                    current = candidate
            out.append(current)
    finally:
        probe.remove()
    return "\n".join(out)


def log_spaced(values: ArrayLike) -> bool:
    """True when swept values read best on a log axis: all positive and either spanning a decade
    or more (max/min >= 10, rounding allowed), or a geometric series (3+ values, consecutive
    ratios equal within 10% in log terms and growing by at least 1.5x per step)."""
    xs = np.unique(np.asarray(values, dtype=float))
    xs = xs[np.isfinite(xs)]
    if len(xs) < 2 or not (xs > 0).all():
        return False
    if xs.max() / xs.min() >= 10 * (1 - 1e-9):
        return True
    if len(xs) < 3:
        return False
    steps = np.diff(np.log(xs))
    return bool(steps.min() >= np.log(1.5) - 1e-9 and steps.max() - steps.min() <= 0.1 * steps.mean())


#: At most this many swept values get a tick each; more are thinned to every k-th value.
MAX_PARAM_TICKS = 8


def setup_param_axis(ax: Axes, values: ArrayLike, xlabel: str) -> None:
    """x axis of a swept parameter: log scale when the values are log-spaced (:func:`log_spaced`),
    ticks at the swept values, printed with 3 significant digits (more only when two would
    print alike)."""
    xs = np.unique(np.asarray(values, dtype=float))
    xs = xs[np.isfinite(xs)]
    log = log_spaced(xs)
    if log:
        ax.set_xscale("log")
        lo, hi = np.log10(xs.min()), np.log10(xs.max())
        pad = 0.06 * (hi - lo)
        ax.set_xlim(10 ** (lo - pad), 10 ** (hi + pad))
    elif len(xs) > 1:
        pad = 0.06 * (xs.max() - xs.min())
        ax.set_xlim(xs.min() - pad, xs.max() + pad)
    if len(xs) > 1 and (len(xs) <= MAX_PARAM_TICKS or log):
        step = int(np.ceil(len(xs) / MAX_PARAM_TICKS))
        ticks = xs[::-1][::step][::-1]  # thinned from the top, so the largest value keeps its tick
        ax.xaxis.set_major_locator(FixedLocator(ticks.tolist()))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(value_formatter(xs))
    ax.set_xlabel(xlabel)


def count_axis(axis: Any, lang: str, integer: bool = False) -> None:
    """Counts on ``axis``: 12k / 1.2万 labels at 1-2-5 steps, so every label is exact
    (2.5 steps would print 17,500 as "1.8万")."""
    axis.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10], integer=integer))
    axis.set_major_formatter(count_formatter(lang))


def capitalise(s: str) -> str:
    return s[:1].upper() + s[1:] if s and s[0].isascii() else s


def spread_positions(targets: Sequence[float], gap: float, lo: float = -np.inf, hi: float = np.inf) -> np.ndarray:
    """Positions as close as possible to ``targets`` (least squares) with at least ``gap``
    between neighbours, inside ``[lo, hi]`` when they fit (isotonic regression, pool adjacent
    violators): labels stay beside their lines and move only as much as overlap requires."""
    t = np.asarray(targets, dtype=float)
    order = np.argsort(t, kind="stable")
    k = np.arange(len(t)) * gap
    # y_i = z_i + i * gap with z non-decreasing; a common bound on z keeps the stack inside
    # [lo, hi] (clipping the isotonic fit is the bounded least-squares solution).
    z = _isotonic(t[order] - k)
    top = hi - (len(t) - 1) * gap
    z = np.minimum(np.maximum(z, lo), top) if top >= lo else np.minimum(z, top)
    y = z + k
    out = np.empty_like(y)
    out[order] = y
    return out


def _isotonic(v: np.ndarray) -> np.ndarray:
    """Least-squares non-decreasing fit of ``v`` (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight]
    for x in v:
        blocks.append([float(x), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2 = blocks.pop()
            m1, w1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2])
    return np.concatenate([np.full(int(w), m) for m, w in blocks]) if blocks else np.array([])


def label_line_ends(
    fig: Figure, ax: Axes, ends: Sequence[tuple[float, float, str, str]], fontsize: float | None = None
) -> None:
    """Label lines at their right end instead of a legend: each label sits at its line's last
    point, moved only as far as needed to clear the others (a thin leader joins a moved label to
    its line end).

    ``ends`` holds ``(x, y, text, colour)`` of each line's last point (data coordinates). Label
    heights are kept in axes fractions, so they stay beside their lines when the layout resizes
    the axes afterwards.
    """
    if not ends:
        return
    fontsize = fontsize or mpl.rcParams["legend.fontsize"]
    fig.draw_without_rendering()  # run the layout so the data->display transform is final
    height = max(ax.get_window_extent().height, 1.0)
    to_axes = ax.transAxes.inverted()
    targets = [to_axes.transform(ax.transData.transform((x, y)))[1] for x, y, _, _ in ends]
    gap = fontsize * 1.4 * fig.dpi / 72 / height
    placed = spread_positions(targets, gap, lo=gap / 2, hi=1 - gap / 2)
    for (x, y, label, color), y0, y1 in zip(ends, targets, placed):
        moved = abs(y1 - y0) > gap / 3
        arrow = {"arrowstyle": "-", "color": color, "linewidth": 0.9, "shrinkA": 2, "shrinkB": 4} if moved else None
        ax.annotate(
            label,
            xy=(x, y),
            xytext=(14, y1),
            textcoords=("offset points", "axes fraction"),
            ha="left",
            va="center",
            color=color,
            fontsize=fontsize,
            fontweight="bold",
            annotation_clip=False,
            arrowprops=arrow,
            gid=f"endlabel:{label}",
        )


def top_legend(
    ax: Axes,
    handles: Sequence[Any],
    *,
    row: Sequence[Axes] | None = None,
    ncols: int | None = None,
    fontsize: float | None = None,
) -> Any:
    """Legend in one row above the titles of the top ``row`` of axes (default ``[ax]``), below
    the figure title, starting at ``ax``'s left edge.

    Figure-level "outside" legends share the row of the left-aligned figure title and collide
    with it, and an axes legend in the layout would widen its column. So the legend stays out of
    the layout, and each top-row title gets an empty first line as tall as the legend, which
    constrained layout does reserve; the legend is drawn in that line.
    """
    fontsize = fontsize or mpl.rcParams["legend.fontsize"]
    row = list(row) if row is not None else [ax]
    legend_pt = fontsize * 1.25 + 0.4 * fontsize + 12  # entry row, border padding, gaps
    pad = mpl.rcParams["axes.titlepad"]
    title_pt = 0.0
    for a in row:
        t, loc = _axes_title(a)
        if t is None:  # no title: one blank line as tall as the legend (no empty title row under it)
            a.set_title(" ", loc=loc, fontsize=legend_pt / 1.2)
            continue
        size = t.get_fontsize()
        # First line empty; line spacing chosen so that the empty line is legend_pt tall.
        kw = {"color": t.get_color(), "fontweight": t.get_fontweight()}
        new = a.set_title("\n" + t.get_text(), loc=loc, fontsize=size, linespacing=legend_pt / (size * 1.2), **kw)
        if a is ax:
            title_pt = size * 1.2
        new.set_verticalalignment("baseline")
    offset_pt = pad + title_pt + 2.0
    transform = ax.transAxes + ScaledTranslation(0, offset_pt / 72, ax.figure.dpi_scale_trans)
    leg = ax.legend(
        handles=handles,
        loc="lower left",
        bbox_to_anchor=(0, 1),
        bbox_transform=transform,
        ncols=ncols or len(handles),
        borderaxespad=0,
        borderpad=0.2,
        handlelength=2.0,
        columnspacing=1.4,
        fontsize=fontsize,
    )
    leg.set_in_layout(False)
    return leg


def _axes_title(ax: Axes) -> tuple[Any, Literal["left", "center", "right"]]:
    """The first non-empty title of ``ax`` and its location (``(None, "left")`` if none)."""
    places: tuple[tuple[Literal["left", "center", "right"], str], ...] = (
        ("left", "_left_title"),
        ("center", "title"),
        ("right", "_right_title"),
    )
    for loc, attr in places:
        t = getattr(ax, attr, None)
        if t is not None and t.get_text().strip():
            return t, loc
    return None, "left"


def finish(fig: Figure) -> Figure:
    """Draw once inside the style context: ticks and their fonts are created now, not later."""
    fig.draw_without_rendering()
    return fig
