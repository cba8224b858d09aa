"""A plain-Python reference implementation of one run, for correctness checks of the compiled engine.

It implements the model of ``docs/model.md`` directly — dictionaries for the state, ``heapq`` for the event
queue, the plain-Python twins of the keyed random streams — with none of the compiled engine's data
structures (hash tables, growth, typed containers). Given the same world it must return exactly the
engine's numbers (``tests/test_engine_reference.py``); it is ~1000x slower, so use it on small worlds.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from simulator import streams as S
from simulator.scenario.loading import LoadedScenario
from simulator.scenario.schema import GENERAL_TOPIC, NATIONAL_SCOPE
from simulator.world.build import World

f32 = np.float32
PERSONAL_VOICES = ("executive", "employee")


@dataclass
class ReferenceResult:
    counters: dict[str, int]
    account_stats: dict[str, list[int]]
    reposts: list[tuple[int, int, int, int, float, float]]  # (person, item, depth, origin, decided, due)
    relays: list[tuple[str, str, int, float]]  # (source, target, item, hour)
    exposures: dict[int, int] = field(default_factory=dict)


COUNTERS = (
    "reach",
    "direct_reach",
    "impressions",
    "duplicate_exposures",
    "effective_reach",
    "follower_reposts",
    "repost_decisions",
    "pending_at_horizon",
    "fatigued",
    "mutes",
    "unfollows",
    "account_posts",
    "account_relays",
    "churned",
)
ACCOUNT_STATS = (
    "posts",
    "relays",
    "deliveries",
    "first_exposures_direct",
    "first_exposures_total",
    "mutes",
    "unfollows",
    "churned",
)


def _decay(value: float, since: float, now: float, half: float) -> float:
    if since == -math.inf:
        return 0.0
    if half == math.inf or now <= since:
        return float(value)
    return float(value) * math.exp(-math.log(2.0) * (now - since) / half)


class _Run:
    """The state of one reference run and the model's rules, one method each."""

    def __init__(self, loaded: LoadedScenario, world: World):
        self.sc, self.mx, self.world, self.pop = loaded.scenario, loaded.matrix, world, world.population
        self.b, self.fa = self.sc.behaviour, self.sc.fatigue
        self.horizon = self.sc.time.horizon
        seed = self.sc.seed
        self.akeys = [S.account_key(a.id) for a in self.mx.accounts]
        self.items = self._items(seed)
        self.k_rep, self.k_lat, self.k_exit, self.k_mute, self.k_relay, self.k_rlat = (
            S.kind_key(seed, k) for k in (S.REPOST, S.REPOST_LATENCY, S.EXIT, S.MUTE, S.RELAY, S.RELAY_LATENCY)
        )
        half = self.b.exposure_half_life
        self.lam_x = math.log(2.0) / half  # 0 for an infinite half-life
        self.counters = dict.fromkeys(COUNTERS, 0)
        self.stats = {k: [0] * len(self.mx.accounts) for k in ACCOUNT_STATS}
        self.exposures: dict[int, int] = {}
        self.direct: set[int] = set()
        self.fatigued: set[int] = set()
        # (item, person) -> (ln x + t lam_x, survival of the repost threshold), float32 as in the engine
        self.mem: dict[tuple[int, int], tuple[np.float32, np.float32]] = {}
        self.reposted: set[tuple[int, int]] = set()
        self.load: dict[int, tuple[np.float32, np.float32]] = {}
        self.status: dict[int, str] = {}
        self.repost_log: list[tuple[int, int, int, int, float, float]] = []
        self.queue: list[tuple[float, int, int, int, int]] = []  # (due, person, item, depth, origin)
        self.events: list[tuple[float, int, int, str, int]] = []  # (hour, account, item, variation, via)
        self.scheduled: dict[tuple[int, int], tuple[float, int]] = {}
        self.late: set[tuple[int, int]] = set()
        self.published: set[tuple[int, int]] = set()
        self.relays: list[tuple[str, str, int, float]] = []

    def _items(self, seed: int) -> list[tuple[float, float, int, int, bool]]:
        interests = {t: i for i, t in enumerate(self.pop.interest_names)}
        regions = {r: i for i, r in enumerate(self.pop.region_names)}
        key, b, out = S.kind_key(seed, S.APPEAL), self.b, []
        for it in self.mx.items:
            appeal = it.appeal if it.appeal is not None else math.exp(b.appeal_sigma * S.normal(key, it.index))
            out.append(
                (
                    b.p0_promotional if it.promotional else b.p0,
                    appeal,
                    -1 if it.topic == GENERAL_TOPIC else interests[it.topic],
                    -1 if it.scope == NATIONAL_SCOPE else regions[it.scope],
                    it.promotional,
                )
            )
        return out

    def suit(self, v: int, c: int) -> float:
        s, person = 1.0, np.array([v])
        if self.items[c][2] >= 0 and int(self.pop.interest_of(person)[0]) != self.items[c][2]:
            s *= self.b.off_topic_factor
        if self.items[c][3] >= 0 and int(self.pop.region_of(person)[0]) != self.items[c][3]:
            s *= self.b.off_topic_factor
        return s

    def reach_bookkeeping(self, v: int, origin: int, is_direct: bool) -> None:
        counters, ex = self.counters, self.exposures.get(v, 0)
        if ex == 0:
            counters["reach"] += 1
            self.stats["first_exposures_total"][origin] += 1
            if is_direct:
                self.stats["first_exposures_direct"][origin] += 1
        self.exposures[v] = ex + 1
        counters["impressions"] += 1
        if ex + 1 == self.sc.metrics.effective_reach_threshold:
            counters["effective_reach"] += 1
        if is_direct and v not in self.direct:
            self.direct.add(v)
            counters["direct_reach"] += 1

    def deliver(
        self,
        v: int,
        c: int,
        now: float,
        weight: float,
        mult: float,
        origin: int,
        depth: int,
        is_direct: bool,
    ) -> bool:
        """Steps 1-2 of one delivery; returns whether ``v`` had already received ``c``."""
        b = self.b
        self.reach_bookkeeping(v, origin, is_direct)
        seen = (c, v) in self.mem
        shift = now * self.lam_x
        if seen:
            log_x, survival = self.mem[(c, v)]
            x = math.exp(float(log_x) - shift) + weight
            self.counters["duplicate_exposures"] += 1
        else:
            x, survival = weight, f32(1.0)
        self.mem[(c, v)] = (f32(math.log(x) + shift), survival)
        p0, appeal = self.items[c][0], self.items[c][1]
        if (c, v) in self.reposted or p0 <= 0:
            return seen
        hz = p0 * appeal * mult * self.suit(v, c)
        if x != 1.0:
            r = 1.0 if b.alpha == 0 else (x if b.alpha == 1 else x**b.alpha)
            if b.beta != 0:
                r *= math.exp(-b.beta * (x - 1.0))
            hz *= r
        # Sellke's threshold: v reposts at the first delivery where the survival prod(1 - h) <= U(c, v)
        left = float(survival) * (1.0 - hz)
        if S.uniform(S.derive(self.k_rep, c), v) < left:
            self.mem[(c, v)] = (self.mem[(c, v)][0], f32(left))
            return seen
        self.reposted.add((c, v))
        self.counters["repost_decisions"] += 1
        lat = b.latency.median
        if b.latency.sigma > 0:
            lat *= math.exp(b.latency.sigma * S.normal(S.derive(self.k_lat, c), v))
        due = now + lat
        self.repost_log.append((v, c, depth, origin, now, due))
        if due < self.horizon:
            heapq.heappush(self.queue, (due, v, c, depth, origin))
        else:
            self.counters["pending_at_horizon"] += 1
        return seen

    def load_and_exit(self, a: int, e: int, v: int, c: int, now: float, weight: float, seen: bool) -> None:
        """Steps 3-4 on the (account, person) edge ``e``."""
        fa = self.fa
        irrelevant = self.suit(v, c) < 1.0
        add = 1.0 + fa.w_dup * weight * seen + fa.w_irr * irrelevant + (fa.w_promo if self.items[c][4] else 0.0)
        lv, lt = self.load.get(e, (f32(0.0), f32(-math.inf)))
        value = _decay(float(lv), float(lt), now, fa.load_half_life) + add
        self.load[e] = (f32(value), f32(now))
        theta = float(self.pop.tolerance_of(np.array([v]))[0])
        if value > theta and v not in self.fatigued:
            self.fatigued.add(v)
            self.counters["fatigued"] += 1
        p_exit = min(fa.p_exit_max, fa.kappa * max(0.0, value / theta - 1.0))
        key = self.akeys[a]
        if p_exit > 0 and S.uniform(S.derive(S.derive(self.k_exit, c), key), v) < p_exit:
            kind = "mutes" if S.uniform(S.derive(S.derive(self.k_mute, c), key), v) < fa.q_mute else "unfollows"
            self.status[e] = kind
            self.counters[kind] += 1
            self.stats[kind][a] += 1

    def publish_account(self, a: int, c: int, now: float, variation: str) -> None:
        acc, b = self.mx.accounts[a], self.b
        weight = b.variation_weights[variation]
        mult = b.commentary_appeal if variation == "commentary" and acc.kind in PERSONAL_VOICES else 1.0
        world = self.world
        for e in range(int(world.audience.indptr[a]), int(world.audience.indptr[a + 1])):
            if self.status.get(e, "active") != "active" or world.churn_time[e] <= now:
                continue
            v = int(world.audience.indices[e])
            self.stats["deliveries"][a] += 1
            seen = self.deliver(v, c, now, weight, mult, a, 1, True)
            if self.fa.enabled:
                self.load_and_exit(a, e, v, c, now, weight, seen)

    def schedule(self, t: float, a: int, c: int, variation: str, via: int) -> None:
        if t >= self.horizon:
            self.late.add((a, c))  # pending unless the account publishes the item anyway
            return
        old = self.scheduled.get((a, c))
        if old is not None and old <= (t, via):
            return
        self.scheduled[(a, c)] = (t, via)
        heapq.heappush(self.events, (t, a, c, variation, via))

    def decide_relays(self, a: int, c: int, t: float) -> None:
        it = self.mx.items[c]
        for edge in self.mx.out_edges(a):
            if (edge.target, c) in self.published:
                continue
            on_topic = it.topic == GENERAL_TOPIC or it.topic in self.mx.accounts[edge.target].topics
            p = edge.probability if on_topic else edge.off_topic_probability
            src, tgt = self.akeys[a], self.akeys[edge.target]
            if S.uniform(S.derive(S.derive(self.k_relay, c), src), tgt) >= p:
                continue
            delay = edge.latency.median
            if edge.latency.sigma > 0:
                delay *= math.exp(edge.latency.sigma * S.normal(S.derive(S.derive(self.k_rlat, c), src), tgt))
            self.schedule(t + delay, edge.target, c, edge.variation, a)

    def next_event(self) -> None:
        """Process the earliest event: a follower repost before an account publication at equal hours."""
        events, queue = self.events, self.queue
        while events and self.scheduled.get((events[0][1], events[0][2])) != (events[0][0], events[0][4]):
            heapq.heappop(events)  # superseded by an earlier relay of the same item
        ta = events[0][0] if events else math.inf
        if queue and queue[0][0] < ta:
            due, u, c, depth, origin = heapq.heappop(queue)
            self.counters["follower_reposts"] += 1
            for v in self.world.followers_of(u):
                self.deliver(int(v), c, due, 1.0, 1.0, origin, depth + 1, False)
            return
        if not events:
            return
        t, a, c, variation, via = heapq.heappop(events)
        del self.scheduled[(a, c)]
        if (a, c) in self.published:
            return
        self.published.add((a, c))
        kind = "posts" if via < 0 else "relays"
        self.counters["account_posts" if via < 0 else "account_relays"] += 1
        self.stats[kind][a] += 1
        if via >= 0:
            self.relays.append((self.mx.accounts[via].id, self.mx.accounts[a].id, c, t))
        self.publish_account(a, c, t, variation)
        self.decide_relays(a, c, t)

    def finish(self) -> ReferenceResult:
        world = self.world
        for e in range(world.audience.n_edges):
            if world.churn_time[e] < self.horizon and self.status.get(e, "active") == "active":
                a = int(np.searchsorted(world.audience.indptr, e, side="right") - 1)
                self.counters["churned"] += 1
                self.stats["churned"][a] += 1
        self.counters["pending_at_horizon"] += len(self.late - self.published)
        self.counters["second_level_reach"] = self.counters["reach"] - self.counters["direct_reach"]
        return ReferenceResult(self.counters, self.stats, sorted(self.repost_log), self.relays, self.exposures)


def run_reference(loaded: LoadedScenario, world: World) -> ReferenceResult:
    """Run ``loaded`` on ``world`` to the horizon with the reference implementation."""
    run = _Run(loaded, world)
    for it in loaded.matrix.items:
        run.schedule(it.at, it.account, it.index, "verbatim", -1)
    while run.events or run.queue:
        run.next_event()
    return run.finish()
