"""Results of one run as plain tables: summary, per-tick series, accounts, relay path.

Metric definitions (see README "Metrics"):

- ``reach``: unique followers who received at least one delivery (any item, any source).
- ``direct_reach``: reached by at least one matrix account's delivery; ``second_level_reach`` =
  reach - direct_reach (reached only through followers' reposts).
- ``impressions``: deliveries; ``mean_frequency`` = impressions / reach.
- ``effective_reach``: followers with at least ``metrics.effective_reach_threshold`` deliveries.
- ``duplicate_exposures``: deliveries of an item to someone who had already received it.
- ``account_relays`` / ``follower_reposts``: relays published by accounts / reposts published by
  followers before the horizon; ``pending_at_horizon``: decided but due after it.
- ``max_depth`` and ``depth_distribution``: follower reposts by generation (1 = reposted a
  matrix account's delivery, 2 = reposted a depth-1 repost, ...).
- ``t50_h`` / ``t90_h``: hours until 50% / 90% of final reach had first been exposed.
- ``fatigued``: followers whose load on some account exceeded their tolerance; ``fatigue_share``
  = fatigued / reach. ``mutes`` / ``unfollows``: load-driven exits; ``churned``: baseline unfollows.
- per account: ``first_exposures_direct`` (people this account's deliveries reached first),
  ``first_exposures_total`` (also counting second-level people whose repost chain started at it),
  ``locality`` (share of its deliveries landing in its own region), ``net_audience_change``
  (-(unfollows + churned)).
- ``overlaps``: realised audience overlaps, declared vs realised share of one unit's followers who also
  follow another (:func:`simulator.results.diagnostics.overlap_rows`).
- ``warnings``: reasons the figures may mislead, ``{code, message, where, field}``
  (:mod:`simulator.scenario.warnings`; ``propsim run`` fills ``where`` with the FILE:LINE to change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator import __version__
from simulator.results.diagnostics import overlap_rows, run_warnings


@dataclass
class RunResult:
    """Tables of one finished run (plain objects: easy to pickle, compare and write)."""

    summary: dict[str, Any]
    timeseries: pd.DataFrame
    accounts: pd.DataFrame
    relays: pd.DataFrame
    frequency: pd.DataFrame  # exposures k -> followers with exactly k deliveries
    meta: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"<RunResult {s['scenario']!r} seed={s['seed']}: reach {s['reach']:,} "
            f"({s['reach_share']:.1%}), impressions {s['impressions']:,}, "
            f"unfollows {s['unfollows']:,}>"
        )


def _time_to_share(hist: np.ndarray, width: float, share: float) -> float | None:
    """Hours until ``share`` of the final reach had been exposed: the end of the first-exposure histogram
    bin (``width`` hours, 1/64 of a tick) where the cumulative count reaches it."""
    total = int(hist.sum())
    if total == 0:
        return None
    k = max(1, int(np.ceil(share * total)))
    b = int(np.searchsorted(np.cumsum(hist), k))
    return float((b + 1) * width)


RELAY_COLUMNS = [
    "source",
    "target",
    "item",
    "item_label",
    "triggered_h",
    "relayed_h",
    "variation",
    "relay_depth",
    "deliveries",
    "reach_added",
]


def collect(model) -> RunResult:
    """Build the result tables of a (finished or partly run) :class:`PropagationModel`."""
    summary = summary_of(model)
    freq = model.exposure_frequency()
    frequency = pd.DataFrame({"exposures": np.arange(len(freq)), "followers": freq})
    meta = {"scenario": model.config.model_dump(mode="json")}
    return RunResult(summary, timeseries_of(model), accounts_of(model), relays_of(model), frequency, meta)


def summary_of(model) -> dict[str, Any]:
    """The run's summary: counts of people, deliveries and reposts, times in hours, shares in [0, 1]."""
    sc, c = model.config, model.counters
    n = model.world.n
    reach = c["reach"]
    depth = {int(k): int(v) for k, v in sorted(model.depth_counts.items())}
    hist, width = model.first_exposure_times()
    summary: dict[str, Any] = {
        "scenario": sc.name,
        "topology": sc.topology.preset if sc.topology else None,
        "seed": sc.seed,
        "population": n,
        "accounts": len(model.accounts),
        "items": len(model.items),
        "horizon_h": sc.time.horizon,
        "reach": reach,
        "reach_share": reach / n,
        "direct_reach": c["direct_reach"],
        "second_level_reach": c["second_level_reach"],
        "impressions": c["impressions"],
        "mean_frequency": c["impressions"] / reach if reach else 0.0,
        "effective_reach": c["effective_reach"],
        "effective_reach_threshold": sc.metrics.effective_reach_threshold,
        "duplicate_exposures": c["duplicate_exposures"],
        "account_posts": c["account_posts"],
        "account_relays": c["account_relays"],
        "follower_reposts": c["follower_reposts"],
        "repost_decisions": c["repost_decisions"],
        "pending_at_horizon": c["pending_at_horizon"],
        "max_depth": max(depth) if depth else 0,
        "depth_distribution": depth,
        "t50_h": _time_to_share(hist, width, 0.5),
        "t90_h": _time_to_share(hist, width, 0.9),
        "fatigued": c["fatigued"],
        "fatigue_share": c["fatigued"] / reach if reach else 0.0,
        "mutes": c["mutes"],
        "unfollows": c["unfollows"],
        "exits": c["mutes"] + c["unfollows"],
        "churned": c["churned"],
        "net_audience_change": -(c["unfollows"] + c["churned"]),
        "propsim_version": __version__,
    }
    # what the figures mean: realised audience overlaps, and warnings (located by `propsim run`)
    summary["overlaps"] = overlap_rows(model.world)
    summary["warnings"] = [w.as_dict() for w in run_warnings(sc, model.matrix, model.world, summary)]
    return summary


def timeseries_of(model) -> pd.DataFrame:
    """One row per tick: the model's reporters and ``new_reach`` (people first reached in that tick)."""
    ts = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    # Mesa calls reporters twice on the first collect; keep one row per tick.
    ts = ts.iloc[-(model.tick + 1) :].reset_index(drop=True)
    ts.insert(0, "tick", np.arange(len(ts)))
    ts["new_reach"] = ts["reach"].diff().fillna(ts["reach"]).astype(np.int64)
    return ts


def accounts_of(model) -> pd.DataFrame:
    """One row per matrix account: its posts, relays, deliveries, first exposures and exits."""
    st = model.account_stats
    initial = model.world.audience.degrees()
    rows = []
    for acc in model.accounts:
        i, d = acc.index, acc.data
        deliveries = int(st["deliveries"][i])
        rows.append(
            {
                "account": d.id,
                "handle": d.handle,
                "kind": d.kind,
                "group": d.group,
                "region": d.region,
                "interest": d.interest,
                "followers_initial": int(initial[i]),
                "followers_final": int(initial[i] - st["unfollows"][i] - st["churned"][i]),
                "posts": int(st["posts"][i]),
                "relays": int(st["relays"][i]),
                "deliveries": deliveries,
                "first_exposures_direct": int(st["first_exposures_direct"][i]),
                "first_exposures_total": int(st["first_exposures_total"][i]),
                "mutes": int(st["mutes"][i]),
                "unfollows": int(st["unfollows"][i]),
                "churned": int(st["churned"][i]),
                "net_audience_change": -int(st["unfollows"][i] + st["churned"][i]),
                "locality": (float(st["in_region_deliveries"][i]) / deliveries) if d.region and deliveries else None,
            }
        )
    return pd.DataFrame(rows)


def relays_of(model) -> pd.DataFrame:
    """The propagation path among accounts: one row per account relay (times in hours)."""
    relays = pd.DataFrame(model.relay_log)
    if relays.empty:
        return pd.DataFrame(columns=RELAY_COLUMNS)
    relays["item_label"] = [model.matrix.items[i].label for i in relays["item"]]
    return relays[RELAY_COLUMNS]


def simulate(loaded: Any, world: Any = None, record_reposts: bool = False) -> RunResult:
    """Run one loaded scenario to its horizon and return its tables: the one entry point that
    sweeps, ``propsim run``, calibration and notebooks share.

    Args:
        loaded: a :class:`~simulator.scenario.loading.LoadedScenario`.
        world: a prebuilt world of the same scenario and seed to reuse (sweeps cache them).
        record_reposts: keep the per-repost log (see ``PropagationModel.repost_table``).
    """
    from simulator.engine.model import PropagationModel

    return collect(PropagationModel(loaded, world=world, record_reposts=record_reposts).run())
