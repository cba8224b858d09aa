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


def run_reference(loaded: LoadedScenario, world: World) -> ReferenceResult:  # noqa: C901 - one readable loop
    """Run ``loaded`` on ``world`` to the horizon with the reference implementation."""
    sc, mx = loaded.scenario, loaded.matrix
    b, fa = sc.behaviour, sc.fatigue
    seed, horizon = sc.seed, sc.time.horizon
    pop = world.population
    akeys = [S.account_key(a.id) for a in mx.accounts]
    interests = {t: i for i, t in enumerate(pop.interest_names)}
    regions = {r: i for i, r in enumerate(pop.region_names)}
    appeal_key = S.kind_key(seed, S.APPEAL)
    items = []
    for it in mx.items:
        appeal = it.appeal if it.appeal is not None else math.exp(b.appeal_sigma * S.normal(appeal_key, it.index))
        items.append(
            (
                b.p0_promotional if it.promotional else b.p0,
                appeal,
                -1 if it.topic == GENERAL_TOPIC else interests[it.topic],
                -1 if it.scope == NATIONAL_SCOPE else regions[it.scope],
                it.promotional,
            )
        )
    k_racc, k_rfol, k_lat, k_exit, k_mute = (
        S.kind_key(seed, k) for k in (S.REPOST_ACCOUNT, S.REPOST_FOLLOWER, S.REPOST_LATENCY, S.EXIT, S.MUTE)
    )

    def region(v: int) -> int:
        return int(pop.region_of(np.array([v]))[0])

    def interest(v: int) -> int:
        return int(pop.interest_of(np.array([v]))[0])

    def suit(v: int, c: int) -> float:
        s = 1.0
        if items[c][2] >= 0 and interest(v) != items[c][2]:
            s *= b.off_topic_factor
        if items[c][3] >= 0 and region(v) != items[c][3]:
            s *= b.off_topic_factor
        return s

    def decay(value: float, since: float, now: float, half: float) -> float:
        if since == -math.inf:
            return 0.0
        if half == math.inf or now <= since:
            return float(value)
        return float(value) * math.exp(-math.log(2.0) * (now - since) / half)

    counters = dict.fromkeys(
        (
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
        ),
        0,
    )
    n_acc = len(mx.accounts)
    stats = {
        k: [0] * n_acc
        for k in (
            "posts",
            "relays",
            "deliveries",
            "first_exposures_direct",
            "first_exposures_total",
            "mutes",
            "unfollows",
            "churned",
        )
    }
    exposures: dict[int, int] = {}
    direct: set[int] = set()
    fatigued: set[int] = set()
    mem: dict[tuple[int, int], tuple[np.float32, np.float32]] = {}
    reposted: set[tuple[int, int]] = set()
    load: dict[int, tuple[np.float32, np.float32]] = {}
    status: dict[int, str] = {}
    repost_log: list[tuple[int, int, int, int, float, float]] = []
    queue: list[tuple[float, int, int, int, int]] = []  # (due, person, item, depth, origin)
    depth_hist: dict[int, int] = {}
    thr = sc.metrics.effective_reach_threshold

    def deliver(
        v: int,
        c: int,
        now: float,
        weight: float,
        mult: float,
        poster_key: int,
        origin: int,
        depth: int,
        is_direct: bool,
    ) -> bool:
        ex = exposures.get(v, 0)
        if ex == 0:
            counters["reach"] += 1
            stats["first_exposures_total"][origin] += 1
            if is_direct:
                stats["first_exposures_direct"][origin] += 1
        exposures[v] = ex + 1
        counters["impressions"] += 1
        if ex + 1 == thr:
            counters["effective_reach"] += 1
        if is_direct and v not in direct:
            direct.add(v)
            counters["direct_reach"] += 1
        seen = (c, v) in mem
        if seen:
            m, t0 = mem[(c, v)]
            x = decay(float(m), float(t0), now, b.exposure_half_life) + weight
            counters["duplicate_exposures"] += 1
        else:
            x = weight
        mem[(c, v)] = (f32(x), f32(now))
        p0, appeal = items[c][0], items[c][1]
        if (c, v) not in reposted and p0 > 0:
            hz = p0 * appeal * mult * suit(v, c)
            if x != 1.0:
                r = 1.0 if b.alpha == 0 else (x if b.alpha == 1 else x**b.alpha)
                if b.beta != 0:
                    r *= math.exp(-b.beta * (x - 1.0))
                hz *= r
            if S.uniform(poster_key, v) < hz:
                reposted.add((c, v))
                counters["repost_decisions"] += 1
                lat = b.latency.median
                if b.latency.sigma > 0:
                    lat *= math.exp(b.latency.sigma * S.normal(S.derive(k_lat, c), v))
                due = now + lat
                repost_log.append((v, c, depth, origin, now, due))
                if due < horizon:
                    heapq.heappush(queue, (due, v, c, depth, origin))
                else:
                    counters["pending_at_horizon"] += 1
        return seen

    def publish_account(a: int, c: int, now: float, variation: str) -> None:
        acc = mx.accounts[a]
        weight = b.variation_weights[variation]
        mult = b.commentary_appeal if variation == "commentary" and acc.kind in PERSONAL_VOICES else 1.0
        kd = S.derive(S.derive(k_racc, c), akeys[a])
        ke = S.derive(S.derive(k_exit, c), akeys[a])
        km = S.derive(S.derive(k_mute, c), akeys[a])
        lo, hi = int(world.audience.indptr[a]), int(world.audience.indptr[a + 1])
        for e in range(lo, hi):
            if status.get(e, "active") != "active" or world.churn_time[e] <= now:
                continue
            v = int(world.audience.indices[e])
            stats["deliveries"][a] += 1
            seen = deliver(v, c, now, weight, mult, kd, a, 1, True)
            if not fa.enabled:
                continue
            irrelevant = suit(v, c) < 1.0
            add = 1.0 + fa.w_dup * weight * seen + fa.w_irr * irrelevant + (fa.w_promo if items[c][4] else 0.0)
            lv, lt = load.get(e, (f32(0.0), f32(-math.inf)))
            value = decay(float(lv), float(lt), now, fa.load_half_life) + add
            load[e] = (f32(value), f32(now))
            theta = float(pop.tolerance_of(np.array([v]))[0])
            if value > theta and v not in fatigued:
                fatigued.add(v)
                counters["fatigued"] += 1
            p_exit = min(fa.p_exit_max, fa.kappa * max(0.0, value / theta - 1.0))
            if p_exit > 0 and S.uniform(ke, v) < p_exit:
                kind = "mutes" if S.uniform(km, v) < fa.q_mute else "unfollows"
                status[e] = kind
                counters[kind] += 1
                stats[kind][a] += 1

    # account events: (hour, account, item, variation, via)
    events: list[tuple[float, int, int, str, int]] = []
    scheduled: dict[tuple[int, int], tuple[float, int]] = {}
    published: set[tuple[int, int]] = set()
    relays: list[tuple[str, str, int, float]] = []

    def schedule(t: float, a: int, c: int, variation: str, via: int) -> None:
        if t >= horizon:
            counters["pending_at_horizon"] += 1
            return
        old = scheduled.get((a, c))
        if old is not None and old <= (t, via):
            return
        scheduled[(a, c)] = (t, via)
        heapq.heappush(events, (t, a, c, variation, via))

    for it in mx.items:
        schedule(it.at, it.account, it.index, "verbatim", -1)
    k_relay, k_rlat = S.kind_key(seed, S.RELAY), S.kind_key(seed, S.RELAY_LATENCY)
    while events or queue:
        while events and scheduled.get((events[0][1], events[0][2])) != (events[0][0], events[0][4]):
            heapq.heappop(events)  # superseded by an earlier relay of the same item
        ta = events[0][0] if events else math.inf
        if queue and queue[0][0] < ta:
            due, u, c, depth, origin = heapq.heappop(queue)
            counters["follower_reposts"] += 1
            depth_hist[depth] = depth_hist.get(depth, 0) + 1
            kd = S.derive(S.derive(k_rfol, c), u)
            for v in world.followers_of(u):
                deliver(int(v), c, due, 1.0, 1.0, kd, origin, depth + 1, False)
            continue
        if not events:
            break
        t, a, c, variation, via = heapq.heappop(events)
        del scheduled[(a, c)]
        if (a, c) in published:
            continue
        published.add((a, c))
        if via < 0:
            counters["account_posts"] += 1
            stats["posts"][a] += 1
        else:
            counters["account_relays"] += 1
            stats["relays"][a] += 1
            relays.append((mx.accounts[via].id, mx.accounts[a].id, c, t))
        publish_account(a, c, t, variation)
        it = mx.items[c]
        for edge in mx.out_edges(a):
            if (edge.target, c) in published:
                continue
            tgt = mx.accounts[edge.target]
            on_topic = it.topic == GENERAL_TOPIC or it.topic in tgt.topics
            p = edge.probability if on_topic else edge.off_topic_probability
            if S.uniform(S.derive(S.derive(k_relay, c), akeys[a]), akeys[edge.target]) >= p:
                continue
            delay = edge.latency.median
            if edge.latency.sigma > 0:
                z = S.normal(S.derive(S.derive(k_rlat, c), akeys[a]), akeys[edge.target])
                delay *= math.exp(edge.latency.sigma * z)
            schedule(t + delay, edge.target, c, edge.variation, a)
    for e in range(world.audience.n_edges):
        if world.churn_time[e] < horizon and status.get(e, "active") == "active":
            a = int(np.searchsorted(world.audience.indptr, e, side="right") - 1)
            counters["churned"] += 1
            stats["churned"][a] += 1
    counters["second_level_reach"] = counters["reach"] - counters["direct_reach"]
    return ReferenceResult(counters, stats, sorted(repost_log), relays, exposures)
