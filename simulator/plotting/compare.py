"""The one statistical rule behind every comparative word on a chart or slide.

Every ranking, "better", "dominated", "frontier", "higher/lower" and takeaway sentence is decided
here, from the runs of a sweep:

- **Paired** differences when replicates are paired (replicate ``k`` of every point ran with the
  same seed: common random numbers; the sweep's ``differences`` table, when the folder has one and
  its baseline is the one compared against, is used as it is). The interval is the 95% Student-t
  interval of the per-replicate differences (df = pairs - 1), the p-value the paired t-test's
  (1.0 when every difference is exactly 0).
- **Unpaired** (Welch) when the replicates are not paired (seeds differ); charts then say so.
- **Multiple comparisons**: when a slide compares several options (each against the baseline, or
  every pair), the p-values of that family are adjusted with Holm's step-down method and a
  difference counts only when its adjusted p-value is below 0.05. Otherwise it is *similar (n.s.)*,
  in words and visually (greyed, no frontier segment).
- A metric shows **no measurable effect** when no difference between the compared points is both
  significant and at least one person per 10,000 of the population.

Means and intervals of a metric are clipped to its feasible range (:mod:`simulator.results.metrics`:
``0..population`` for counts of people, ``0..1`` for shares).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from simulator.results.metrics import metric as metric_info

__all__ = [
    "ALPHA",
    "Comparisons",
    "Option",
    "Stat",
    "adjust",
    "clip_to_bounds",
    "holm",
    "point_key",
    "stat_from_values",
]

ALPHA = 0.05
#: A difference smaller than this share of the population is "no measurable effect".
MIN_EFFECT_SHARE = 1e-4
#: Per-run derived metrics (``reach_per_exit``: reach / campaign-caused exits, exits at least 1).
DERIVED = ("reach_per_exit",)


@dataclass(frozen=True)
class Stat:
    """One difference ``a - b`` of one metric: mean, 95% interval, p-value, pairs (or runs)."""

    diff: float
    lo: float
    hi: float
    p: float
    n: int
    paired: bool
    p_adj: float = math.nan  # after Holm within its family (NaN: not adjusted, use p)
    se: float = math.nan  # standard error of ``diff``
    df: float = math.nan  # degrees of freedom of its t distribution

    @property
    def p_decision(self) -> float:
        return self.p if math.isnan(self.p_adj) else self.p_adj

    @property
    def significant(self) -> bool:
        """True when the difference counts: (Holm-adjusted) p below 0.05 and an interval excluding 0."""
        p = self.p_decision
        return bool(np.isfinite(p) and p < ALPHA and (self.lo > 0 or self.hi < 0))

    @property
    def half(self) -> float:
        """Half-width of the interval (the "±" of a sentence)."""
        return (self.hi - self.lo) / 2 if np.isfinite(self.hi - self.lo) else math.nan


def adjust(s: Stat, p_adj: float) -> Stat:
    """``s`` with its Holm-adjusted p-value and an interval widened to match it: the interval at
    level ``1 - 0.05 * p / p_adj`` excludes 0 exactly when ``p_adj < 0.05``, so a whisker never
    clears zero while the words say "n.s." (and vice versa)."""
    unadjusted = np.isfinite(s.p) and np.isfinite(p_adj) and p_adj <= s.p  # one test: the 95% interval stays
    if unadjusted or not (np.isfinite(s.p) and np.isfinite(p_adj) and np.isfinite(s.se) and s.df >= 1) or s.se == 0:
        return replace(s, p_adj=p_adj)
    from scipy import stats

    level = ALPHA * s.p / p_adj if p_adj > 0 else ALPHA
    half = float(stats.t.ppf(1 - level / 2, s.df)) * s.se
    return replace(s, lo=s.diff - half, hi=s.diff + half, p_adj=p_adj)


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN stays NaN and does not count as a test)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    order = ok[np.argsort(p[ok], kind="stable")]
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def _t975(df: np.ndarray) -> np.ndarray:
    from scipy import stats

    df = np.asarray(df, dtype=float)
    out = np.full(df.shape, np.nan)
    ok = df >= 1
    out[ok] = stats.t.ppf(1 - ALPHA / 2, df[ok])
    return out


def _t_pvalue(t: np.ndarray, df: np.ndarray) -> np.ndarray:
    from scipy import stats

    out = np.full(np.shape(t), np.nan)
    ok = np.isfinite(t) & (np.asarray(df) >= 1)
    out[ok] = 2 * stats.t.sf(np.abs(np.asarray(t)[ok]), np.asarray(df, dtype=float)[ok])
    return out


def stat_from_values(a: np.ndarray, b: np.ndarray, paired: bool) -> Stat:
    """The difference ``a - b`` of two arrays of per-replicate values (NaN = missing run)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if paired:
        d = a - b
        d = d[np.isfinite(d)]
        n = len(d)
        if n == 0:
            return Stat(math.nan, math.nan, math.nan, math.nan, 0, True)
        mean = float(d.mean())
        if n < 2:
            return Stat(mean, math.nan, math.nan, math.nan, n, True)
        sd = float(d.std(ddof=1))
        if sd == 0:  # every pair differs by the same amount (0: identical options)
            return Stat(mean, mean, mean, 1.0 if mean == 0 else 0.0, n, True)
        se = sd / math.sqrt(n)
        half = float(_t975(np.array([n - 1]))[0]) * se
        p = float(_t_pvalue(np.array([mean / se]), np.array([n - 1]))[0])
        return Stat(mean, mean - half, mean + half, p, n, True, se=se, df=n - 1)
    return _welch(a[np.isfinite(a)], b[np.isfinite(b)])


def _welch(a: np.ndarray, b: np.ndarray) -> Stat:
    na, nb = len(a), len(b)
    if na == 0 or nb == 0:
        return Stat(math.nan, math.nan, math.nan, math.nan, 0, False)
    mean = float(a.mean() - b.mean())
    if na < 2 or nb < 2:
        return Stat(mean, math.nan, math.nan, math.nan, min(na, nb), False)
    va, vb = a.var(ddof=1) / na, b.var(ddof=1) / nb
    se = math.sqrt(va + vb)
    if se == 0:
        return Stat(mean, mean, mean, 1.0 if mean == 0 else 0.0, min(na, nb), False)
    df = (va + vb) ** 2 / (va**2 / (na - 1) + vb**2 / (nb - 1))  # Welch-Satterthwaite
    half = float(_t975(np.array([df]))[0]) * se
    p = float(_t_pvalue(np.array([mean / se]), np.array([df]))[0])
    return Stat(mean, mean - half, mean + half, p, min(na, nb), False, se=se, df=df)


def clip_to_bounds(lo: Any, hi: Any, metric: str, population: Any = None) -> tuple[Any, Any]:
    """Clip an interval of a metric's *level* to its feasible range (``upper="population"`` uses
    ``population``); unknown metrics are returned unchanged."""
    info = metric_info(metric)
    if info is None:
        return lo, hi
    lower = info.lower
    upper = population if info.upper == "population" else info.upper
    if lower is not None:
        lo, hi = np.maximum(lo, lower), np.maximum(hi, lower)
    if upper is not None and not isinstance(upper, str):
        lo, hi = np.minimum(lo, upper), np.minimum(hi, upper)
    return lo, hi


def _diff_bounds(metric: str, population: float) -> tuple[float, float]:
    """Feasible range of a difference of two levels: ``[lower - upper, upper - lower]``."""
    info = metric_info(metric)
    if info is None or info.lower is None:
        return -math.inf, math.inf
    upper = population if info.upper == "population" else info.upper
    if upper is None or isinstance(upper, str):
        return -math.inf, math.inf
    return info.lower - float(upper), float(upper) - info.lower


def point_key(values: Iterable[Any]) -> tuple:
    """A hashable key of a parameter point (floats rounded so 0.1 + 0.2 matches 0.3)."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or v is None:
            out.append(v)
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out.append(round(float(v), 12))
        else:
            out.append(str(v))
    return tuple(out)


@dataclass(frozen=True)
class Option:
    """One compared parameter point (a choice, or a point of a chart)."""

    point: dict[str, Any]  # every swept parameter's value
    varying: tuple[str, ...]  # the parameters that tell the compared options apart

    @property
    def key(self) -> tuple:
        return point_key(self.point.values())

    def name(self, lang: str = "en", among: Mapping[str, Sequence[Any]] | None = None) -> str:
        """ "Hub", "relay probability = 0.4" or "Hub, p0 = 0.003" (the varying parameters only)."""
        from simulator.plotting.names import group_label

        parts = [group_label(p, self.point[p], lang, (among or {}).get(p)) for p in self.varying]
        return ", ".join(p for p in parts if p) or "–"


#: Fields the strategist does not choose (the audience's behaviour): options are compared at one
#: value of these, never across them.
UNCONTROLLABLE = ("behaviour.", "fatigue.", "population.", "graph.", "churn.", "time.")


def controllable(path: str) -> bool:
    """True for fields a strategist chooses (matrix, relays, campaign); False for behaviour."""
    return not any(str(path).startswith(prefix) for prefix in UNCONTROLLABLE)


class Comparisons:
    """Every comparison among a set of options of one sweep, decided by the module's rule.

    Build with :meth:`for_decision` (the options a strategist chooses between, at one value of
    the behaviour parameters) or :meth:`for_points` (every point a chart draws).
    """

    def __init__(self, data: Any, options: list[Option], baseline: Option | None = None) -> None:
        self.data = data
        self.options = options
        self.baseline = baseline if baseline is not None else (options[0] if options else None)
        self.params = list(data.params)
        runs = data.runs
        keys = [point_key(row) for row in runs[self.params].itertuples(index=False, name=None)]
        wanted = {o.key for o in options}
        mask = np.array([k in wanted for k in keys], dtype=bool)
        self._runs = runs[mask].assign(_key=[k for k, m in zip(keys, mask) if m])
        self.paired = _is_paired(self._runs)
        pop = pd.to_numeric(self._runs.get("population", pd.Series(dtype=float)), errors="coerce").dropna()
        self.population = float(pop.median()) if len(pop) else math.nan
        self._values: dict[str, pd.DataFrame] = {}

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def for_decision(cls, data: Any, sel: Any) -> Comparisons:
        """The options to choose between: the points of the selection with every behaviour
        parameter held at one value (``x`` at ``sel.at``), told apart by the others."""
        from simulator.plotting.data import filter_where

        pts = filter_where(data.points, sel.where)
        for p in data.params:
            if p in pts.columns and not controllable(p) and pts[p].nunique() > 1:
                value = sel.at if p == sel.x and sel.at is not None else pts[p].iloc[0]
                pts = filter_where(pts, {p: value})
        return cls._from_points(data, pts)

    @classmethod
    def for_points(cls, data: Any, sel: Any) -> Comparisons:
        """Every point of the selection (all ``x`` and ``by`` values; other parameters fixed)."""
        from simulator.plotting.data import filter_where

        return cls._from_points(data, filter_where(data.points, sel.where))

    @classmethod
    def _from_points(cls, data: Any, pts: pd.DataFrame) -> Comparisons:
        from simulator.plotting.data import group_values

        params = list(data.params)
        varying = tuple(p for p in params if p in pts.columns and pts[p].nunique() > 1)
        rows = pts[params].to_dict("records") if params else [{}]
        for p in reversed(varying):  # order: by each varying parameter's display order (stable sorts)
            rank = {point_key([v]): i for i, v in enumerate(group_values(pts, p))}
            rows.sort(key=_rank_key(p, rank))
        options = [Option(r, varying) for r in rows]
        return cls(data, options, _baseline_option(options, data.baseline, varying))

    # -- values and levels ------------------------------------------------------------------

    def values(self, metric: str) -> pd.DataFrame:
        """Per-run values of ``metric``: one row per option (key), one column per replicate
        (paired) or per run (unpaired); NaN where a run is missing or failed."""
        if metric in self._values:
            return self._values[metric]
        runs = self._runs
        if metric == "reach_per_exit":
            col = runs["reach"].astype(float) / np.maximum(runs["exits"].astype(float), 1.0)
        elif metric in runs.columns:
            col = pd.to_numeric(runs[metric], errors="coerce")
        else:
            raise KeyError(f"the sweep's runs have no column {metric!r}")
        if self.paired:
            rep = runs["replicate"]
        else:
            rep = runs.groupby("_key", sort=False).cumcount()
        frame = pd.DataFrame({"key": runs["_key"], "rep": rep.to_numpy(), "v": col.to_numpy(float)})
        wide = frame.pivot_table(index="key", columns="rep", values="v", aggfunc="first", dropna=False)
        wide = wide.reindex([o.key for o in self.options])
        self._values[metric] = wide
        return wide

    def has(self, metric: str) -> bool:
        return metric in DERIVED or metric in self._runs.columns

    def level(self, option: Option, metric: str) -> tuple[float, float, float]:
        """Mean of ``metric`` at ``option`` and its 95% t-interval, clipped to the feasible range."""
        v = self.values(metric).loc[[option.key]].to_numpy(float).ravel()
        v = v[np.isfinite(v)]
        if len(v) == 0:
            return math.nan, math.nan, math.nan
        mean = float(v.mean())
        if len(v) < 2:
            return mean, math.nan, math.nan
        half = float(_t975(np.array([len(v) - 1]))[0]) * float(v.std(ddof=1)) / math.sqrt(len(v))
        lo, hi = clip_to_bounds(mean - half, mean + half, metric, self.population)
        return mean, float(lo), float(hi)

    # -- differences ------------------------------------------------------------------------

    def stat(self, a: Option, b: Option, metric: str) -> Stat:
        """``a - b`` of ``metric`` (unadjusted), clipped to the feasible range of a difference."""
        wide = self.values(metric)
        s = stat_from_values(
            wide.loc[[a.key]].to_numpy(float).ravel(), wide.loc[[b.key]].to_numpy(float).ravel(), self.paired
        )
        return self._clip(s, metric)

    def _clip(self, s: Stat, metric: str) -> Stat:
        lo_b, hi_b = _diff_bounds(metric, self.population)
        if np.isfinite(s.lo) and (s.lo < lo_b or s.hi > hi_b):
            return replace(s, lo=max(s.lo, lo_b), hi=min(s.hi, hi_b))
        return s

    def vs_baseline(self, metric: str) -> list[tuple[Option, Stat]]:
        """Each other option minus the baseline, Holm-adjusted over the options (the sweep's
        ``differences`` table when it holds this baseline, else computed from the runs)."""
        if self.baseline is None:
            return []
        others = [o for o in self.options if o.key != self.baseline.key]
        table = self._from_table(metric, others)
        stats = table if table is not None else [self.stat(o, self.baseline, metric) for o in others]
        adj = holm([s.p for s in stats])
        return [(o, self._clip(adjust(s, float(a)), metric)) for o, s, a in zip(others, stats, adj)]

    def _from_table(self, metric: str, others: list[Option]) -> list[Stat] | None:
        diffs = self.data.differences
        base = self.data.baseline
        if diffs is None or self.baseline is None or not set(self.params) <= set(base):
            return None
        if point_key(base.get(p) for p in self.params) != self.baseline.key:
            return None
        rows = diffs[diffs["metric"].astype(str) == metric]
        if rows.empty or not set(self.params) <= set(rows.columns):
            return None
        by_key = {point_key(r): i for i, r in enumerate(rows[self.params].itertuples(index=False, name=None))}
        out = []
        for o in others:
            if o.key not in by_key:
                return None
            r = rows.iloc[by_key[o.key]]
            s = Stat(
                float(r["diff_mean"]),
                float(r["diff_ci_low"]),
                float(r["diff_ci_high"]),
                float(r["p_value"]),
                int(r["n_pairs"]),
                True,
                se=float(r["diff_se"]) if "diff_se" in r else math.nan,
                df=float(r["n_pairs"]) - 1,
            )
            out.append(self._clip(s, metric))
        return out

    def pairwise(self, metric: str, among: Sequence[Option] | None = None) -> dict[tuple[int, int], Stat]:
        """Every pair ``(i, j)``, i < j (indices into ``among``, default all options): option i
        minus option j, Holm-adjusted over the pairs."""
        opts = list(among if among is not None else self.options)
        pairs = [(i, j) for i in range(len(opts)) for j in range(i + 1, len(opts))]
        stats = [self.stat(opts[i], opts[j], metric) for i, j in pairs]
        adj = holm([s.p for s in stats])
        return {pair: self._clip(adjust(s, float(a)), metric) for pair, s, a in zip(pairs, stats, adj)}

    def min_effect(self, metric: str) -> float:
        """The smallest difference that counts as an effect: one person per 10,000 of the population
        (1e-4 for shares)."""
        return _min_effect(metric, self.population)

    def measurable(self, metric: str) -> bool:
        """False when no two compared options differ significantly by at least one person per
        10,000 of the population (or 1e-4 for shares): "no measurable effect"."""
        if len(self.options) < 2 or not self.has(metric):
            return False
        floor = _min_effect(metric, self.population)
        return any(s.significant and abs(s.diff) >= floor for s in self.pairwise(metric).values())

    def dominated(self, benefit: str, cost: str) -> dict[int, int]:
        """``{loser: winner}``: options another one beats significantly on one axis while not
        being significantly worse on the other (Holm over all pairs, per metric)."""
        b = self.pairwise(benefit)
        c = self.pairwise(cost) if self.has(cost) and self.measurable(cost) else {}
        out: dict[int, int] = {}
        for (i, j), sb in b.items():
            sc = c.get((i, j))
            for win, lose, sign in ((i, j, 1.0), (j, i, -1.0)):
                more = sb.significant and sign * sb.diff > 0
                worse_cost = sc is not None and sc.significant and sign * sc.diff > 0
                less_cost = sc is not None and sc.significant and sign * sc.diff < 0
                fewer = sb.significant and sign * sb.diff < 0
                if (more and not worse_cost) or (less_cost and not fewer):
                    out.setdefault(lose, win)
        return out

    # -- words ------------------------------------------------------------------------------

    def method(self, lang: str, m: int = 1) -> str:
        """How the claims were decided, for a footer: "paired differences over 5 replicates
        (same seeds); Holm correction for 5 comparisons"."""
        from simulator.plotting.labels import text

        n = int(self.values("reach").notna().sum(axis=1).min()) if self.options and self.has("reach") else 0
        out = text("method_paired" if self.paired else "method_unpaired", lang, n=n)
        return out + (text("method_holm", lang, m=m) if m > 1 else text("method_single", lang))


def _rank_key(param: str, rank: dict[tuple, int]) -> Any:
    def key(row: dict[str, Any]) -> int:
        return rank.get(point_key([row[param]]), 0)

    return key


def _min_effect(metric: str, population: float) -> float:
    info = metric_info(metric)
    if info is not None and info.unit == "share":
        return MIN_EFFECT_SHARE
    return MIN_EFFECT_SHARE * population if np.isfinite(population) else 0.0


def _is_paired(runs: pd.DataFrame) -> bool:
    """Replicate k of every point ran with the same seed (common random numbers)."""
    if "replicate" not in runs.columns or runs.empty:
        return False
    if "seed" not in runs.columns:
        return False
    return bool(runs.groupby("replicate")["seed"].nunique(dropna=False).max() == 1)


def _baseline_option(options: list[Option], baseline: Mapping[str, Any], varying: Sequence[str]) -> Option | None:
    """The option matching the manifest's baseline on the varying parameters, else the first."""
    if not options:
        return None
    if baseline and all(p in baseline for p in varying):
        want = point_key(baseline[p] for p in varying)
        for o in options:
            if point_key(o.point[p] for p in varying) == want:
                return o
    return options[0]


@dataclass
class Verdict:
    """Who is on the reach-cost frontier, decided by :meth:`Comparisons.verdict`."""

    frontier: list[Option]  # not dominated, in increasing mean cost
    dominated_by: dict[tuple, Option]  # option key -> an option that dominates it
    segments: list[tuple[Option, Option]]  # neighbours on the frontier that differ significantly
    cost_measurable: bool

    def status(self, option: Option) -> str:
        return "dominated" if option.key in self.dominated_by else "frontier"


def verdict(comps: Comparisons, benefit: str = "reach", cost: str = "exits") -> Verdict:
    """The frontier of ``comps``' options: an option is dominated when another has significantly
    more ``benefit`` without significantly more ``cost`` (or significantly less cost without
    significantly less benefit); frontier neighbours are joined only when they differ
    significantly on at least one of the two (a trade-off), never when they are similar."""
    opts = comps.options
    lost = comps.dominated(benefit, cost)
    dominated_by = {opts[i].key: opts[w] for i, w in lost.items()}
    front = [o for i, o in enumerate(opts) if i not in lost]
    cost_ok = comps.has(cost) and comps.measurable(cost)
    front.sort(key=lambda o: comps.level(o, cost)[0] if cost_ok else -comps.level(o, benefit)[0])
    # The same families (every pair of options, Holm) as the dominance decision.
    pb = comps.pairwise(benefit)
    pc = comps.pairwise(cost) if cost_ok else {}
    index = {o.key: i for i, o in enumerate(opts)}
    segments = []
    for a, b in zip(front, front[1:]):
        i, j = sorted((index[a.key], index[b.key]))
        sb, sc = pb.get((i, j)), pc.get((i, j))
        if (sb is not None and sb.significant) or (sc is not None and sc.significant):
            segments.append((a, b))
    return Verdict(front, dominated_by, segments, cost_ok)
