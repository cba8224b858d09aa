"""Empirical cascade profiles derived from public diffusion datasets.

This module reads the raw research archives in ``<shared>/research-data/`` *in place*
(``tarfile`` streaming; nothing is extracted to disk) and reduces them to aggregate
counts that the simulator's calibration and validation use:

* depth profile: share of reposters at depth 1, 2, 3, ... (depth 1 = reposted the source
  post directly), pooled over participants, plus the per-cascade depth-1 share;
* max depth per cascade (counts per depth, median, p90);
* offspring distribution of reposters (number of direct children per non-root participant);
* repost latency measured from the source post, in **hours** (quantiles, shares below
  1 h / 24 h, histogram on log-spaced bins);
* cascade counts and sizes.

Datasets (see ``research-data/README.md`` and each folder's README):

* ``weibo``: CED Sina Weibo rumour dataset (Song et al. 2018), 3,387 repost/comment trees;
* ``twitter15`` / ``twitter16``: propagation trees of Ma, Gao & Wong (2017);
  ``twitter`` pools both, counting each source tweet once (169 source tweets occur in both).

Only aggregate numbers leave this module: raw user ids, post ids and text are read into
memory to rebuild the trees and are never written anywhere.

Regenerate the committed JSON with::

    uv run python -m tools.realdata --shared ../shared \
        --output simulator/data/empirical_profiles.json

and read it at run time with :func:`load_profiles`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import hashlib
import json
import math
import os
import re
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Cascade",
    "LATENCY_BIN_EDGES_H",
    "PROFILE_FILE",
    "SCHEMA_VERSION",
    "cascade_size_summary",
    "depth_profile",
    "derive_profiles",
    "iter_twitter_cascades",
    "iter_weibo_cascades",
    "latency_profile",
    "load_profiles",
    "locate_research_data",
    "main",
    "max_depth_distribution",
    "offspring_distribution",
    "profile_cascades",
]

#: Version of the JSON layout written by :func:`derive_profiles`; bump on shape changes.
SCHEMA_VERSION: int = 1

#: File name of the committed profiles inside the ``simulator.data`` package.
from simulator.calibration.profiles import PROFILE_FILE, load_profiles  # noqa: E402  (re-exported)

#: Edges (hours) of the log-spaced latency histogram: 10^-2 h (36 s) .. 10^4 h (~417 days),
#: 4 bins per decade. Delays below the first edge (including 0) and above the last edge
#: are counted separately as ``n_below`` / ``n_above``.
LATENCY_BIN_EDGES_H: np.ndarray = 10.0 ** np.arange(-2.0, 4.0 + 1e-9, 0.25)

#: Lower cut-offs ``kmin`` at which the offspring tail exponent is fitted.
_ALPHA_KMINS: tuple[int, ...] = (2, 5, 10)

#: Quantile levels reported for latencies and per-cascade shares.
_QUANTILES: dict[str, float] = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}

_WEIBO_DIR = "ced_weibo_rumor"
_WEIBO_SOURCES = "ced_original_microblog.tar.gz"
_WEIBO_TREES = "ced_repost_trees.tar.xz"
_TWITTER_DIR = "twitter15_16_trees"
_TWITTER_TREES = "twitter15_16_trees.tar.xz"

#: Weibo repost ``date`` strings are local China time (UTC+8).
_WEIBO_UTC_OFFSET_S = 8 * 3600

_TWITTER_EDGE = re.compile(r"^\['([^']*)', '([^']*)', '([^']*)'\]->\['([^']*)', '([^']*)', '([^']*)'\]$")

# --------------------------------------------------------------------------------------
# Cascade records
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cascade:
    """One reconstructed cascade reduced to per-participant numbers (no identifiers).

    Every array has one entry per *non-root* participant that is connected to the
    source post through a chain of parent links; the source post itself is excluded.

    Attributes:
        depths: hop distance from the source (int; 1 = reposted the source directly).
        offspring: number of direct children of each participant (int, >= 0).
        delays_h: time from the source post to the participant's post, in hours
            (float; NaN where unknown; may be negative when the data are inconsistent).
        n_rows: raw records in the file (Weibo rows / Twitter edge lines, incl. the ROOT line).
        dropped: number of records dropped per reason (duplicates, self edges, unreachable).
        tallies: other loader-specific counts (no identifiers).
    """

    depths: np.ndarray
    offspring: np.ndarray
    delays_h: np.ndarray
    n_rows: int
    dropped: dict[str, int]
    tallies: dict[str, int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        """Number of non-root participants kept (reposters / repliers)."""
        return int(self.depths.size)

    @property
    def max_depth(self) -> int:
        """Largest depth in the cascade (0 when nobody reposted)."""
        return int(self.depths.max()) if self.depths.size else 0


def _build_cascade(
    parents: Sequence[int],
    delays_h: Sequence[float],
    n_rows: int,
    dropped: dict[str, int],
    tallies: dict[str, int] | None = None,
) -> Cascade:
    """Turn a parent-index list into a :class:`Cascade`.

    Args:
        parents: for participant ``i``, the index of its parent participant, ``-1`` when the
            parent is the source post, ``-2`` when the parent is unknown (orphan).
        delays_h: delay of each participant from the source post, hours.
        n_rows: raw record count of the file.
        dropped: counts of records already dropped by the loader (updated in place with
            ``"unreachable"``: participants whose parent chain does not reach the source,
            i.e. orphans, their descendants and cycles).
    """
    n = len(parents)
    depth = np.zeros(n, dtype=np.int64)  # 0 = not yet known, -1 = unreachable
    for i in range(n):
        if depth[i] != 0:
            continue
        path: list[int] = []
        on_path: set[int] = set()
        cur = i
        base = -1
        while True:
            if depth[cur] != 0:
                base = int(depth[cur])
                break
            p = parents[cur]
            path.append(cur)
            on_path.add(cur)
            if p == -1:
                base = 0
                break
            if p < 0 or p in on_path:  # orphan or cycle
                base = -1
                break
            cur = p
        if base == -1:
            for j in path:
                depth[j] = -1
        elif depth[cur] != 0 and cur not in on_path:
            d = base
            for j in reversed(path):
                d += 1
                depth[j] = d
        else:  # path ended at a direct child of the source (included in path)
            for d, j in enumerate(reversed(path), start=1):
                depth[j] = d
    keep = depth > 0
    par = np.asarray(parents, dtype=np.int64)
    kept_children_parents = par[keep & (par >= 0)]
    offspring = np.bincount(kept_children_parents, minlength=n) if n else np.zeros(0, np.int64)
    dropped = dict(dropped)
    dropped["unreachable"] = dropped.get("unreachable", 0) + int(n - keep.sum())
    return Cascade(
        depths=depth[keep].astype(np.int32),
        offspring=offspring[keep].astype(np.int32),
        delays_h=np.asarray(delays_h, dtype=np.float64)[keep] if n else np.zeros(0),
        n_rows=n_rows,
        dropped=dropped,
        tallies=dict(tallies or {}),
    )


# --------------------------------------------------------------------------------------
# Locating the data
# --------------------------------------------------------------------------------------


def locate_research_data(shared_dir: str | os.PathLike[str]) -> Path:
    """Return the ``research-data`` folder given either ``shared/`` or the folder itself.

    Raises:
        FileNotFoundError: when neither ``shared_dir/research-data`` nor ``shared_dir``
            contains the expected dataset folders.
    """
    base = Path(shared_dir)
    for cand in (base / "research-data", base):
        if (cand / _WEIBO_DIR).is_dir() or (cand / _TWITTER_DIR).is_dir():
            return cand
    raise FileNotFoundError(f"no research-data folder found under {base}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------
# Weibo (CED)
# --------------------------------------------------------------------------------------


def _weibo_source_time(value: Any) -> float:
    """Source-post time as unix seconds (int field, or 'Sat Jun 29 12:40:09 +0800 2013')."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return _dt.datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").timestamp()
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return math.nan
    return math.nan


def _weibo_dates_to_unix(dates: Sequence[Any]) -> np.ndarray:
    """Convert 'YYYY-mm-dd HH:MM:SS' (UTC+8) strings to unix seconds.

    Anything else (``None``, or the 74 CED rows stamped 'MM月DD日 HH:MM' without a year)
    becomes NaN.
    """
    try:
        arr = np.array(dates, dtype="datetime64[s]")
    except (ValueError, TypeError):
        arr = np.empty(len(dates), dtype="datetime64[s]")
        for i, d in enumerate(dates):
            try:
                ok = isinstance(d, str)
                arr[i] = np.datetime64(d, "s") if ok else np.datetime64("NaT", "s")
            except (ValueError, TypeError):
                arr[i] = np.datetime64("NaT", "s")
    out = arr.astype(np.int64).astype(np.float64) - _WEIBO_UTC_OFFSET_S
    out[np.isnat(arr)] = np.nan
    return out


def _weibo_source_info(research_data: Path) -> dict[str, dict[str, float]]:
    """Per source file name: source time (unix s), author followers, reported reposts.

    The returned keys are archive member base names; they are only used in memory to
    join source posts with their repost trees.
    """
    info: dict[str, dict[str, float]] = {}
    with tarfile.open(research_data / _WEIBO_DIR / _WEIBO_SOURCES) as tf:
        for m in tf:
            if not (m.isfile() and m.name.endswith(".json")) or "/._" in m.name:
                continue
            fh = tf.extractfile(m)
            if fh is None:
                continue
            obj = json.load(fh)
            user = obj.get("user")
            followers = user.get("followers") if isinstance(user, dict) else None
            reposts = obj.get("reposts")
            info[m.name.rsplit("/", 1)[-1]] = {
                "time": _weibo_source_time(obj.get("time")),
                "followers": float(followers) if isinstance(followers, (int, float)) else math.nan,
                "reposts": float(reposts) if isinstance(reposts, (int, float)) else math.nan,
            }
    return info


def iter_weibo_cascades(
    shared_dir: str | os.PathLike[str],
    limit: int | None = None,
    source_info: dict[str, dict[str, float]] | None = None,
) -> Iterator[tuple[str, Cascade]]:
    """Stream CED Weibo repost trees as ``(label, Cascade)`` pairs.

    ``label`` is ``"rumor"`` or ``"non-rumor"``. Rules: a row's ``parent`` is the ``mid``
    of the repost it came through (``""`` = directly from the source, depth 1); a ``mid``
    that occurs more than once keeps its first row (``dropped["duplicate_mid"]``); rows
    whose parent chain does not reach the source are dropped (``"unreachable"``). Reposts
    and comments are not distinguished by the dataset. Delay = repost ``date`` (UTC+8) minus
    the source post's ``time`` (unix s), in hours; NaN when the source time is unknown.

    Args:
        shared_dir: ``shared/`` or ``shared/research-data``.
        limit: stop after this many cascades (archive order), for quick checks.
        source_info: result of the source-post scan, if already loaded.
    """
    rd = locate_research_data(shared_dir)
    if source_info is None:
        source_info = _weibo_source_info(rd)
    count = 0
    with tarfile.open(rd / _WEIBO_DIR / _WEIBO_TREES) as tf:
        for m in tf:
            if not (m.isfile() and m.name.endswith(".json")) or "/._" in m.name:
                continue
            fh = tf.extractfile(m)
            if fh is None:
                continue
            rows = json.load(fh)
            label = "rumor" if "/rumor-repost/" in m.name else "non-rumor"
            src_time = source_info.get(m.name.rsplit("/", 1)[-1], {}).get("time", math.nan)
            index: dict[str, int] = {}
            parent_mids: list[str] = []
            dates: list[Any] = []
            dup = 0
            for r in rows:
                mid = r.get("mid")
                if mid in index:
                    dup += 1
                    continue
                index[mid] = len(parent_mids)
                parent_mids.append(r.get("parent") or "")
                dates.append(r.get("date"))
            parents = [-1 if p == "" else index.get(p, -2) for p in parent_mids]
            # children per raw row, a duplicated mid counted once per row it occupies
            n_children: dict[str, int] = {}
            for r in rows:
                p = r.get("parent") or ""
                if p:
                    n_children[p] = n_children.get(p, 0) + 1
            row_children = sum(n_children.get(r.get("mid"), 0) for r in rows)
            # a self-referencing row is a 1-cycle: _build_cascade drops it as unreachable
            delays = (_weibo_dates_to_unix(dates) - src_time) / 3600.0 if dates else []
            yield (
                label,
                _build_cascade(
                    parents,
                    delays,
                    len(rows),
                    {"duplicate_mid": dup},
                    {"row_children_incl_duplicate_mids": row_children},
                ),
            )
            count += 1
            if limit is not None and count >= limit:
                return


# --------------------------------------------------------------------------------------
# Twitter15 / Twitter16
# --------------------------------------------------------------------------------------


def _parse_twitter_tree(text: str) -> tuple[Cascade, int]:
    """Parse one Ma et al. tree file; returns the cascade and the count of bad lines.

    Rules (research-data README): nodes are keyed by ``(uid, tweet_id)`` because retweets
    carry the source tweet id; the line whose parent is ``ROOT`` names the source; self
    edges and edges pointing back to the source are dropped; a node keeps the first parent
    seen. A node's delay is the child delay (minutes from the source) of that first edge.
    Parents that never appear as a child (and are not the source) leave their subtree
    unreachable.
    """
    edges: list[tuple[tuple[str, str], tuple[str, str], float]] = []
    bad = 0
    source: tuple[str, str] | None = None
    lines = text.splitlines()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        mt = _TWITTER_EDGE.match(line)
        if mt is None:
            bad += 1
            continue
        pu, pt, _pd, cu, ct, cd = mt.groups()
        try:
            delay_min = float(cd)
        except ValueError:
            delay_min = math.nan
        if pu == "ROOT":
            if source is None:
                source = (cu, ct)
            continue
        edges.append(((pu, pt), (cu, ct), delay_min))
    dropped = {"self_edge": 0, "edge_to_source": 0, "duplicate_child": 0, "bad_line": bad}
    index: dict[tuple[str, str], int] = {}
    parent_keys: list[tuple[str, str]] = []
    delays_h: list[float] = []
    for parent, child, delay_min in edges:
        if parent == child:
            dropped["self_edge"] += 1
            continue
        if child == source:
            dropped["edge_to_source"] += 1
            continue
        if child in index:
            dropped["duplicate_child"] += 1
            continue
        index[child] = len(parent_keys)
        parent_keys.append(parent)
        delays_h.append(delay_min / 60.0)
    parents = [-1 if p == source else index.get(p, -2) for p in parent_keys]
    n_rows = len([ln for ln in lines if ln.strip()])
    return _build_cascade(parents, delays_h, n_rows, dropped), bad


def iter_twitter_cascades(
    shared_dir: str | os.PathLike[str],
    subsets: Iterable[str] = ("twitter15", "twitter16"),
    limit: int | None = None,
) -> Iterator[tuple[str, str, str, Cascade]]:
    """Stream Twitter15/16 trees as ``(subset, source_key, label, Cascade)``.

    ``source_key`` is a SHA-1 digest prefix of the tree file name (the source tweet id),
    used only to recognise source tweets present in both subsets; ``label`` is the
    veracity label from ``label.txt`` (``"unknown"`` if missing).

    Args:
        shared_dir: ``shared/`` or ``shared/research-data``.
        subsets: which of ``"twitter15"``, ``"twitter16"`` to read.
        limit: stop after this many cascades per subset (archive order).
    """
    rd = locate_research_data(shared_dir)
    wanted = set(subsets)
    labels: dict[str, str] = {}
    counts: dict[str, int] = {s: 0 for s in wanted}
    with tarfile.open(rd / _TWITTER_DIR / _TWITTER_TREES) as tf:
        for m in tf:
            if not m.isfile():
                continue
            parts = m.name.split("/")
            if len(parts) < 2 or parts[0] not in wanted:
                continue
            subset = parts[0]
            fh = tf.extractfile(m)
            if fh is None:
                continue
            if parts[-1] == "label.txt":
                for ln in fh.read().decode("utf-8", "replace").splitlines():
                    if ":" in ln:
                        lab, sid = ln.strip().split(":", 1)
                        labels[f"{subset}/{sid.strip()}"] = lab.strip()
                continue
            if len(parts) != 3 or parts[1] != "tree" or not parts[2].endswith(".txt"):
                continue
            if limit is not None and counts[subset] >= limit:
                continue
            sid = parts[2][: -len(".txt")]
            cascade, _ = _parse_twitter_tree(fh.read().decode("utf-8", "replace"))
            key = hashlib.sha1(sid.encode()).hexdigest()[:16]
            yield subset, key, labels.get(f"{subset}/{sid}", "unknown"), cascade
            counts[subset] += 1


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------


def _r(x: float, nd: int = 6) -> float | None:
    """Round for JSON; NaN/inf become ``None``."""
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None


def _quantiles(values: np.ndarray) -> dict[str, float | None]:
    if values.size == 0:
        return {k: None for k in _QUANTILES}
    qs = np.quantile(values, list(_QUANTILES.values()))
    return {k: _r(q) for k, q in zip(_QUANTILES, qs)}


def _int_counts(values: np.ndarray) -> dict[str, int]:
    """Histogram of non-negative ints as ``{"k": count}`` (only non-zero counts, keys sorted)."""
    if values.size == 0:
        return {}
    bc = np.bincount(values.astype(np.int64))
    return {str(k): int(c) for k, c in enumerate(bc) if c}


def depth_profile(cascades: Sequence[Cascade]) -> dict[str, Any]:
    """Depth profile of reposters.

    Returns:
        ``counts`` / ``shares``: participants per depth (keys ``"1"``, ``"2"``, ...),
        pooled over all cascades (shares sum to 1); ``n``: participants;
        ``per_cascade_depth1_share``: quantiles (p10..p90) and mean of each non-empty
        cascade's share of participants at depth 1, with ``n_cascades``;
        ``effective_r``: ``1 - shares["1"]``, which equals the mean offspring of
        participants when every participant reaches the source (a tree identity).
    """
    depths = np.concatenate([c.depths for c in cascades]) if cascades else np.zeros(0, int)
    counts = _int_counts(depths)
    n = int(depths.size)
    shares = {k: _r(v / n, 7) for k, v in counts.items()} if n else {}
    per = np.array([np.mean(c.depths == 1) for c in cascades if c.size], dtype=float)
    pc: dict[str, Any] = _quantiles(per)
    pc["mean"] = _r(per.mean()) if per.size else None
    pc["n_cascades"] = int(per.size)
    return {
        "n": n,
        "counts": counts,
        "shares": shares,
        "per_cascade_depth1_share": pc,
        "effective_r": _r(1.0 - counts.get("1", 0) / n) if n else None,
    }


def max_depth_distribution(cascades: Sequence[Cascade]) -> dict[str, Any]:
    """Distribution of the maximum depth per cascade (0 = nobody reposted).

    Returns ``counts`` (cascades per max depth, keys ``"0"``, ``"1"``, ...), ``median``,
    ``p90`` (numpy linear interpolation), ``mean``, ``max`` and ``n_cascades``.
    """
    md = np.array([c.max_depth for c in cascades], dtype=np.int64)
    if md.size == 0:
        return {"n_cascades": 0, "counts": {}, "median": None, "p90": None, "mean": None, "max": None}
    return {
        "n_cascades": int(md.size),
        "counts": _int_counts(md),
        "median": _r(np.median(md)),
        "p90": _r(np.quantile(md, 0.9)),
        "mean": _r(md.mean()),
        "max": int(md.max()),
    }


def _hurwitz_zeta(a: float, q: float, n_terms: int = 2000) -> float:
    """Hurwitz zeta ``sum_{n>=0} (n + q)^-a`` for ``a > 1``, ``q > 0`` (direct sum of
    ``n_terms`` terms plus an Euler-Maclaurin tail; relative error far below 1e-9)."""
    n = np.arange(n_terms, dtype=np.float64) + q
    head = float(np.sum(n**-a))
    x = n_terms + q
    tail = x ** (1.0 - a) / (a - 1.0) + 0.5 * x**-a + a / 12.0 * x ** (-a - 1.0)
    return head + tail


def _powerlaw_alpha_discrete(k: np.ndarray, kmin: int) -> float:
    """Discrete power-law MLE of ``alpha`` for ``P(k) ~ k^-alpha`` on ``k >= kmin``
    (Clauset, Shalizi & Newman 2009, eq. 3.5: maximise
    ``-n ln zeta(alpha, kmin) - alpha sum ln k`` by golden-section search on (1, 6)).
    Returns NaN with fewer than 10 tail observations."""
    tail = k[k >= kmin].astype(np.float64)
    if tail.size < 10:
        return math.nan
    n = tail.size
    s = float(np.log(tail).sum())

    def negll(a: float) -> float:
        return n * math.log(_hurwitz_zeta(a, float(kmin))) + a * s

    lo, hi = 1.0001, 6.0
    g = (math.sqrt(5.0) - 1.0) / 2.0
    x1, x2 = hi - g * (hi - lo), lo + g * (hi - lo)
    f1, f2 = negll(x1), negll(x2)
    while hi - lo > 1e-6:
        if f1 < f2:
            hi, x2, f2 = x2, x1, f1
            x1 = hi - g * (hi - lo)
            f1 = negll(x1)
        else:
            lo, x1, f1 = x1, x2, f2
            x2 = lo + g * (hi - lo)
            f2 = negll(x2)
    return 0.5 * (lo + hi)


def offspring_distribution(cascades: Sequence[Cascade]) -> dict[str, Any]:
    """Number of direct children of each non-root participant (re-reposts it triggered).

    Returns ``counts`` (``{"k": participants with k children}``), ``share_zero``, ``mean``,
    ``var``, ``max``, ``n`` and ``tail_alpha_by_kmin`` (power-law exponent of ``P(k)``
    fitted on ``k >= kmin`` for kmin in :data:`_ALPHA_KMINS`, discrete MLE; the estimate
    drifts with kmin because the low-k body is not a pure power law).
    """
    off = np.concatenate([c.offspring for c in cascades]) if cascades else np.zeros(0, int)
    if off.size == 0:
        return {
            "n": 0,
            "counts": {},
            "share_zero": None,
            "mean": None,
            "var": None,
            "max": None,
            "tail_alpha_by_kmin": {str(k): None for k in _ALPHA_KMINS},
        }
    return {
        "n": int(off.size),
        "counts": _int_counts(off),
        "share_zero": _r(np.mean(off == 0)),
        "mean": _r(off.mean()),
        "var": _r(off.var()),
        "max": int(off.max()),
        "tail_alpha_by_kmin": {str(kmin): _r(_powerlaw_alpha_discrete(off, kmin), 4) for kmin in _ALPHA_KMINS},
    }


def latency_profile(delays_h: np.ndarray) -> dict[str, Any]:
    """Latency statistics of repost delays measured from the source post (hours).

    NaN delays are counted as ``n_missing`` and negative ones (repost stamped before
    its source, a data inconsistency) as ``n_negative``; both are excluded from the
    statistics. Returns ``n`` (delays used), quantiles ``p10``, ``p25``, ``median``,
    ``p75``, ``p90`` and ``mean`` in hours, ``share_lt_1h`` / ``share_lt_24h`` (strictly
    below), and ``histogram`` with ``edges_h`` (:data:`LATENCY_BIN_EDGES_H`), ``counts``
    per bin ``[edges[i], edges[i+1])``, ``n_below`` (< first edge, incl. 0) and ``n_above``
    (>= last edge).
    """
    d = np.asarray(delays_h, dtype=np.float64)
    missing = ~np.isfinite(d)
    neg = ~missing & (d < 0)
    ok = d[~missing & ~neg]
    edges = LATENCY_BIN_EDGES_H
    counts, _ = np.histogram(ok, bins=edges)
    # np.histogram closes the last bin on the right; move values equal to the last edge out
    on_last = int(np.sum(ok == edges[-1]))
    counts[-1] -= on_last
    out: dict[str, Any] = {
        "n": int(ok.size),
        "n_missing": int(missing.sum()),
        "n_negative": int(neg.sum()),
    }
    out.update(_quantiles(ok))
    out["mean"] = _r(ok.mean()) if ok.size else None
    out["share_lt_1h"] = _r(np.mean(ok < 1.0)) if ok.size else None
    out["share_lt_24h"] = _r(np.mean(ok < 24.0)) if ok.size else None
    out["histogram"] = {
        "edges_h": [_r(e, 8) for e in edges],
        "counts": [int(c) for c in counts],
        "n_below": int(np.sum(ok < edges[0])),
        "n_above": int(np.sum(ok >= edges[-1])),
    }
    return out


def cascade_size_summary(cascades: Sequence[Cascade]) -> dict[str, Any]:
    """Participants per cascade (non-root): quantiles, mean, max and empty-cascade count.

    Caveat: both corpora are selected (rumour events, popular posts), so this is *not*
    a representative cascade-size distribution.
    """
    sizes = np.array([c.size for c in cascades], dtype=np.int64)
    out: dict[str, Any] = {"n_cascades": int(sizes.size)}
    out.update(_quantiles(sizes))
    out["mean"] = _r(sizes.mean()) if sizes.size else None
    out["max"] = int(sizes.max()) if sizes.size else None
    out["n_empty"] = int(np.sum(sizes == 0))
    return out


def profile_cascades(cascades: Sequence[Cascade]) -> dict[str, Any]:
    """All aggregate statistics of a list of cascades (one dataset's profile).

    The latency block has two views: ``all`` (every participant) and ``depth1``
    (direct reposts of the source only).
    """
    delays = np.concatenate([c.delays_h for c in cascades]) if cascades else np.zeros(0)
    depths = np.concatenate([c.depths for c in cascades]) if cascades else np.zeros(0, int)
    dropped: dict[str, int] = {}
    for c in cascades:
        for k, v in c.dropped.items():
            dropped[k] = dropped.get(k, 0) + v
    return {
        "n_cascades": len(cascades),
        "n_rows": int(sum(c.n_rows for c in cascades)),
        "n_participants": int(depths.size),
        "dropped": dict(sorted(dropped.items())),
        "cascade_size": cascade_size_summary(cascades),
        "depth": depth_profile(cascades),
        "max_depth": max_depth_distribution(cascades),
        "offspring": offspring_distribution(cascades),
        "latency_h": {
            "all": latency_profile(delays),
            "depth1": latency_profile(delays[depths == 1]),
        },
    }


def _weibo_source_summary(info: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Source-post audience figures: author followers, reported reposts, reposts/followers."""
    fol = np.array([v["followers"] for v in info.values()], dtype=float)
    rep = np.array([v["reposts"] for v in info.values()], dtype=float)
    ok = np.isfinite(fol) & np.isfinite(rep) & (fol > 0)
    ratio = rep[ok] / fol[ok]
    fo = fol[np.isfinite(fol)]
    re_ = rep[np.isfinite(rep)]
    return {
        "n_sources": len(info),
        "n_unknown_time": int(sum(1 for v in info.values() if not math.isfinite(v["time"]))),
        "followers": {**_quantiles(fo), "n": int(fo.size)},
        "reported_reposts": {**_quantiles(re_), "max": _r(re_.max()) if re_.size else None, "n": int(re_.size)},
        "reposts_per_follower": {**_quantiles(ratio), "n": int(ratio.size)},
    }


# --------------------------------------------------------------------------------------
# Derivation driver
# --------------------------------------------------------------------------------------

_PROVENANCE_DATASETS: dict[str, dict[str, Any]] = {
    "weibo": {
        "name": "CED Chinese rumour dataset (Sina Weibo), original posts + repost/comment trees",
        "upstream": "github.com/thunlp/Chinese_Rumor_Dataset @ c1178d8cfd4c245c296889a51fc252b17c9037c5",
        "citation": "Song, Tu, Yang, Liu, Sun (2018) CED: Credible Early Detection of Social "
        "Media Rumors. arXiv:1811.04175",
        "files": [f"{_WEIBO_DIR}/{_WEIBO_SOURCES}", f"{_WEIBO_DIR}/{_WEIBO_TREES}"],
        "licence": "none stated upstream; research use, cite the paper",
    },
    "twitter": {
        "name": "Twitter15 / Twitter16 propagation trees (rumdetect2017 release)",
        "upstream": "github.com/gszswork/Twitter15_16_dataset @ 6a33ebd91d4cafeb5a42eabc5727226fec7bb0e5",
        "citation": "Ma, Gao, Wong (2017) Detect Rumors in Microblog Posts Using Propagation "
        "Structure via Kernel Learning. ACL 2017; events from Liu et al. CIKM 2015 "
        "(twitter15) and Ma et al. IJCAI 2016 (twitter16)",
        "files": [f"{_TWITTER_DIR}/{_TWITTER_TREES}"],
        "licence": "none stated upstream; research use, cite the papers",
    },
}

_DEFINITIONS: dict[str, str] = {
    "participant": "non-root node of a cascade (a repost/comment on Weibo, a retweet/reply on "
    "Twitter) whose parent chain reaches the source post; the source is excluded",
    "depth": "hops from the source: 1 = direct repost of the source",
    "depth.shares": "participants per depth / all participants, pooled over cascades",
    "depth.per_cascade_depth1_share": "distribution over non-empty cascades of the share of "
    "their participants at depth 1",
    "max_depth": "largest depth per cascade; median/p90 use numpy linear interpolation",
    "offspring": "number of direct children of each participant",
    "latency_h": "time from the source post to the participant's post, hours; 'all' = every "
    "participant, 'depth1' = direct reposts only; negatives and unknowns excluded",
    "weibo": "CED rows keyed by mid (first row of a duplicated mid kept); parent '' = depth 1; "
    "reposts and comments are not distinguished; dates are UTC+8",
    "twitter": "nodes keyed by (uid, tweet_id); self edges and edges back to the source "
    "dropped; first parent seen kept; delays are the dataset's minutes from source",
    "twitter(pooled)": "twitter15 + twitter16 with source tweets present in both counted once (twitter15 copy kept)",
    "latency_h.reference_view": "MODEL-REFERENCE section 3 quotes Weibo latency for direct "
    "reposts (latency_h.depth1) and Twitter latency for all "
    "participants (latency_h.all)",
    "offspring.tail_alpha_by_kmin": "discrete power-law MLE (Clauset et al. 2009) of alpha in "
    "P(k) ~ k^-alpha fitted on k >= kmin (keys = kmin)",
    "weibo.offspring.mean_rows_incl_duplicate_mids": "mean children per raw row when duplicated "
    "mids are counted once per row (the convention "
    "behind MODEL-REFERENCE's 0.40)",
}


def derive_profiles(
    shared_dir: str | os.PathLike[str],
    datasets: Iterable[str] = ("weibo", "twitter"),
    weibo_limit: int | None = None,
    twitter_limit: int | None = None,
) -> dict[str, Any]:
    """Derive the empirical profiles from the raw archives.

    Args:
        shared_dir: ``shared/`` (containing ``research-data/``) or ``research-data`` itself.
        datasets: ``"weibo"`` and/or ``"twitter"`` (the latter yields ``twitter15``,
            ``twitter16`` and the pooled ``twitter``).
        weibo_limit / twitter_limit: read only the first N cascades (per Twitter subset)
            in archive order, for quick checks; ``None`` reads everything.

    Returns:
        ``{"schema_version", "weibo", "twitter15", "twitter16", "twitter", "provenance"}``
        (dataset keys present only when requested), each dataset holding the dict of
        :func:`profile_cascades`; all numbers are aggregates (no ids, no text).
    """
    wanted = set(datasets)
    rd = locate_research_data(shared_dir)
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    timings: dict[str, float] = {}
    if "weibo" in wanted:
        t0 = time.perf_counter()
        info = _weibo_source_info(rd)
        cascades: list[Cascade] = []
        by_label: dict[str, list[Cascade]] = {}
        for label, c in iter_weibo_cascades(rd, limit=weibo_limit, source_info=info):
            cascades.append(c)
            by_label.setdefault(label, []).append(c)
        prof = profile_cascades(cascades)
        # MODEL-REFERENCE's mean offspring (0.40) counts a duplicated mid once per raw row.
        row_children = sum(c.tallies.get("row_children_incl_duplicate_mids", 0) for c in cascades)
        n_rows = prof["n_rows"]
        prof["offspring"]["mean_rows_incl_duplicate_mids"] = _r(row_children / n_rows) if n_rows else None
        prof["source_posts"] = _weibo_source_summary(info)
        prof["by_label"] = {
            lab: {
                "n_cascades": len(cs),
                "depth1_share": profile_cascades(cs)["depth"]["shares"].get("1"),
                "median_max_depth": max_depth_distribution(cs)["median"],
            }
            for lab, cs in sorted(by_label.items())
        }
        out["weibo"] = prof
        timings["weibo"] = round(time.perf_counter() - t0, 2)
    if "twitter" in wanted:
        t0 = time.perf_counter()
        subs: dict[str, list[Cascade]] = {"twitter15": [], "twitter16": []}
        pooled: list[Cascade] = []
        seen: set[str] = set()
        labels: dict[str, dict[str, int]] = {"twitter15": {}, "twitter16": {}}
        overlap = 0
        for subset, key, label, c in iter_twitter_cascades(rd, limit=twitter_limit):
            subs[subset].append(c)
            labels[subset][label] = labels[subset].get(label, 0) + 1
            if key in seen:
                overlap += 1
            else:
                seen.add(key)
                pooled.append(c)
        for subset, cs in subs.items():
            prof = profile_cascades(cs)
            prof["labels"] = dict(sorted(labels[subset].items()))
            out[subset] = prof
        out["twitter"] = profile_cascades(pooled)
        out["twitter"]["n_sources_in_both_subsets"] = overlap
        timings["twitter"] = round(time.perf_counter() - t0, 2)
    files = []
    for ds in ("weibo", "twitter"):
        if ds in wanted:
            for rel in _PROVENANCE_DATASETS[ds]["files"]:
                p = rd / rel
                files.append({"path": f"research-data/{rel}", "bytes": p.stat().st_size, "sha256": _sha256(p)})
    out["provenance"] = {
        "generated_utc": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "generator": "tools.realdata.derive_profiles",
        "partial": weibo_limit is not None or twitter_limit is not None,
        "datasets": {k: v for k, v in _PROVENANCE_DATASETS.items() if k in wanted},
        "archives": files,
        "definitions": _DEFINITIONS,
        "caveats": [
            "Both corpora are selected rumour/popular events: use depth, offspring and latency "
            "profiles, not the cascade-size tail (CED sources look capped below 1,000 reposts).",
            "CED does not distinguish reposts from comments; Twitter trees mix retweets and "
            "replies, and retweet parents were reconstructed by the dataset authors.",
            "Twitter15 and Twitter16 share source tweets; the pooled 'twitter' profile counts each once.",
            "Negative delays (post stamped before its source) are excluded from latency stats.",
            "CED has 724 duplicated mids (125 with a different parent); keeping the first row "
            "(as here) vs the last moves ~0.2 pp of participants between depth 2 and deeper "
            "(depth-2 share 22.6% vs 22.4%).",
            "The offspring tail exponent depends on the cut-off: the exact discrete MLE on "
            "k >= 2 gives ~2.5 (Weibo) / ~2.4 (Twitter); k >= 5..10 gives ~2.2 (the "
            "MODEL-REFERENCE '2.2-2.3').",
        ],
        "privacy": "aggregate counts only; no user ids, post ids or text are stored",
        "derivation_seconds": timings,
    }
    return out


# --------------------------------------------------------------------------------------
# Committed profiles
# --------------------------------------------------------------------------------------


def _write_json_atomic(obj: Any, path: Path) -> None:
    """Write ``obj`` as JSON to ``path`` via a temp file in the same folder + ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(obj, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _headline(profiles: dict[str, Any]) -> str:
    lines = []
    for ds in ("weibo", "twitter15", "twitter16", "twitter"):
        p = profiles.get(ds)
        if not p:
            continue
        sh = p["depth"]["shares"]
        lat = p["latency_h"]["depth1" if ds == "weibo" else "all"]
        lines.append(
            f"{ds:10s} cascades={p['n_cascades']:5d} participants={p['n_participants']:8d} "
            f"d1/d2/d3={sh.get('1', 0):.3f}/{sh.get('2', 0):.3f}/{sh.get('3', 0):.3f} "
            f"d1/cascade med={p['depth']['per_cascade_depth1_share']['median']:.3f} "
            f"maxdepth med/p90={p['max_depth']['median']:g}/{p['max_depth']['p90']:g} "
            f"off0={p['offspring']['share_zero']:.3f} mean={p['offspring']['mean']:.3f} "
            f"lat med={lat['median']:.2f}h <1h={lat['share_lt_1h']:.3f} "
            f"<24h={lat['share_lt_24h']:.3f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: derive the profiles from ``--shared`` and write them atomically to ``--output``."""
    repo_root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(prog="python -m tools.realdata", description=(__doc__ or "").split("\n")[0])
    ap.add_argument(
        "--shared",
        type=Path,
        default=repo_root.parent / "shared",
        help="shared/ folder holding research-data/ (default: ../shared)",
    )
    ap.add_argument(
        "--output",
        type=Path,
        default=Path(__file__).resolve().parent / "data" / PROFILE_FILE,
        help="JSON file to write (default: simulator/data/empirical_profiles.json)",
    )
    ap.add_argument("--weibo-limit", type=int, default=None, help="quick check: first N Weibo cascades")
    ap.add_argument("--twitter-limit", type=int, default=None, help="quick check: first N trees per Twitter subset")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    profiles = derive_profiles(args.shared, weibo_limit=args.weibo_limit, twitter_limit=args.twitter_limit)
    _write_json_atomic(profiles, args.output)
    print(_headline(profiles))
    print(f"wrote {args.output} in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
