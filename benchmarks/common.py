"""Helpers shared by the benchmarks: sizes, the benchmark graph, memory, tables."""

from __future__ import annotations

import platform
import re
import resource
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from simulator.defaults import REGIONS
from simulator.world.graphs import CSR, follower_graph

# The benchmark graph: the model's own follower graph at its defaults (MODEL-REFERENCE section 5
# measured the peers on a directed heavy-tailed graph with 1M nodes and 20M edges).
MEAN_FOLLOWEES = 20.0
TAIL_EXPONENT = 2.2
LOCALITY = 0.5


def parse_size(text: str) -> int:
    """'10k' -> 10_000, '1m' -> 1_000_000, '2.5M' -> 2_500_000, '5000' -> 5000."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kKmM]?)\s*", str(text))
    if not m:
        raise ValueError(f"bad size {text!r}: use e.g. 10k, 100k, 1m or a plain number")
    value = float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6}[m.group(2).lower()]
    if value < 100:
        raise ValueError(f"size {text!r} is too small (at least 100 nodes)")
    return int(round(value))


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def region_bounds(n: int) -> np.ndarray:
    """Region boundaries of the model's default seven regions (nodes laid out region by region)."""
    w = np.array(list(REGIONS.values()), dtype=float)
    bounds = np.round(np.concatenate([[0.0], np.cumsum(w / w.sum())]) * n).astype(np.int64)
    bounds[-1] = n
    return bounds


def benchmark_graph(n: int, seed: int = 1) -> tuple[CSR, float]:
    """The directed heavy-tailed follower graph (as the model builds it) and its build time, s."""
    t0 = time.perf_counter()
    g = follower_graph(n, MEAN_FOLLOWEES, TAIL_EXPONENT, LOCALITY, region_bounds(n), np.random.default_rng(seed))
    return g, time.perf_counter() - t0


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"


def fmt_time(seconds: float | None) -> str:
    """Seconds in the most readable unit (us / ms / s)."""
    if seconds is None or not np.isfinite(seconds):
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1.0:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(x: float | None) -> str:
    return "-" if x is None or not np.isfinite(x) else f"{x:.1f}x"


def fmt_count(x: float | None) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-markdown table (readable as plain text too)."""
    cells = [[str(h) for h in header]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(cells[0], widths)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells[1:]]
    return "\n".join(lines)


def mean_se(x: Sequence[float]) -> tuple[float, float]:
    """Mean and its standard error (0 for fewer than two values)."""
    a = np.asarray(x, dtype=float)
    if len(a) < 2:
        return float(a.mean()) if len(a) else float("nan"), 0.0
    return float(a.mean()), float(a.std(ddof=1) / np.sqrt(len(a)))
