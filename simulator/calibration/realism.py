"""Realism check: do the bundled scenarios, run at their defaults, produce cascades like real ones?

A *cascade* is one campaign item's follower reposts: every follower repost of the item, whichever
matrix account's delivery started its chain (an item relayed by accounts is still one item's cascade),
recorded by ``PropagationModel(record_reposts=True)``. Its depths are the engine's: a follower who reposts
a matrix account's delivery (the original post or an account's relay of it) is at depth 1, a follower
who reposts them at depth 2, and so on: the follower side of the cascade, which is what the behaviour
profile governs. Per cascade (:func:`item_cascades`):

* ``reposts``: follower repost decisions of the item (executed or due after the horizon);
* ``depth1_share``: the share of them at depth 1 (defined when ``reposts >= MIN_REPOSTERS``), the
  datasets' "share of participants that reposted the source";
* ``max_depth``: the deepest follower generation;
* ``tree_depth1_share`` / ``tree_max_depth``: the same in a repost tree rooted at the original post
  (:func:`tree_depths`), where an account relay is itself a repost (depth 1 when it relays the original
  post) and a follower who reposts the relayed copy sits one level below it; this is how a dataset would
  record a brand matrix's cascade, and it is lower than ``depth1_share`` by design whenever relaying
  accounts have audiences of their own (shown for information; the targets use the follower view);
* ``direct_per_follower``: depth-1 reposts of the *posting* account's own delivery / its followers
  (the brand's direct reposts per follower; relays by other accounts are not counted);
* ``follower_reach_share``: people who received the item only through follower reposts (the item's
  reach minus the union of the audiences of the accounts that published it) / population;
  ``viral`` when above :data:`VIRAL_REACH_SHARE` (the post spread by itself to > 10% of its world:
  a supercritical cascade; the accounts' own audiences do not count, since the bundled worlds are
  sized so that the matrix alone already holds ~5-10% of the population);
* the delays of the posting account's direct reposts (post -> repost, hours) for the latency
  quantiles, with reposts due after the horizon counted as longer than every observed delay.

Promotional items use ``behaviour.p0_promotional`` (a separate, sourced propensity), so they are kept in
the table but left out of the comparison with the datasets, which hold ordinary posts. *Vertical* items
(a topic or a regional scope that fewer than :data:`VERTICAL_SHARE` of the population share) are kept
apart too and reported on their own
(``vertical_depth1_share``): off their topic or region a delivery falls to the off-topic probability,
and the follower graph has regional locality but no interest homophily, so the followers of a
vertical post's reposters are mostly off-topic and its cascade is shallower than Weibo's typical one
(measured in the README's calibration section).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.calibration.cascades import MIN_REPOSTERS, VIRAL_REACH_SHARE, quantile_censored
from simulator.calibration.targets import QUANT_PROBS, builtin_target
from simulator.engine import kernel as K
from simulator.engine.model import PropagationModel
from simulator.results.reposts import decisions_by_depth
from simulator.scenario.loading import LoadedScenario, load
from simulator.scenario.schema import GENERAL_TOPIC, NATIONAL_SCOPE

MAX_TREE_DEPTH = 64
VERTICAL_SHARE = 0.5  # an item whose topic and scope fit fewer people than this is a vertical post
# Targets (docs/model.md#empirical-targets, simulator/data/empirical_profiles.json [weibo]) and the
# acceptance bands of issue 10.
WEIBO_BANDS: dict[str, tuple[float, float, float]] = {  # statistic -> (data value, low, high)
    "depth1_share_median": (0.638, 0.50, 0.78),
    "max_depth_median": (5.0, 3.0, 7.0),
    "direct_per_follower_median": (0.0014, 0.00018, 0.018),
    "viral_share": (0.0, 0.0, 0.05),
}


def item_reach(model: PropagationModel) -> np.ndarray:
    """People who received each item (int64 per item). The engine keeps this count in its item table
    but exposes only the total (``delivered_pairs``); read it the same way."""
    return np.asarray(K.item_counts(model._tables, len(model.items))[0], dtype=np.int64)


def _direct_audience(model: PropagationModel) -> np.ndarray:
    """Per item: people in the union of the audiences of the accounts that published it."""
    aud = model.world.audience
    published: list[set[int]] = [{it.account} for it in model.matrix.items]
    for r in model.relay_log:
        published[int(r["item"])].add(model.matrix.by_id[r["target"]])
    out = np.zeros(len(published), dtype=np.int64)
    for i, accs in enumerate(published):
        rows = [aud.indices[aud.indptr[a] : aud.indptr[a + 1]] for a in sorted(accs)]
        out[i] = len(np.unique(np.concatenate(rows))) if rows else 0
    return out


def tree_depths(model: PropagationModel, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per cascade and depth from the original post, the reposts of each item as a repost tree rooted at
    the post would count them (the datasets' view): ``(n_items, MAX_DEPTH + 1)`` counts of follower
    repost decisions plus account relays. An account relay is a repost at its relay depth (1 for a relay
    of the original post) and a follower repost of an account's copy sits below that account: tree
    depth = the engine's depth (generations from the nearest account delivery) + the account's relay
    depth. Also returns the tree depth of every row of ``table``."""
    n_items = len(model.matrix.items)
    relay_depth: dict[tuple[int, str], int] = {}
    for it in model.matrix.items:
        relay_depth[(it.index, model.matrix.accounts[it.account].id)] = 0
    out = np.zeros((n_items, MAX_TREE_DEPTH + 1), dtype=np.int64)
    for r in model.relay_log:
        d = int(r["relay_depth"])
        relay_depth[(int(r["item"]), str(r["target"]))] = d
        out[int(r["item"]), min(d, MAX_TREE_DEPTH)] += 1
    items = table["item"].to_numpy(dtype=np.int64)
    offset = np.array([relay_depth.get((i, o), 0) for i, o in zip(items, table["origin"])], dtype=np.int64)
    depth = np.minimum(table["depth"].to_numpy(dtype=np.int64) + offset, MAX_TREE_DEPTH)
    np.add.at(out, (items, depth), 1)
    return out, depth


def audience_share(model: PropagationModel, topic: str, scope: str) -> float:
    """Share of the population for whom an item of ``topic`` and ``scope`` is on-topic and in scope."""
    pop = model.world.population
    sizes = np.diff(pop.cell_starts).reshape(pop.n_regions, pop.n_interests).astype(np.float64)
    if topic != GENERAL_TOPIC:
        sizes = sizes[:, list(pop.interest_names).index(topic)][:, None]
    if scope != NATIONAL_SCOPE:
        sizes = sizes[list(pop.region_names).index(scope)][None, :]
    return float(sizes.sum() / pop.n)


def item_cascades(model: PropagationModel) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """One row per campaign item of a finished run (see the module docstring), and per item the
    direct-repost delays of its posting account (hours; ``inf`` = due after the horizon).

    The model must have been built with ``record_reposts=True``.
    """
    table = model.repost_table()
    items = model.matrix.items
    dec = decisions_by_depth(table, len(items))
    tree, _ = tree_depths(model, table)
    tot, tree_tot = dec.sum(axis=1), tree.sum(axis=1)
    cols = np.arange(dec.shape[1])
    max_depth = np.max(np.where(dec > 0, cols, 0), axis=1)
    tree_max = np.max(np.where(tree > 0, np.arange(tree.shape[1]), 0), axis=1)
    followers = model.world.audience.degrees()
    n = model.world.n
    follower_reach = np.maximum(item_reach(model) - _direct_audience(model), 0)
    rows, delays = [], []
    horizon = min(model.hours, model.horizon)
    for it in items:
        acc = model.matrix.accounts[it.account]
        mine = table[(table["item"] == it.index) & (table["depth"] == 1) & (table["origin"] == acc.id)]
        due = mine["due_h"].to_numpy(dtype=np.float64)
        done = due < horizon
        delays.append(np.concatenate([due[done] - it.at, np.full(int((~done).sum()), np.inf)]))
        f = int(followers[it.account])
        i = it.index
        measured = tot[i] >= MIN_REPOSTERS
        rows.append(
            {
                "item": i,
                "account": acc.id,
                "followers": f,
                "promotional": bool(it.promotional),
                "vertical": audience_share(model, it.topic, it.scope) < VERTICAL_SHARE,
                "reposts": int(tot[i]),
                "relays": int(tree_tot[i] - tot[i]),
                "depth1_share": float(dec[i, 1] / tot[i]) if measured else math.nan,
                "max_depth": int(max_depth[i]),
                "tree_depth1_share": float(tree[i, 1] / tree_tot[i]) if measured else math.nan,
                "tree_max_depth": int(tree_max[i]),
                "direct_per_follower": len(mine) / f if f else math.nan,
                "follower_reach_share": float(follower_reach[i] / n),
            }
        )
    df = pd.DataFrame(rows)
    df["viral"] = df["follower_reach_share"] > VIRAL_REACH_SHARE
    return df, delays


@dataclass
class ScenarioRealism:
    """Cascades of one scenario over several seeds."""

    scenario: str
    population: int
    seeds: list[int]
    cascades: pd.DataFrame  # item_cascades rows + "seed"
    delays_by_seed: dict[int, np.ndarray]  # direct-repost delays of ordinary items, hours (inf = after the horizon)
    seconds: float

    @property
    def delays(self) -> np.ndarray:
        """Direct-repost delays of ordinary items over every seed (hours; inf = due after the horizon)."""
        return np.concatenate(list(self.delays_by_seed.values())) if self.delays_by_seed else np.zeros(0)

    def delays_of_seed(self, seed: int) -> np.ndarray:
        return self.delays_by_seed.get(int(seed), np.zeros(0))

    def ordinary(self) -> pd.DataFrame:
        """Cascades of ordinary posts: neither promotional nor vertical (see the module docstring)."""
        c = self.cascades
        return c[~c["promotional"] & ~c["vertical"]]

    def vertical(self) -> pd.DataFrame:
        """Cascades of vertical posts (a topic or a regional scope), not promotional."""
        c = self.cascades
        return c[~c["promotional"] & c["vertical"]]

    def per_seed(self) -> pd.DataFrame:
        """Per seed: the statistics of the item-1 targets over that seed's ordinary cascades."""
        g = self.ordinary().groupby("seed")
        return pd.DataFrame(
            {
                "depth1_share_median": g["depth1_share"].median(),
                "max_depth_median": g["max_depth"].median(),
                "tree_depth1_share_median": g["tree_depth1_share"].median(),
                "direct_per_follower_median": g["direct_per_follower"].median(),
                "viral_share": g["viral"].mean(),
                "reposts_median": g["reposts"].median(),
            }
        )

    def latency(self) -> dict[str, float]:
        """Quantiles of the direct-repost delay (hours) pooled over seeds, and shares < 1 h / < 24 h."""
        d = self.delays
        obs = d[np.isfinite(d)]
        out = {k: quantile_censored(obs, len(d) - len(obs), p) for k, p in QUANT_PROBS.items()}
        out["share_lt_1h"] = float((d < 1.0).mean()) if len(d) else math.nan
        out["share_lt_24h"] = float((d < 24.0).mean()) if len(d) else math.nan
        return out


def scenario_realism(
    scenario: str | Path,
    seeds: Sequence[int],
    overrides: list[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScenarioRealism:
    """Run ``scenario`` (a path or a bundled name) once per seed with ``record_reposts=True`` and
    tabulate its cascades."""
    import time

    frames: list[pd.DataFrame] = []
    delays: dict[int, np.ndarray] = {}
    t0 = time.perf_counter()
    loaded: LoadedScenario | None = None
    for seed in seeds:
        loaded = load(_path(scenario), overrides=overrides, seed=int(seed))
        model = PropagationModel(loaded, record_reposts=True).run()
        df, dl = item_cascades(model)
        del model
        gc.collect()  # a finished model sits in reference cycles (Mesa agents) holding its tables
        df.insert(0, "seed", int(seed))
        frames.append(df)
        mine = [d for d, promo, vert in zip(dl, df["promotional"], df["vertical"]) if not (promo or vert)]
        delays[int(seed)] = np.concatenate(mine) if mine else np.zeros(0)
        if progress:
            progress(f"{Path(str(scenario)).stem} seed {seed}: {len(df)} cascades, {df['reposts'].sum():,} reposts")
    assert loaded is not None, "at least one seed"
    return ScenarioRealism(
        loaded.scenario.name,
        loaded.scenario.population.size,
        [int(s) for s in seeds],
        pd.concat(frames, ignore_index=True),
        delays,
        time.perf_counter() - t0,
    )


def _path(scenario: str | Path) -> Path:
    from simulator.scenario.paths import resolve_scenario_path

    return resolve_scenario_path(str(scenario))


def bundled_scenarios(exclude: Iterable[str] = ("compare_topologies", "platform_brand")) -> list[Path]:
    """The bundled scenario files that describe one matrix of ordinary size (the sweep file and the
    platform-scale case, minutes per run, are left out)."""
    from simulator.scenario.paths import bundled_dir

    skip = set(exclude)
    return sorted(p for p in bundled_dir().glob("*.yaml") if p.stem not in skip)


def summary_rows(results: Sequence[ScenarioRealism]) -> pd.DataFrame:
    """One row per scenario: mean and standard deviation over seeds of each item-1 statistic, the
    pooled latency quantiles and the pooled per-cascade depth-1 share quartiles."""
    rows: list[dict[str, Any]] = []
    for r in results:
        ps = r.per_seed()
        row: dict[str, Any] = {"scenario": r.scenario, "population": r.population, "seeds": len(r.seeds)}
        for col in ps.columns:
            row[f"{col}_mean"] = float(ps[col].mean())
            row[f"{col}_sd"] = float(ps[col].std(ddof=1)) if len(ps) > 1 else math.nan
        shares = r.ordinary()["depth1_share"].dropna()
        row["depth1_share_p25"] = float(shares.quantile(0.25)) if len(shares) else math.nan
        row["depth1_share_p75"] = float(shares.quantile(0.75)) if len(shares) else math.nan
        vert = r.vertical()["depth1_share"].dropna()
        row["vertical_depth1_share"] = float(vert.median()) if len(vert) else math.nan
        row.update({f"latency_{k}": v for k, v in r.latency().items()})
        row["seconds"] = r.seconds
        rows.append(row)
    return pd.DataFrame(rows)


def pooled(results: Sequence[ScenarioRealism]) -> dict[str, float]:
    """Statistics over every ordinary cascade of every scenario and seed (the spread of the depth-1
    share needs more cascades than one scenario's few posts give)."""
    c = pd.concat([r.ordinary() for r in results], ignore_index=True)
    s = c["depth1_share"].dropna()
    d = np.concatenate([r.delays for r in results]) if results else np.zeros(0)
    obs = d[np.isfinite(d)]
    return {
        "cascades": float(len(c)),
        "measured": float(len(s)),
        "depth1_share_p25": float(s.quantile(0.25)),
        "depth1_share_median": float(s.median()),
        "depth1_share_p75": float(s.quantile(0.75)),
        "max_depth_median": float(c["max_depth"].median()),
        "direct_per_follower_median": float(c["direct_per_follower"].median()),
        "viral_share": float(c["viral"].mean()),
        "latency_median": quantile_censored(obs, len(d) - len(obs), 0.5),
    }


def within_bands(
    results: Sequence[ScenarioRealism], bands: dict[str, tuple[float, float, float]] | None = None
) -> bool:
    """True when every scenario's mean over seeds of each item-1 statistic is inside its band
    (:data:`WEIBO_BANDS`), and the viral share of all their ordinary posts together is below the band's
    upper end: a rare event's rate cannot be judged from one scenario's few cascades (one viral post of
    five is 20%), so it is judged pooled, as ``tests/test_realism.py`` does."""
    bands = WEIBO_BANDS if bands is None else bands
    for r in results:
        ps = r.per_seed()
        for stat, (_, lo, hi) in bands.items():
            m = float(ps[stat].mean())
            if stat != "viral_share" and not lo <= m <= hi:
                return False
    if "viral_share" in bands and results:
        viral = pd.concat([r.ordinary()["viral"] for r in results])
        if len(viral) and not float(viral.mean()) < bands["viral_share"][2]:
            return False
    return True


def _pm(row: dict[str, Any] | pd.Series, stat: str, scale: float = 1.0, fmt: str = ".2f") -> str:
    m, s = row[f"{stat}_mean"] * scale, row[f"{stat}_sd"] * scale
    return f"{m:{fmt}} ± {s:{fmt}}" if math.isfinite(s) else f"{m:{fmt}}"


def _or_dash(x: float) -> str:
    return f"{x:.2f}" if math.isfinite(x) else "-"


def format_realism(results: Sequence[ScenarioRealism]) -> str:
    """The realism table: per scenario, mean ± sd over seeds (per-cascade statistics of ordinary posts)."""
    rows = summary_rows(results)
    head = (
        f"{'scenario':<16} {'seeds':>5} {'depth-1 share':>14} {'IQR (pooled)':>13} {'max depth':>11} "
        f"{'direct/follower %':>18} {'viral %':>8} {'delay p50 h':>11} {'p90 h':>7} {'tree d1':>7} "
        f"{'vertical d1':>11} {'s':>5}"
    )
    lines = [head, "-" * len(head)]
    for _, r in rows.iterrows():
        lines.append(
            f"{r['scenario']:<16} {r['seeds']:>5} {_pm(r, 'depth1_share_median'):>14} "
            f"{r['depth1_share_p25']:>6.2f}-{r['depth1_share_p75']:<6.2f} {_pm(r, 'max_depth_median', 1, '.1f'):>11} "
            f"{_pm(r, 'direct_per_follower_median', 100, '.3f'):>18} {100 * r['viral_share_mean']:>8.1f} "
            f"{r['latency_median']:>11.2f} {r['latency_p90']:>7.1f} {r['tree_depth1_share_median_mean']:>7.2f} "
            f"{_or_dash(r['vertical_depth1_share']):>11} {r['seconds']:>5.0f}"
        )
    p = pooled(results)
    lines.append("-" * len(head))
    lines.append(
        f"{'all (pooled)':<16} {'':>5} {p['depth1_share_median']:>14.2f} "
        f"{p['depth1_share_p25']:>6.2f}-{p['depth1_share_p75']:<6.2f} {p['max_depth_median']:>11.1f} "
        f"{100 * p['direct_per_follower_median']:>18.3f} {100 * p['viral_share']:>8.1f} {p['latency_median']:>11.2f}"
    )
    w, t = WEIBO_BANDS, builtin_target("weibo")
    per = t.reference["per_cascade_depth1_share"]
    lines.append(
        f"{'Weibo (CED)':<16} {'':>5} {t.depth1_share:>14.2f} {per['p25']:>6.2f}-{per['p75']:<6.2f} "
        f"{t.reference['max_depth_median']:>11.1f} {100 * w['direct_per_follower_median'][0]:>18.3f} {'-':>8} "
        f"{t.latency_quantile(0.5):>11.2f} {t.latency_quantile(0.9):>7.1f}"
    )
    lines.append(f"{'accepted':<16} {'':>5} {'0.50-0.78':>14} {'':>13} {'3-7':>11} {'0.018-1.8':>18} {'< 5':>8}")
    return "\n".join(lines)
