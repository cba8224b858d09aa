"""The Mesa model: accounts as agents, followers as state in compiled tables.

Phase order of one tick ``[t, t + tick)`` (hours); every event happens at its exact hour:

1. :meth:`PropagationModel._run_until` alternates between
   a. **follower reposts** due before the next account event, published in (hour, person, item) order
      from the repost queue and delivered to the reposter's followers (exposure, repost decision:
      :func:`simulator.engine.kernel.advance`);
   b. the next **account publication** (a campaign post or a relay): delivered to the account's current
      audience (exposure, repost decision, load and exit per delivery:
      :func:`simulator.engine.kernel.deliver_account`), then the account's relay edges decide (once per
      item and edge) whether their targets relay it after a lognormal latency (:meth:`_decide_relays`);
   at equal hours account publications come first;
2. **baseline churn**: audience edges whose exponential churn clock ran out in the tick (:meth:`_update_churn`);
3. **metrics**: Mesa's ``DataCollector`` records the cumulative counters.

Events due at or after the horizon are not executed (counted as pending). Every random decision draws
its own keyed uniform (:mod:`simulator.streams`), so the order in which events are processed inside a
tick never changes a result.
"""

from __future__ import annotations

import heapq
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
from mesa import DataCollector

from simulator import streams as S
from simulator.engine import archive as A
from simulator.engine import kernel as K
from simulator.engine import state as T
from simulator.engine.agents import ACCOUNT_CLASSES, Account
from simulator.engine.followers import Followers
from simulator.scenario.loading import LoadedScenario
from simulator.scenario.matrix import Matrix
from simulator.scenario.schema import GENERAL_TOPIC, NATIONAL_SCOPE, Scenario
from simulator.world.build import World, build_world

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
# Up to this many people, per-person state is an array indexed by person (8 bytes each, cache-friendly);
# above it, a hash table over the people a run touches (platform-scale worlds).
DENSE_PEOPLE_MAX = 20_000_000
PERSONAL_VOICES = ("executive", "employee")  # kinds whose own commentary carries commentary_appeal
CHURNED = 3  # edge status after baseline churn (kernel statuses: ACTIVE, MUTED, UNFOLLOWED)
# The item table's archive (:mod:`simulator.engine.archive`; storage only, results never change): every
# ARCHIVE_AFTER hours, once the hot table holds ARCHIVE_MIN_PAIRS pairs, the pairs not delivered since the
# previous compaction move to the archive, per item when they are ARCHIVE_MIN_SHARE of its archive.
ARCHIVE_AFTER = 24.0
ARCHIVE_MIN_PAIRS = 4_000_000
ARCHIVE_MIN_SHARE = 0.25
_KERNEL_COUNTERS = {
    "reach": T.REACH,
    "direct_reach": T.DIRECT,
    "impressions": T.IMPRESSIONS,
    "duplicate_exposures": T.DUPLICATES,
    "effective_reach": T.EFFECTIVE,
    "follower_reposts": T.FOLLOWER_REPOSTS,
    "repost_decisions": T.DECISIONS,
    "fatigued": T.FATIGUED,
    "mutes": T.MUTES,
    "unfollows": T.UNFOLLOWS,
}
ACCOUNT_STATS = (
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


@dataclass(frozen=True)
class ItemParams:
    """Per-item constants of the repost hazard."""

    p0: float
    appeal: float
    topic: int  # interest index, -1 = general
    scope: int  # region index, -1 = national
    promotional: bool


@dataclass(order=True)
class _AccountEvent:
    """A scheduled publication of ``item`` by ``account`` (ordered by hour, then account, then item)."""

    time: float
    account: int
    item: int
    variation: str = field(default="", compare=False)
    depth: int = field(default=0, compare=False)
    via: int | None = field(default=None, compare=False)
    triggered: float | None = field(default=None, compare=False)
    cancelled: bool = field(default=False, compare=False)


class Counters(dict):
    """Cumulative totals by name (a plain dict filled from the kernel's counter array)."""


class PropagationModel(mesa.Model):
    """Spread of a campaign through an account matrix and its followers.

    Args:
        loaded: a :class:`~simulator.scenario.loading.LoadedScenario` (from :func:`simulator.load`).
        world: a prebuilt world to reuse (same scenario and seed; it is never modified).
        record_reposts: keep one row per follower repost decision (see :meth:`repost_table`).

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
        super().__init__(rng=sc.seed)  # Mesa's own generator is not used by the engine (keyed streams are)
        self.config = sc  # (Mesa 3.5 reserves `scenario`)
        self.matrix: Matrix = loaded.matrix
        self.world = world if world is not None else build_world(sc, self.matrix)
        self.tick_hours = sc.time.tick
        self.horizon = sc.time.horizon
        self.n_ticks = math.ceil(self.horizon / self.tick_hours - 1e-9)
        self.tick = 0
        self.hours = 0.0
        self.accounts: list[Account] = [ACCOUNT_CLASSES[a.kind](self, a) for a in self.matrix.accounts]
        self._account_keys = [S.account_key(a.id) for a in self.matrix.accounts]
        self.items = self._item_params()
        self.variation_weight = dict(sc.behaviour.variation_weights)
        self._record = record_reposts
        self._build_state()
        self.relay_log: list[dict[str, Any]] = []
        self._late: set[tuple[int, int]] = set()  # (account, item) relays that fired, due after the horizon
        self._events: list[_AccountEvent] = []
        self._scheduled: dict[tuple[int, int], _AccountEvent] = {}
        for item in self.matrix.items:
            self._schedule(_AccountEvent(item.at, item.account, item.index, "verbatim", 0, None, item.at))
        self._churn_order: np.ndarray | None = None
        self._churn_next = 0
        self.followers = Followers(self)
        self.datacollector = DataCollector(
            model_reporters={"time_h": lambda m: m.hours, **{k: _counter(k) for k in SERIES}}
        )
        self.datacollector.collect(self)
        self.running = True

    # --- set-up ---------------------------------------------------------------------------------------
    def _item_params(self) -> list[ItemParams]:
        b = self.config.behaviour
        interests = {t: i for i, t in enumerate(self.world.interest_names)}
        regions = {r: i for i, r in enumerate(self.world.region_names)}
        key = S.kind_key(self.config.seed, S.APPEAL)
        out = []
        for it in self.matrix.items:
            appeal = it.appeal if it.appeal is not None else math.exp(b.appeal_sigma * S.normal(key, it.index))
            out.append(
                ItemParams(
                    b.p0_promotional if it.promotional else b.p0,
                    float(appeal),
                    -1 if it.topic == GENERAL_TOPIC else interests[it.topic],
                    -1 if it.scope == NATIONAL_SCOPE else regions[it.scope],
                    it.promotional,
                )
            )
        return out

    def _build_state(self) -> None:
        """The compiled kernel's inputs: parameters, items, stream keys, world arrays, empty tables."""
        sc, w = self.config, self.world
        self._params = T.params_for(sc, float(self.horizon), self._record)
        self._items = T.items_for(self.items)
        self._keys = T.keys_for(sc.seed)
        self._world_arrays = T.world_arrays_for(w)
        expected = min(w.n, max(1024, 2 * w.audience.n_edges))
        self._tables = T.new_tables(w.n, w.n <= DENSE_PEOPLE_MAX, expected, self._record, len(self.items))
        self._compacted = 0.0  # hour of the last archive compaction
        self.compaction_cpu_s = 0.0  # CPU seconds spent archiving (a diagnostic for benchmarks)
        e = w.audience.n_edges
        self._edges = T.Edges(np.zeros(e, np.int8), np.zeros(e, np.float32), np.full(e, -np.inf, np.float32))
        regions = {r: i for i, r in enumerate(w.region_names)}
        bins = max(1, int(math.ceil(self.horizon * self._params.hist_per_hour)) + 1)
        self._stats = T.Stats(
            np.zeros(T.N_COUNTERS, np.int64),
            np.zeros((len(self.accounts), T.N_ACCOUNT_STATS), np.int64),
            np.zeros(T.MAX_DEPTH + 1, np.int64),
            np.zeros(bins, np.int64),
            np.array([regions.get(a.data.region, -1) if a.data.region else -1 for a in self.accounts], np.int64),
        )
        self._posts = np.zeros(len(self.accounts), np.int64)
        self._relays = np.zeros(len(self.accounts), np.int64)
        self._churned = np.zeros(len(self.accounts), np.int64)

    # --- scheduling account publications ----------------------------------------------------------------
    def _schedule(self, ev: _AccountEvent) -> None:
        key = (ev.account, ev.item)
        if ev.time >= self.horizon:  # pending unless it publishes anyway (counted in `counters`)
            self._late.add(key)
            return
        old = self._scheduled.get(key)
        if old is not None:
            if (old.time, old.via if old.via is not None else -1) <= (ev.time, ev.via if ev.via is not None else -1):
                return  # an earlier (or equal, lower source) relay of this item by this account is already due
            old.cancelled = True
        self._scheduled[key] = ev
        heapq.heappush(self._events, ev)

    def _next_event_time(self) -> float:
        while self._events and self._events[0].cancelled:
            heapq.heappop(self._events)
        return self._events[0].time if self._events else math.inf

    # --- the tick ------------------------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one tick (see the module docstring for the phase order)."""
        if not self.running:
            return
        end = min((self.tick + 1) * self.tick_hours, self.horizon)
        self._run_until(end)
        self.tick += 1
        self.hours = end
        self._compact()
        self._update_churn()
        self.datacollector.collect(self)
        if self.tick >= self.n_ticks:
            self.running = False

    def run(self) -> PropagationModel:
        """Run to the horizon; returns the model (read results with :func:`simulator.results.collect.collect`)."""
        while self.running:
            self.step()
        return self

    def _run_until(self, end: float) -> None:
        while True:
            ta = self._next_event_time()
            self._advance(min(ta, end))
            if ta >= end:
                return
            ev = heapq.heappop(self._events)
            del self._scheduled[(ev.account, ev.item)]
            self.accounts[ev.account].publish(ev.item, ev.time, ev.variation, ev.depth, ev.via, ev.triggered)

    def _advance(self, until: float) -> None:
        """Publish the follower reposts due before ``until`` (growing the tables when the kernel asks)."""
        while True:
            status, need = K.advance(
                self._world_arrays, self._tables, self._stats, self._params, self._items, self._keys, until
            )
            if status == K.DONE:
                return
            self._grow(int(need))

    def _grow(self, need: int) -> None:
        self._tables = T.grow(self._tables, need, A.rehash_items, A.rehash_people)

    def _compact(self) -> None:
        """Archive the item pairs gone cold (between ticks; see ARCHIVE_AFTER)."""
        if self.hours - self._compacted < ARCHIVE_AFTER or self._tables.sizes[T.IT_USED] < ARCHIVE_MIN_PAIRS:
            return
        start = time.thread_time()
        self._tables, _ = A.compact(self._tables, self.world.n, ARCHIVE_MIN_SHARE)
        self._compacted = self.hours
        self.compaction_cpu_s += time.thread_time() - start

    def state_bytes(self) -> dict[str, int]:
        """Sizes of the run's state tables: hot item table, archive, person table, queue, log (bytes,
        slots and pairs; see :func:`simulator.engine.archive.state_bytes`)."""
        return A.state_bytes(self._tables)

    # --- account publications ------------------------------------------------------------------------------
    def account_audience(self, account: int, active_only: bool = True, at: float | None = None) -> np.ndarray:
        """Followers of ``account`` (person indices), optionally only those still receiving its posts."""
        aud = self.world.audience
        lo, hi = aud.indptr[account], aud.indptr[account + 1]
        people = aud.indices[lo:hi]
        if not active_only:
            return people
        now = self.hours if at is None else at
        keep = (self._edges.status[lo:hi] == T.ACTIVE) & (self.world.churn_time[lo:hi] > now)
        return people[keep]

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
        size = int(self.world.audience.indptr[a + 1] - self.world.audience.indptr[a])
        self._grow(size)
        before = int(self._stats.account_stats[a, T.FIRST_DIRECT])
        weight = self.variation_weight[variation]
        mult = (
            self.config.behaviour.commentary_appeal
            if variation == "commentary" and acc.data.kind in PERSONAL_VOICES
            else 1.0
        )
        n = K.deliver_account(
            self._world_arrays,
            self._tables,
            self._stats,
            self._edges,
            self._params,
            self._items,
            self._keys,
            a,
            np.uint64(self._account_keys[a]),
            item,
            float(time),
            weight,
            mult,
        )
        new = int(self._stats.account_stats[a, T.FIRST_DIRECT]) - before
        if via is None:
            self._posts[a] += 1
        else:
            self._relays[a] += 1
            self.relay_log.append(
                {
                    "source": self.accounts[via].data.id,
                    "target": acc.data.id,
                    "item": item,
                    "triggered_h": triggered,
                    "relayed_h": float(time),
                    "variation": variation,
                    "relay_depth": depth,
                    "deliveries": int(n),
                    "reach_added": new,
                }
            )
        self._decide_relays(acc, item, time, depth)
        return new

    def _decide_relays(self, acc: Account, item: int, time: float, depth: int) -> None:
        """Each relay edge out of ``acc`` decides once per item, with its own keyed uniform."""
        it = self.matrix.items[item]
        seed = self.config.seed
        src = self._account_keys[acc.index]
        for edge in acc.relays_out:
            target = self.accounts[edge.target]
            if item in target.published:
                continue
            on_topic = it.topic == GENERAL_TOPIC or it.topic in target.data.topics
            p = edge.probability if on_topic else edge.off_topic_probability
            tgt = self._account_keys[edge.target]
            u = S.uniform(S.derive(S.derive(S.kind_key(seed, S.RELAY), item), src), tgt)
            if u >= p:
                continue
            lat = edge.latency
            delay = lat.median
            if lat.sigma > 0:
                z = S.normal(S.derive(S.derive(S.kind_key(seed, S.RELAY_LATENCY), item), src), tgt)
                delay *= math.exp(lat.sigma * z)
            self._schedule(_AccountEvent(time + delay, edge.target, item, edge.variation, depth + 1, acc.index, time))

    # --- churn ---------------------------------------------------------------------------------------------
    def _update_churn(self) -> None:
        """Audience edges whose churn clock ran out by now, if still active, end (baseline unfollows)."""
        ct = self.world.churn_time
        if self._churn_order is None:
            finite = np.flatnonzero(np.isfinite(ct) & (ct < self.horizon))
            self._churn_order = finite[np.argsort(ct[finite], kind="stable")]
            self._edge_account = np.searchsorted(self.world.audience.indptr, self._churn_order, side="right") - 1
        order, status = self._churn_order, self._edges.status
        stop = int(np.searchsorted(ct[order], self.hours, side="right"))
        if stop > self._churn_next:
            idx = order[self._churn_next : stop]
            alive = status[idx] == T.ACTIVE
            status[idx[alive]] = CHURNED
            np.add.at(self._churned, self._edge_account[self._churn_next : stop][alive], 1)
            self._churn_next = stop

    # --- reading the state ------------------------------------------------------------------------------------
    @property
    def counters(self) -> Counters:
        """Cumulative totals by name."""
        c = self._stats.counters
        out = Counters({k: int(c[i]) for k, i in _KERNEL_COUNTERS.items()})
        out["second_level_reach"] = out["reach"] - out["direct_reach"]
        out["account_posts"] = int(self._posts.sum())
        out["account_relays"] = int(self._relays.sum())
        out["churned"] = int(self._churned.sum())
        late = sum(1 for a, item in self._late if item not in self.accounts[a].published)
        out["pending_at_horizon"] = int(c[T.PENDING]) + late
        return out

    @property
    def account_stats(self) -> dict[str, np.ndarray]:
        """Per-account totals by name (arrays indexed by account)."""
        s = self._stats.account_stats
        return {
            "posts": self._posts.copy(),
            "relays": self._relays.copy(),
            "deliveries": s[:, T.DELIVERIES].copy(),
            "in_region_deliveries": s[:, T.IN_REGION].copy(),
            "first_exposures_direct": s[:, T.FIRST_DIRECT].copy(),
            "first_exposures_total": s[:, T.FIRST_TOTAL].copy(),
            "mutes": s[:, T.ACC_MUTES].copy(),
            "unfollows": s[:, T.ACC_UNFOLLOWS].copy(),
            "churned": self._churned.copy(),
        }

    @property
    def depth_counts(self) -> Counter[int]:
        """Published follower reposts by generation (1 = reposted a matrix account's delivery)."""
        d = self._stats.depth
        return Counter({int(i): int(d[i]) for i in np.flatnonzero(d)})

    def _people(self) -> np.ndarray:
        return A.people_state(self._tables, self.world.n)

    @property
    def exposures(self) -> np.ndarray:
        """Deliveries received by every person (dense int32 array; use on small worlds)."""
        return (self._people() & T.EXPOSURE_MASK).astype(np.int32)

    @property
    def fatigued(self) -> np.ndarray:
        """True for every person whose load on some account exceeded their tolerance."""
        return (self._people() & T.FLAG_FATIGUED) > 0

    @property
    def direct(self) -> np.ndarray:
        """True for every person reached by a matrix account's own delivery."""
        return (self._people() & T.FLAG_DIRECT) > 0

    @property
    def edge_status(self) -> np.ndarray:
        """Status of every audience edge: 0 active, 1 muted, 2 unfollowed, 3 churned."""
        return self._edges.status

    @property
    def load(self) -> np.ndarray:
        """Fatigue load of every audience edge at its last update."""
        return self._edges.load

    @property
    def load_time(self) -> np.ndarray:
        """Hour of the last load update of every audience edge (-inf: never delivered)."""
        return self._edges.load_time

    def reposts_of(self, item: int) -> int:
        """People who decided to repost ``item``."""
        return int(A.item_counts(self._tables, len(self.items))[1][item])

    def delivered_pairs(self) -> int:
        """Distinct (item, person) pairs that received at least one delivery."""
        return int(A.item_counts(self._tables, len(self.items))[0].sum())

    def reposts_per_person(self) -> np.ndarray:
        """Items each person decided to repost (dense array; small worlds)."""
        return A.reposts_per_person(self._tables, self.world.n)

    def mark_reposted(self, item: int, person: int) -> None:
        """Before a run: treat ``person`` as having already reposted ``item`` (an IC seed node that can be
        exposed but never reposts again)."""
        self._grow(1)
        A.mark_reposted(self._tables, int(item), int(person))

    def exposure_frequency(self) -> np.ndarray:
        """People by number of deliveries received (index k = exactly k; index 0 = never reached)."""
        hist = A.exposure_histogram(self._tables)
        hist[0] = self.world.n - int(hist[1:].sum())
        return hist

    def first_exposure_times(self) -> tuple[np.ndarray, float]:
        """(people first reached per histogram bin, bin width in hours)."""
        return self._stats.first_hist, 1.0 / self._params.hist_per_hour

    def repost_table(self) -> Any:
        """Every follower repost decision (needs ``record_reposts=True``), as a DataFrame.

        Columns: ``follower``, ``item``, ``depth`` (1 = reposted a matrix account's delivery), ``origin``
        (id of the account at the root of the chain), ``decided_h`` (hour of the delivery that triggered
        it), ``due_h`` (``decided_h`` + organic latency) and ``executed`` (published before the horizon).
        """
        import pandas as pd

        if not self._record:
            raise RuntimeError("build the model with record_reposts=True to keep the repost log")
        t, n = self._tables, int(self._tables.sizes[T.LOG_SIZE])
        ids = np.array([a.data.id for a in self.accounts], dtype=object)
        li, lt = t.log_int[:n], t.log_time[:n]
        df = pd.DataFrame(
            {
                "follower": li[:, 0],
                "item": li[:, 1].astype(np.int32),
                "depth": li[:, 2].astype(np.int16),
                "origin": ids[li[:, 3]] if n else np.zeros(0, object),
                "decided_h": lt[:, 0],
                "due_h": lt[:, 1],
            }
        )
        df["executed"] = df["due_h"] < min(self.hours, self.horizon)
        return df


def _counter(name: str):
    def report(model: PropagationModel) -> int:
        return model.counters[name]

    report.__name__ = name
    return report
