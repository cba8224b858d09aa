"""Helpers shared by the benchmarks: sizes, the benchmark graphs, clocks, machine load, memory, tables."""

from __future__ import annotations

import os
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


def benchmark_graph(n: int, seed: int = 1, tail: float | None = TAIL_EXPONENT) -> tuple[CSR, float]:
    """The directed follower graph as the model builds it, and its build time, s.

    ``tail`` is the power-law exponent of follower counts (heavy-tailed, the default) or None
    for Poisson follower counts (light-tailed: <jk> = z^2, so IC is critical at p = 1 / z).
    """
    t0 = time.perf_counter()
    g = follower_graph(n, MEAN_FOLLOWEES, tail, LOCALITY, region_bounds(n), np.random.default_rng(seed))
    return g, time.perf_counter() - t0


class Clock:
    """``with Clock() as c: ...`` -> ``c.wall`` and ``c.cpu`` in seconds.

    ``cpu`` is the CPU time of this thread (``time.thread_time``): it does not count time the
    thread spent descheduled, so it is the fairer clock on a machine shared with other jobs.
    """

    wall: float
    cpu: float

    def __enter__(self) -> Clock:
        self._w, self._c = time.perf_counter(), time.thread_time()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall, self.cpu = time.perf_counter() - self._w, time.thread_time() - self._c


def load_average() -> list[float]:
    """The machine's 1-, 5- and 15-minute load averages (runnable processes; Unix)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not available on this platform
        return [float("nan")] * 3


def spread(values: Sequence[float]) -> dict[str, float | int]:
    """{"n", "min", "median", "max"} of the values (NaN when there are none)."""
    a = np.asarray(values, dtype=float)
    if len(a) == 0:
        return {"n": 0, "min": float("nan"), "median": float("nan"), "max": float("nan")}
    return {"n": len(a), "min": float(a.min()), "median": float(np.median(a)), "max": float(a.max())}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine() -> str:
    """One line: CPU model and count, Python and numpy versions."""
    return f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"


def code_version() -> str:
    """The git commit of the imported ``simulator`` package (with ``+dirty`` for local changes),
    or ``unknown`` outside a git checkout."""
    import subprocess

    import simulator

    where = os.path.dirname(os.path.abspath(simulator.__file__))
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=where, capture_output=True, text=True)
        if head.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=where, capture_output=True, text=True)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else the architecture."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


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
