"""Simulated organic cascades and their statistics (depth shares, repost delays)."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.calibration.targets import QUANT_PROBS
from simulator.engine.model import PropagationModel
from simulator.results.reposts import decisions_by_depth, executed_reposts
from simulator.scenario.loading import LoadedScenario, load_document
from simulator.world.build import World, build_world

CAL_HORIZON_H = 1000.0  # long enough for cascades to finish (latency tail beyond it is censored)
MIN_REPOSTERS = 10  # cascades smaller than this are left out of per-cascade shares (too noisy)
MAX_ITEMS_PER_RUN = 200  # items per model run (memory: items x population x 9 bytes)
DEPTH1_TOL = 0.01  # stop the p0 search when the depth-1 share is this close (absolute)
VIRAL_SHARE = 0.05  # a cascade reaching this share of the population counts as viral

# ==============================================================================================
# Simulated organic cascades
# ==============================================================================================


@dataclass
class CascadeStats:
    """Statistics of a batch of simulated organic cascades."""

    cascades: int
    used: int  # cascades with at least MIN_REPOSTERS reposters (per-cascade shares)
    depth1_share: float  # per-cascade median share at depth 1
    depth1_share_se: float  # bootstrap standard error of that median
    depth1_share_iqr: tuple[float, float]
    pooled: dict[str, float]  # pooled shares at depth 1, 2, 3+ (all cascades)
    pooled_nonviral: dict[str, float]  # the same without viral cascades (the datasets hold none)
    latency: dict[str, float]  # depth-1 delay quantiles (hours) and shares < 1 h / < 24 h
    latency_all_median_h: float  # delay median over every depth, non-viral cascades
    mean_reposters: float
    viral: float  # share of cascades reaching VIRAL_SHARE of the population
    censored: float  # share of reposts decided but due after the calibration horizon

    def as_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _quantile_censored(x: np.ndarray, n_censored: int, p: float) -> float:
    """Quantile of delays when ``n_censored`` more delays are known to exceed every value."""
    total = len(x) + n_censored
    if total == 0:
        return math.nan
    k = p * total
    if k >= len(x):
        return math.inf
    xs = np.sort(x)
    return float(np.quantile(xs, k / max(len(x), 1))) if len(x) else math.nan


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
        self.runs = [min(MAX_ITEMS_PER_RUN, self.cascades - i) for i in range(0, self.cascades, MAX_ITEMS_PER_RUN)]
        first = self._loaded({}, 0)
        self.population = first.scenario.population.size
        self.world: World = build_world(first.scenario, first.matrix)
        idx = first.matrix.by_id[account]
        self.followers = int(self.world.audience.degrees()[idx])
        g = self.world.graph
        k = g.degrees().astype(float)
        j = np.bincount(g.indices, minlength=g.n_rows).astype(float)
        self.z, self.jk = float(k.mean()), float((j * k).mean())
        if self.followers == 0:
            raise ValueError(f"account {account!r} has no followers in this scenario")

    def _loaded(self, behaviour: dict[str, Any], run: int) -> LoadedScenario:
        doc = copy.deepcopy(self.base_doc)
        doc["behaviour"].update(behaviour)
        doc["seed"] = self.seed + 7919 * run  # fixed per batch: common random numbers across candidates
        doc["campaign"] = [{"account": self.account, "at": 0.0}] * self.runs[run]
        return load_document(doc, "<calibration>", check_memory=False)

    def run(self, behaviour: dict[str, Any]) -> CascadeStats:
        """Simulate the cascades with ``behaviour`` overrides (e.g. ``{"p0": 0.01}``)."""
        decided, logs, offset = [], [], 0
        for r in range(len(self.runs)):
            model = PropagationModel(self._loaded(behaviour, r), world=self.world, record_reposts=True).run()
            table = model.repost_table()
            decided.append(decisions_by_depth(table, len(model.items)))
            log = executed_reposts(table, [it.at for it in model.matrix.items])
            logs.append((log["item"].to_numpy() + offset, log["depth"].to_numpy(), log["delay_h"].to_numpy()))
            offset += self.runs[r]
        items, depth, delay = (np.concatenate(x) for x in zip(*logs))
        return cascade_stats(np.vstack(decided), items, depth, delay, self.population)


def cascade_stats(
    dec: np.ndarray, items: np.ndarray, depth: np.ndarray, delay: np.ndarray, population: int
) -> CascadeStats:
    """Statistics of cascades from decided reposts per (cascade, depth) and the executed
    reposts' (cascade, depth, delay). Reposts decided but not executed (due after the horizon)
    count as delays longer than any executed one."""
    tot = dec.sum(axis=1)
    viral = tot >= VIRAL_SHARE * population
    used = tot >= MIN_REPOSTERS
    share = dec[used, 1] / tot[used]
    if len(share):
        med = float(np.median(share))
        rng = np.random.default_rng(0)
        boots = [np.median(rng.choice(share, len(share))) for _ in range(200)]
        se = float(np.std(boots, ddof=1))
        iqr = (float(np.quantile(share, 0.25)), float(np.quantile(share, 0.75)))
    else:
        med, se, iqr = math.nan, math.nan, (math.nan, math.nan)

    def pooled_of(rows: np.ndarray) -> dict[str, float]:
        d = dec[rows]
        n = max(int(d.sum()), 1)
        return {"1": float(d[:, 1].sum() / n), "2": float(d[:, 2].sum() / n), "3+": float(d[:, 3:].sum() / n)}

    d1 = delay[depth == 1]
    c1 = int(dec[:, 1].sum() - len(d1))
    n1 = len(d1) + c1
    lat = {k: _quantile_censored(d1, c1, p) for k, p in QUANT_PROBS.items()}
    lat["share_lt_1h"] = float((d1 < 1.0).sum() / n1) if n1 else math.nan
    lat["share_lt_24h"] = float((d1 < 24.0).sum() / n1) if n1 else math.nan
    calm = ~viral[items] if len(items) else np.zeros(0, dtype=bool)
    c_calm = int(dec[~viral].sum() - calm.sum())
    return CascadeStats(
        cascades=len(tot),
        used=int(used.sum()),
        depth1_share=med,
        depth1_share_se=se,
        depth1_share_iqr=iqr,
        pooled=pooled_of(np.ones(len(tot), dtype=bool)),
        pooled_nonviral=pooled_of(~viral),
        latency=lat,
        latency_all_median_h=_quantile_censored(delay[calm], c_calm, 0.5),
        mean_reposters=float(tot.mean()),
        viral=float(viral.mean()),
        censored=float((dec.sum() - len(delay)) / max(1, dec.sum())),
    )
