"""The oracle report's figure: theory (lines, bars) against the engine (points, +-2 SE)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from simulator.validation.oracles import Z_TOL, Report

_SMALL_TYPE: Any = {  # six panels on one slide: smaller type than the one-chart slide default
    "axes.titlesize": 16,
    "axes.labelsize": 13,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
}


def plot_report(report: Report, path: str | Path, formats: Sequence[str] = ("png",), lang: str = "en") -> list[Path]:
    """Six panels: undirected mean outbreak and giant size, directed depth profile, Borel law,
    repeated exposure, and every row's z-score."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from simulator.plotting.palette import TOPOLOGY_COLORS
    from simulator.plotting.saving import save_figure
    from simulator.plotting.style import slide_style

    cv = report.curves
    palette = [TOPOLOGY_COLORS[k] for k in ("centralized", "hub", "organic", "dandelion")]
    with slide_style(lang):
        plt.rcParams.update(_SMALL_TYPE)
        fig, axes = plt.subplots(2, 3, figsize=(13.333, 7.5))
        _undirected_below(axes[0, 0], cv, palette)
        _undirected_above(axes[0, 1], cv, palette)
        _directed(axes[0, 2], cv, palette)
        _branching(axes[1, 0], cv, palette)
        _exposure(axes[1, 1], cv, palette)
        _zscores(axes[1, 2], report, palette)
        written = save_figure(fig, path, formats)
        plt.close(fig)
    return written


def _undirected_below(ax: Any, cv: dict[str, Any], palette: list[str]) -> None:
    if "undirected_below" in cv:
        th = cv["undirected_theory"]
        ax.plot(th["x"], th["mean"], color="black", lw=1.5, label="theory")
        pts = cv["undirected_below"]
        ax.errorbar(
            [p["x"] for p in pts],
            [p["sim"] for p in pts],
            yerr=[2 * p["se"] for p in pts],
            fmt="o",
            color=palette[0],
            label="engine ±2 SE",
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, max(p["theory"] for p in pts) * 1.6)
        ax.set_xlabel("T / T_c")
        ax.set_ylabel("mean outbreak size")
        ax.legend(fontsize=11)
    ax.set_title("Undirected: below threshold")


def _undirected_above(ax: Any, cv: dict[str, Any], palette: list[str]) -> None:
    if "undirected_above" in cv:
        th = cv["undirected_theory"]
        ax.plot(th["x"], th["giant"], color="black", lw=1.5, label="theory S")
        pts = cv["undirected_above"]
        ax.errorbar(
            [p["x"] for p in pts],
            [p["p_large"] for p in pts],
            yerr=[2 * p["p_se"] for p in pts],
            fmt="o",
            color=palette[0],
            label="P(large outbreak)",
        )
        ax.errorbar(
            [p["x"] + 0.05 for p in pts],
            [p["size"] for p in pts],
            yerr=[2 * (p["size_se"] or 0) for p in pts],
            fmt="s",
            color=palette[1],
            label="size / N",
        )
        ax.set_xlabel("T / T_c")
        ax.set_ylabel("share")
        ax.legend(fontsize=11)
    ax.set_title("Undirected: giant outbreak")


def _directed(ax: Any, cv: dict[str, Any], palette: list[str]) -> None:
    for col, p in zip(palette, cv.get("directed", [])):
        ax.plot(p["depth"], p["theory"], color=col, lw=1.5)
        ax.errorbar(
            p["depth"], p["sim"], yerr=[2 * s for s in p["se"]], fmt="o", color=col, ms=5, label=f"R = {p['R']:g}"
        )
    ax.set_yscale("log")
    ax.set_xlabel("depth d")
    ax.set_ylabel("mean reposters at depth d")
    ax.legend(fontsize=11)
    ax.set_title("Directed: F T R^(d-1)")


def _branching(ax: Any, cv: dict[str, Any], palette: list[str]) -> None:
    for col, p in zip(palette, cv.get("branching", [])):
        ax.plot(p["n"], p["theory"], color=col, lw=1.5)
        sim = np.array(p["sim"], dtype=float)
        ax.plot(np.array(p["n"])[sim > 0], sim[sim > 0], "o", color=col, ms=5, label=f"m = {p['m']:g}")
    ax.set_yscale("log")
    ax.set_xlabel("cascade size n")
    ax.set_ylabel("P(S = n)")
    ax.legend(fontsize=11)
    ax.set_title("Branching: Borel law")


def _exposure(ax: Any, cv: dict[str, Any], palette: list[str]) -> None:
    ex = cv.get("exposure", [])
    if ex:
        x = np.arange(len(ex))
        ax.bar(x, [p["theory"] for p in ex], color="#DDDDDD", label="theory")
        ax.errorbar(
            x,
            [p["sim"] for p in ex],
            yerr=[2 * p["se"] for p in ex],
            fmt="o",
            color=palette[0],
            label="engine ±2 SE",
        )
        ax.set_xticks(x, [_short_schedule(p["label"]) for p in ex], fontsize=10)
        ax.set_xlabel("deliveries at (hours)")
        ax.set_ylabel("P(repost)")
        ax.legend(fontsize=11)
    ax.set_title("Repeated exposure")


def _zscores(ax: Any, report: Report, palette: list[str]) -> None:
    fams = list(dict.fromkeys(r.family for r in report.rows))
    for i, fam in enumerate(fams):
        zs = [r.z for r in report.rows if r.family == fam]
        ax.plot(np.full(len(zs), i) + np.linspace(-0.2, 0.2, len(zs)), zs, "o", color=palette[i % 4])
    ax.axhspan(-Z_TOL, Z_TOL, color="#EEEEEE", zorder=0)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(fams)), fams, fontsize=11)
    ax.set_ylim(-Z_TOL - 1, Z_TOL + 1)
    ax.set_ylabel("z = (sim - theory) / SE")
    ax.set_title(f"All oracles: |z| < {Z_TOL:g}")


def _short_schedule(label: str) -> str:
    """'verbatim at 0,1,2 h' -> '0,1,2'; commentary relays are marked on a second line."""
    variation, _, times = label.partition(" at ")
    times = times.removesuffix(" h")
    return times if variation == "verbatim" else f"{times}\n{variation}"
