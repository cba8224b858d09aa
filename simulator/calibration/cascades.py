"""Simulated organic cascades and their statistics (depth shares, spread, depth, delays, virality)."""

from __future__ import annotations

import copy
import gc
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.calibration.targets import QUANT_PROBS
from simulator.engine import kernel as K
from simulator.engine.model import PropagationModel
from simulator.results.reposts import decisions_by_depth, executed_reposts
from simulator.scenario.loading import LoadedScenario, load_document
from simulator.world.build import World, build_world

CAL_HORIZON_H = 1000.0  # long enough for cascades to finish (latency tail beyond it is censored)
MIN_REPOSTERS = 10  # cascades smaller than this are left out of per-cascade shares (too noisy)
MAX_PAIRS_PER_RUN = 5_000_000  # items x followers per model run: bounds the engine tables (peak ~0.6 GB)
MAX_ITEMS_PER_RUN = 200
DEPTH1_TOL = 0.01  # stop the p0 search when the depth-1 share is this close (absolute)
# A cascade is *viral* when the people it reached through follower reposts alone (beyond the seeding
# account's own audience) exceed this share of the population (issue 10: "> 10% of the population").
VIRAL_REACH_SHARE = 0.10

# ==============================================================================================
# Simulated organic cascades
# ==============================================================================================


@dataclass
class CascadeStats:
    """Statistics of a batch of simulated organic cascades (one item of the seed account each).

    Shares are fractions, delays hours; per-cascade statistics use cascades with at least
    ``MIN_REPOSTERS`` reposters (``used``), as the datasets hold cascades of 100+ reposts.
    """

    cascades: int
    used: int  # cascades with at least MIN_REPOSTERS reposters (per-cascade shares)
    depth1_share: float  # per-cascade median share at depth 1
    depth1_share_se: float  # bootstrap standard error of that median
    depth1_share_iqr: tuple[float, float]  # per-cascade quartiles (p25, p75) of that share
    pooled: dict[str, float]  # pooled shares at depth 1, 2, 3+ (all cascades)
    pooled_nonviral: dict[str, float]  # the same without viral cascades (the datasets hold none)
    latency: dict[str, float]  # depth-1 delay quantiles (hours) and shares < 1 h / < 24 h
    latency_all_median_h: float  # delay median over every depth, non-viral cascades
    mean_reposters: float
    viral: float  # share of cascades whose follower-driven reach exceeds VIRAL_REACH_SHARE of the population
    censored: float  # share of reposts decided but due after the calibration horizon
    max_depth_median: float = math.nan  # median deepest generation (used cascades)
    reposters_quartiles: tuple[float, float, float] = (math.nan, math.nan, math.nan)  # p25, median, p75
    direct_per_follower: float = math.nan  # median depth-1 reposts / followers of the seed account
    iqr_se: float = math.nan  # bootstrap standard error of the IQR width

    @property
    def iqr_width(self) -> float:
        return self.depth1_share_iqr[1] - self.depth1_share_iqr[0]

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def quantile_censored(x: np.ndarray, n_censored: int, p: float) -> float:
    """Quantile of delays when ``n_censored`` more delays are known to exceed every value."""
    total = len(x) + n_censored
    if total == 0:
        return math.nan
    k = p * total
    if k >= len(x):
        return math.inf
    xs = np.sort(x)
    return float(np.quantile(xs, k / max(len(x), 1))) if len(x) else math.nan


def graph_moments(world: World) -> tuple[float, float]:
    """(z, <jk>) of the follower graph: from the CSR of an explicit world; for an implicit world from
    the generator, whose followee counts are independent of follower counts (``<jk> = z^2``)."""
    g = world.graph
    if g is None:
        z = float(world.graph_model.z)
        return z, z * z
    k = g.degrees().astype(float)
    j = np.bincount(g.indices, minlength=g.n_rows).astype(float)
    return float(k.mean()), float((j * k).mean())


class OrganicCascades:
    """Organic cascades of a scenario's seed account, re-run for different behaviour values.

    The world (population, graph, audiences) is built once; every :meth:`run` uses the same
    seeds (common random numbers), so differences between candidates are not noise.
    """

    def __init__(
        self, loaded: LoadedScenario, account: str | None = None, cascades: int = 200, seed: int | None = None
    ):
        sc = loaded.scenario
        doc = sc.model_dump(mode="json")
        ids = [a.id for a in loaded.matrix.accounts]
        if account is None:
            if not loaded.matrix.items:
                raise ValueError("the scenario has no campaign post to take the seed account from; use --account")
            account = loaded.matrix.accounts[loaded.matrix.items[0].account].id
        elif account not in ids:
            raise ValueError(
                f"unknown account {account!r}; accounts: {', '.join(ids[:20])}" + (" ..." if len(ids) > 20 else "")
            )
        if cascades < 10:
            raise ValueError("at least 10 cascades are needed for a fit")
        self.account = account
        self.cascades = int(cascades)
        self.seed = int(sc.seed if seed is None else seed)
        doc.update(topology=None, relays=[], seed=self.seed)
        doc["fatigue"].update(enabled=False, churn_per_day=0.0)
        doc["time"] = {"tick": sc.time.tick, "horizon": max(CAL_HORIZON_H, sc.time.horizon)}
        self.base_doc = doc
        self.scenario_horizon = sc.time.horizon
        self.runs = [self.cascades]
        first = self._loaded({}, 0)
        self.population = first.scenario.population.size
        self.world: World = build_world(first.scenario, first.matrix)
        idx = first.matrix.by_id[account]
        self.followers = int(self.world.audience.degrees()[idx])
        if self.followers == 0:
            raise ValueError(f"account {account!r} has no followers in this scenario")
        per_run = max(1, min(MAX_ITEMS_PER_RUN, MAX_PAIRS_PER_RUN // self.followers))
        self.runs = [min(per_run, self.cascades - i) for i in range(0, self.cascades, per_run)]
        self.z, self.jk = graph_moments(self.world)

    def _loaded(self, behaviour: dict[str, Any], run: int) -> LoadedScenario:
        doc = copy.deepcopy(self.base_doc)
        doc["behaviour"].update(behaviour)
        doc["seed"] = self.seed + 7919 * run  # fixed per batch: common random numbers across candidates
        doc["campaign"] = [{"account": self.account, "at": 0.0}] * self.runs[run]
        return load_document(doc, "<calibration>", check_memory=False)

    def run(self, behaviour: dict[str, Any]) -> CascadeStats:
        """Simulate the cascades with ``behaviour`` overrides (e.g. ``{"p0": 0.01}``)."""
        decided, logs, reach, offset = [], [], [], 0
        for r in range(len(self.runs)):
            model = PropagationModel(self._loaded(behaviour, r), world=self.world, record_reposts=True).run()
            table = model.repost_table()
            decided.append(decisions_by_depth(table, len(model.items)))
            log = executed_reposts(table, [it.at for it in model.matrix.items])
            logs.append((log["item"].to_numpy() + offset, log["depth"].to_numpy(), log["delay_h"].to_numpy()))
            # people reached beyond the seed account's own audience (its followers all receive the post)
            reach.append(K.item_counts(model._tables, len(model.items))[0] - self.followers)
            offset += self.runs[r]
            del model, table
            gc.collect()  # a finished model sits in reference cycles (Mesa agents) with ~0.5 GB of tables
        items, depth, delay = (np.concatenate(x) for x in zip(*logs))
        return cascade_stats(
            np.vstack(decided), items, depth, delay, self.population, self.followers, np.concatenate(reach)
        )


def _bootstrap(share: np.ndarray) -> tuple[float, float]:
    """Bootstrap standard errors of the median and of the interquartile width of ``share``."""
    rng = np.random.default_rng(0)
    boots = rng.choice(share, (200, len(share)))
    med = np.median(boots, axis=1)
    width = np.quantile(boots, 0.75, axis=1) - np.quantile(boots, 0.25, axis=1)
    return float(np.std(med, ddof=1)), float(np.std(width, ddof=1))


def cascade_stats(
    dec: np.ndarray,
    items: np.ndarray,
    depth: np.ndarray,
    delay: np.ndarray,
    population: int,
    followers: int = 0,
    follower_reach: np.ndarray | None = None,
) -> CascadeStats:
    """Statistics of cascades from decided reposts per (cascade, depth), the executed reposts'
    (cascade, depth, delay), the seed account's ``followers`` and each cascade's reach beyond them
    (people). Reposts decided but not executed (due after the horizon) count as delays longer than
    any executed one."""
    tot = dec.sum(axis=1)
    viral = (
        follower_reach > VIRAL_REACH_SHARE * population
        if follower_reach is not None
        else np.zeros(len(tot), dtype=bool)
    )
    used = tot >= MIN_REPOSTERS
    share = dec[used, 1] / tot[used]
    if len(share):
        med = float(np.median(share))
        se, iqr_se = _bootstrap(share)
        iqr = (float(np.quantile(share, 0.25)), float(np.quantile(share, 0.75)))
        cols = np.arange(dec.shape[1])
        max_depth = np.max(np.where(dec[used] > 0, cols, 0), axis=1)
        md = float(np.median(max_depth))
    else:
        med, se, iqr_se, iqr, md = math.nan, math.nan, math.nan, (math.nan, math.nan), math.nan

    def pooled_of(rows: np.ndarray) -> dict[str, float]:
        d = dec[rows]
        n = max(int(d.sum()), 1)
        return {"1": float(d[:, 1].sum() / n), "2": float(d[:, 2].sum() / n), "3+": float(d[:, 3:].sum() / n)}

    d1 = delay[depth == 1]
    c1 = int(dec[:, 1].sum() - len(d1))
    n1 = len(d1) + c1
    lat = {k: quantile_censored(d1, c1, p) for k, p in QUANT_PROBS.items()}
    lat["share_lt_1h"] = float((d1 < 1.0).sum() / n1) if n1 else math.nan
    lat["share_lt_24h"] = float((d1 < 24.0).sum() / n1) if n1 else math.nan
    calm = ~viral[items] if len(items) else np.zeros(0, dtype=bool)
    c_calm = int(dec[~viral].sum() - calm.sum())
    q = np.quantile(tot, [0.25, 0.5, 0.75]) if len(tot) else np.full(3, math.nan)
    return CascadeStats(
        cascades=len(tot),
        used=int(used.sum()),
        depth1_share=med,
        depth1_share_se=se,
        depth1_share_iqr=iqr,
        pooled=pooled_of(np.ones(len(tot), dtype=bool)),
        pooled_nonviral=pooled_of(~viral),
        latency=lat,
        latency_all_median_h=quantile_censored(delay[calm], c_calm, 0.5),
        mean_reposters=float(tot.mean()),
        viral=float(viral.mean()),
        censored=float((dec.sum() - len(delay)) / max(1, dec.sum())),
        max_depth_median=md,
        reposters_quartiles=(float(q[0]), float(q[1]), float(q[2])),
        direct_per_follower=float(np.median(dec[:, 1]) / followers) if followers else math.nan,
        iqr_se=iqr_se,
    )
