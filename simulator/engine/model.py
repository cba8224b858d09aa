"""The Mesa model: accounts as agents, followers as one vectorised population.

Phase order of one tick ``[t, t + tick)`` (hours):

1. **Scheduled publications**: campaign posts and account relays whose time falls in this tick,
   in time order. Each is delivered to the account's current audience (people who neither muted
   nor unfollowed it, nor churned): exposure, repost decision, load and exit per delivery
   (:mod:`simulator.engine.kernel`), then the account's relay edges decide (once per item) whether
   their targets relay it after a lognormal latency.
2. **Follower reposts due**: reposts decided earlier (after an organic lognormal latency) are
   delivered to each reposter's own followers: exposure and repost decision (second level).
3. Steps 1-2 repeat while they schedule further events inside the same tick (zero-latency waves).
4. **Baseline churn**: follower-account edges whose exponential churn clock ran out.
5. **Metrics**: Mesa ``DataCollector`` records the cumulative counters.

Events are kept in per-tick buckets with their exact times; the clock resolution for memory and
load decay is one tick. Events due at or after the horizon are not executed (counted as pending).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import mesa
import numpy as np
from mesa import DataCollector

from simulator.engine.agents import ACCOUNT_CLASSES, Account
from simulator.engine.followers import Followers
from simulator.engine.kernel import Behaviour, ItemParams, expose, group_order, groups, load_and_exit
from simulator.scenario.loading import LoadedScenario
from simulator.scenario.matrix import Matrix
from simulator.scenario.schema import GENERAL_TOPIC, NATIONAL_SCOPE, Scenario
from simulator.seeding import streams
from simulator.world.build import World, build_world

EDGE_ACTIVE, EDGE_MUTED, EDGE_UNFOLLOWED = 0, 1, 2

SERIES = (
    "reach",
    "direct_reach",
    "second_level_reach",
    "impressions",
    "duplicate_exposures",
    "effective_reach",
    "account_posts",
    "account_relays",
    "follower_reposts",
    "fatigued",
    "mutes",
    "unfollows",
    "churned",
)


class PropagationModel(mesa.Model):
    """Spread of a campaign through an account matrix and its followers.

    Args:
        loaded: a :class:`~simulator.scenario.loading.LoadedScenario` (from :func:`simulator.load`).
        world: a prebuilt world to reuse (must come from the same scenario and seed).
        record_reposts: keep one row per follower repost decision (see :meth:`repost_table`);
            costs ~30 bytes per repost.

    Attributes:
        accounts: the account agents, by matrix index (also ``model.agents``).
        followers: agent-like view of the follower population (:class:`Followers`).
        world: the built population, audiences and follower graph.
        counters: cumulative totals (the per-tick series is in ``datacollector``).

    >>> model = PropagationModel(simulator.load("scenarios/hub.yaml"))  # doctest: +SKIP
    >>> model.run()  # doctest: +SKIP
    """

    def __init__(self, loaded: LoadedScenario, world: World | None = None, record_reposts: bool = False):
        sc: Scenario = loaded.scenario
        rngs = streams(sc.seed)
        super().__init__(rng=rngs["dynamics"])
        self.config = sc  # (Mesa 3.5 reserves `scenario`)
        self.matrix: Matrix = loaded.matrix
        self.world = world if world is not None else build_world(sc, self.matrix, rngs)
        self.tick_hours = sc.time.tick
        self.horizon = sc.time.horizon
        self.n_ticks = math.ceil(self.horizon / self.tick_hours - 1e-9)
        self.tick = 0
        self.hours = 0.0

        self.accounts: list[Account] = [ACCOUNT_CLASSES[a.kind](self, a) for a in self.matrix.accounts]
        self.items = self._item_params(rngs["content"])
        self.beh = self._behaviour()
        self.variation_weight = dict(sc.behaviour.variation_weights)

        n, c, w = self.world.n, len(self.items), self.world
        self.mem = np.zeros((c, n), dtype=np.float32)
        self.mem_t = np.full((c, n), -np.inf, dtype=np.float32)
        self.reposted = np.zeros((c, n), dtype=bool)
        self.exposures = np.zeros(n, dtype=np.int32)
        self.first_time = np.full(n, np.nan, dtype=np.float32)
        self.first_account = np.full(n, -1, dtype=np.int32)
        self.first_depth = np.full(n, -1, dtype=np.int16)
        self.direct = np.zeros(n, dtype=bool)
        self.fatigued = np.zeros(n, dtype=bool)
        e = w.audience.n_edges
        self.edge_status = np.zeros(e, dtype=np.int8)
        self.load = np.zeros(e, dtype=np.float32)
        self.load_t = np.full(e, -np.inf, dtype=np.float32)
        self.edge_account = np.repeat(np.arange(len(self.accounts), dtype=np.int32), w.audience.degrees())
        self._region_idx = {r: i for i, r in enumerate(w.region_names)}

        a = len(self.accounts)
        self.account_stats = {
            k: np.zeros(a, dtype=np.int64)
            for k in (
                "posts",
                "relays",
                "deliveries",
                "in_region_deliveries",
                "first_exposures_direct",
                "first_exposures_total",
                "mutes",
                "unfollows",
                "churned",
            )
        }
        self.counters: dict[str, int] = {k: 0 for k in SERIES}
        self.counters.update(pending_at_horizon=0, repost_decisions=0)
        self.depth_counts: Counter[int] = Counter()
        self.relay_log: list[dict[str, Any]] = []
        self._repost_log: list[tuple[np.ndarray, ...]] | None = [] if record_reposts else None

        self._account_events: dict[int, list[tuple]] = defaultdict(list)
        self._follower_events: dict[int, list[tuple[np.ndarray, ...]]] = defaultdict(list)
        self._relay_scheduled: set[tuple[int, int]] = set()
        self._seq = 0
        for item in self.matrix.items:
            self._schedule_account(item.at, item.account, item.index, "verbatim", 0, None, item.at)

        self.followers = Followers(self)
        self.datacollector = DataCollector(
            model_reporters={"time_h": lambda m: m.hours, **{k: _counter(k) for k in SERIES}}
        )
        self.datacollector.collect(self)
        self.running = True

    # --- set-up helpers -----------------------------------------------------------------------
    def _item_params(self, rng: np.random.Generator) -> list[ItemParams]:
        b = self.config.behaviour
        interests = {t: i for i, t in enumerate(self.world.interest_names)}
        regions = {r: i for i, r in enumerate(self.world.region_names)}
        out = []
        for it in self.matrix.items:
            draw = float(np.exp(b.appeal_sigma * rng.standard_normal()))  # always drawn: stable stream
            out.append(
                ItemParams(
                    p0=b.p0_promotional if it.promotional else b.p0,
                    appeal=it.appeal if it.appeal is not None else draw,
                    topic=-1 if it.topic == GENERAL_TOPIC else interests[it.topic],
                    scope=-1 if it.scope == NATIONAL_SCOPE else regions[it.scope],
                    promotional=it.promotional,
                )
            )
        return out

    def _behaviour(self) -> Behaviour:
        b, f = self.config.behaviour, self.config.fatigue
        return Behaviour(
            b.alpha,
            b.beta,
            b.exposure_half_life,
            b.off_topic_factor,
            f.enabled,
            f.load_half_life,
            f.w_dup,
            f.w_irr,
            f.w_promo,
            f.kappa,
            f.p_exit_max,
            f.q_mute,
        )

    # --- scheduling -------------------------------------------------------------------------------
    def _tick_of(self, time: float) -> int:
        return int(math.floor(time / self.tick_hours + 1e-9))

    def _schedule_account(
        self, time: float, account: int, item: int, variation: str, depth: int, via: int | None, triggered: float
    ) -> None:
        if time >= self.horizon:
            self.counters["pending_at_horizon"] += 1
            return
        self._seq += 1
        self._account_events[self._tick_of(time)].append(
            (time, self._seq, account, item, variation, depth, via, triggered)
        )

    def _schedule_reposts(
        self, reposters: np.ndarray, item: int, time: float | np.ndarray, depth: np.ndarray, origin: np.ndarray
    ) -> None:
        if len(reposters) == 0:
            return
        self.counters["repost_decisions"] += len(reposters)
        lat = self.config.behaviour.latency
        when = time + lat.median * np.exp(lat.sigma * self.rng.standard_normal(len(reposters)))
        if self._repost_log is not None:
            self._repost_log.append(
                (
                    reposters.astype(np.int32),
                    np.full(len(reposters), item, dtype=np.int32),
                    np.asarray(depth, dtype=np.int16),
                    np.asarray(origin, dtype=np.int32),
                    np.broadcast_to(np.asarray(time, dtype=np.float64), when.shape).copy(),
                    when.astype(np.float64),
                )
            )
        due = when < self.horizon
        self.counters["pending_at_horizon"] += int((~due).sum())
        if not due.any():
            return
        when, reposters, depth, origin = when[due], reposters[due], depth[due], origin[due]
        ticks = np.floor(when / self.tick_hours + 1e-9).astype(np.int64)
        order = np.argsort(ticks, kind="stable")
        ticks, when, reposters, depth, origin = ticks[order], when[order], reposters[order], depth[order], origin[order]
        cuts = np.flatnonzero(np.diff(ticks)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(ticks)]):
            self._follower_events[int(ticks[lo])].append(
                (when[lo:hi], reposters[lo:hi], np.full(hi - lo, item, dtype=np.int32), depth[lo:hi], origin[lo:hi])
            )

    def repost_table(self):
        """Every follower repost decision (needs ``record_reposts=True``), as a DataFrame.

        Columns: ``follower``, ``item``, ``depth`` (1 = reposted a matrix account's delivery),
        ``origin`` (id of the account at the root of the chain), ``decided_h`` (hour of the
        delivery that triggered it), ``due_h`` (``decided_h`` + organic latency) and ``executed``
        (published before the horizon).
        """
        import pandas as pd

        if self._repost_log is None:
            raise RuntimeError("build the model with record_reposts=True to keep the repost log")
        cols = ("follower", "item", "depth", "origin", "decided_h", "due_h")
        if self._repost_log:
            data = {c: np.concatenate(x) for c, x in zip(cols, zip(*self._repost_log))}
        else:
            data = {c: np.zeros(0) for c in cols}
        df = pd.DataFrame(data)
        ids = np.array([a.data.id for a in self.accounts], dtype=object)
        df["origin"] = ids[df["origin"].to_numpy(dtype=np.int64)] if len(df) else df["origin"]
        df["executed"] = df["due_h"] < min(self.hours, self.horizon) if len(df) else df["due_h"]
        return df

    # --- the tick ---------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one tick (see the module docstring for the phase order)."""
        if not self.running:
            return
        bucket = self.tick
        while self._account_events.get(bucket) or self._follower_events.get(bucket):
            events = sorted(self._account_events.pop(bucket, []))
            for time, _, account, item, variation, depth, via, triggered in events:
                self.accounts[account].publish(item, time, variation, depth, via, triggered)
            batches = self._follower_events.pop(bucket, [])
            if batches:
                self._deliver_from_followers(batches)
        self.tick += 1
        self.hours = min(self.tick * self.tick_hours, self.horizon)
        self._update_churn()
        self.datacollector.collect(self)
        if self.tick >= self.n_ticks:
            self.running = False

    def run(self) -> PropagationModel:
        """Run to the horizon; returns the model (read results with :func:`simulator.results.collect.collect`)."""
        while self.running:
            self.step()
        return self

    # --- deliveries ---------------------------------------------------------------------------------
    def account_audience(self, account: int, active_only: bool = True, at: float | None = None) -> np.ndarray:
        """Followers of ``account`` (indices), optionally only those still receiving its posts."""
        lo, hi = self.world.audience.indptr[account], self.world.audience.indptr[account + 1]
        if not active_only:
            return self.world.audience.indices[lo:hi]
        return self.world.audience.indices[lo:hi][self._active_edges(lo, hi, self.hours if at is None else at)]

    def _active_edges(self, lo: int, hi: int, time: float) -> np.ndarray:
        return (self.edge_status[lo:hi] == EDGE_ACTIVE) & (self.world.churn_time[lo:hi] > time)

    def deliver_from_account(
        self,
        acc: Account,
        item: int,
        time: float,
        variation: str,
        depth: int,
        via: int | None,
        triggered: float | None = None,
    ) -> int:
        """Deliver an account's publication of ``item``; returns the number of people newly reached."""
        a = acc.index
        lo, hi = self.world.audience.indptr[a], self.world.audience.indptr[a + 1]
        edges = lo + np.flatnonzero(self._active_edges(lo, hi, time))
        targets = self.world.audience.indices[edges]
        weight = self.variation_weight[variation]
        mult = self.config.behaviour.commentary_appeal if variation == "commentary" else 1.0
        it = self.items[item]
        n = len(targets)
        u = self.rng.random(n)
        reposters, _, seen_before = expose(
            targets,
            time,
            weight,
            mult,
            it,
            self.beh,
            self.mem[item],
            self.mem_t[item],
            self.reposted[item],
            self.world.interest,
            self.world.region,
            u,
        )
        origin = np.full(n, a, dtype=np.int32)
        new = self._record_exposures(targets, np.full(n, time, dtype=np.float32), origin, 0, seen_before, direct=True)
        stats = self.account_stats
        stats["deliveries"][a] += n
        stats["first_exposures_direct"][a] += new
        if acc.data.region is not None:
            stats["in_region_deliveries"][a] += int(
                (self.world.region[targets] == self._region_idx[acc.data.region]).sum()
            )
        if via is None:
            stats["posts"][a] += 1
            self.counters["account_posts"] += 1
        else:
            stats["relays"][a] += 1
            self.counters["account_relays"] += 1
            self.relay_log.append(
                {
                    "source": self.accounts[via].data.id,
                    "target": acc.data.id,
                    "item": item,
                    "triggered_h": triggered,
                    "relayed_h": float(time),
                    "variation": variation,
                    "relay_depth": depth,
                    "deliveries": n,
                    "reach_added": new,
                }
            )
        if self.beh.fatigue and n:
            exits, mutes, newly = load_and_exit(
                edges,
                targets,
                time,
                weight,
                it,
                self.beh,
                seen_before,
                self.load,
                self.load_t,
                self.world.tolerance,
                self.fatigued,
                self.world.interest,
                self.world.region,
                self.rng.random(n),
                self.rng.random(n),
            )
            self.edge_status[edges[mutes]] = EDGE_MUTED
            self.edge_status[edges[exits & ~mutes]] = EDGE_UNFOLLOWED
            n_mute, n_unf = int(mutes.sum()), int((exits & ~mutes).sum())
            stats["mutes"][a] += n_mute
            stats["unfollows"][a] += n_unf
            self.counters["mutes"] += n_mute
            self.counters["unfollows"] += n_unf
            self.counters["fatigued"] += len(newly)
        self._schedule_reposts(
            reposters, item, time, np.ones(len(reposters), dtype=np.int16), np.full(len(reposters), a, dtype=np.int32)
        )
        self._decide_relays(acc, item, time, depth)
        return new

    def _decide_relays(self, acc: Account, item: int, time: float, depth: int) -> None:
        it = self.matrix.items[item]
        for edge in acc.relays_out:
            target = self.accounts[edge.target]
            key = (edge.target, item)
            if item in target.published or key in self._relay_scheduled:
                continue
            on_topic = it.topic == GENERAL_TOPIC or it.topic in target.data.topics
            p = edge.probability if on_topic else edge.off_topic_probability
            if self.rng.random() < p:
                self._relay_scheduled.add(key)
                lat = edge.latency
                delay = lat.median * math.exp(lat.sigma * self.rng.standard_normal()) if lat.sigma > 0 else lat.median
                self._schedule_account(time + delay, edge.target, item, edge.variation, depth + 1, acc.index, time)

    def _deliver_from_followers(self, batches: list[tuple[np.ndarray, ...]]) -> None:
        when, who, items, depth, origin = (np.concatenate(x) for x in zip(*batches))
        # by item, then by time inside an item (one sort instead of a mask per item)
        order = np.lexsort((when, items))
        when, who, items, depth, origin = when[order], who[order], items[order], depth[order], origin[order]
        self.counters["follower_reposts"] += len(who)
        self.depth_counts.update({int(d): int(c) for d, c in enumerate(np.bincount(depth)) if c})
        cuts = np.flatnonzero(np.diff(items)) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(items)]):
            item = items[lo]
            posters, p_when, p_depth, p_origin = who[lo:hi], when[lo:hi], depth[lo:hi], origin[lo:hi]
            targets, owner = self.world.graph.gather(posters)
            if len(targets) == 0:
                continue
            # Group deliveries by follower, keeping poster time order inside each group.
            order = group_order(targets, self.world.n)
            targets, owner = targets[order], owner[order]
            now = float(p_when[-1])
            u = self.rng.random(len(targets))
            reposters, trigger, seen_before = expose(
                targets,
                now,
                self.variation_weight["verbatim"],
                1.0,
                self.items[item],
                self.beh,
                self.mem[item],
                self.mem_t[item],
                self.reposted[item],
                self.world.interest,
                self.world.region,
                u,
            )
            self._record_exposures(
                targets, p_when[owner].astype(np.float32), p_origin[owner], p_depth[owner], seen_before, direct=False
            )
            if len(reposters):
                self._schedule_reposts(
                    reposters,
                    int(item),
                    p_when[owner[trigger]],
                    (p_depth[owner[trigger]] + 1).astype(np.int16),
                    p_origin[owner[trigger]],
                )

    def _record_exposures(
        self,
        targets: np.ndarray,
        times: np.ndarray,
        origin: np.ndarray,
        depth: int | np.ndarray,
        seen_before: np.ndarray,
        direct: bool,
    ) -> int:
        """Reach, frequency and attribution bookkeeping for a batch grouped by follower."""
        n = len(targets)
        if n == 0:
            return 0
        starts, uniq, counts = groups(targets)
        before = self.exposures[uniq]
        newly = before == 0
        new_f = uniq[newly]
        src = starts[newly]
        self.first_time[new_f] = times[src]
        self.first_account[new_f] = origin[src]
        self.first_depth[new_f] = depth if np.isscalar(depth) else np.asarray(depth)[src]
        after = before + counts
        self.exposures[uniq] = after
        thr = self.config.metrics.effective_reach_threshold
        self.counters["effective_reach"] += int(((before < thr) & (after >= thr)).sum())
        self.counters["reach"] += len(new_f)
        self.counters["impressions"] += n
        self.counters["duplicate_exposures"] += int(seen_before.sum())
        np.add.at(self.account_stats["first_exposures_total"], origin[src], 1)
        if direct:
            fresh = ~self.direct[uniq]
            self.direct[uniq] = True
            self.counters["direct_reach"] += int(fresh.sum())
        self.counters["second_level_reach"] = self.counters["reach"] - self.counters["direct_reach"]
        return len(new_f)

    def _update_churn(self) -> None:
        churned = (self.world.churn_time <= self.hours) & (self.edge_status == EDGE_ACTIVE)
        self.counters["churned"] = int(churned.sum())
        self.account_stats["churned"] = np.bincount(self.edge_account[churned], minlength=len(self.accounts))


def _counter(name: str):
    def report(model: PropagationModel) -> int:
        return model.counters[name]

    report.__name__ = name
    return report
