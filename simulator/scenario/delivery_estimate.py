"""How many deliveries a scenario implies, before anything is built: the driver of run time and of the state.

The engine keeps state only for what a run touches: a 16-byte slot per (item, person) pair that received a
delivery and one per person reached. Both, and the run time, follow the deliveries, so the loader's cost
model (:mod:`simulator.scenario.loading`) needs them in expectation:

* **account deliveries** of item ``c``: every account ``a`` that publishes ``c`` delivers it to its
  audience. The poster publishes with probability 1; a relay edge ``s -> t`` fires with its (on- or
  off-topic) probability when ``s`` publishes, and ``t`` publishes if any of its firing edges fires:
  ``P_t = 1 - prod_s (1 - p_st P_s)`` (edges treated as independent), iterated to a fixed point;
* **follower deliveries**: a delivery is reposted with chance ``h_c = p0_c E[appeal] s_c`` (``s_c`` the
  population mean of the suitability: 1 on-topic and in scope, ``s_off`` per mismatch) and a repost is
  delivered to the reposter's followers, ``z`` on average (``graph.mean_followees``: a person reached
  along a follow edge is picked by followees, which are independent of follower counts, see
  ``docs/model.md#directed-follower-graph``). So each account delivery brings ``R + R^2 + ...`` follower
  deliveries with ``R = h_c z``: in all ``1 / (1 - R)`` deliveries per account delivery, the branching
  process's mean (``docs/model.md``, "Branching"), capped at the population per item.

Neglected, so this is an estimate (measured against runs in ``tests/test_delivery_estimate.py``): the
exposure response (repeated deliveries), fatigue exits, reposts and relays falling after the horizon,
duplicate deliveries (a pair counts once in the state), and saturation short of the whole population.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.scenario.matrix import Matrix
from simulator.scenario.schema import GENERAL_TOPIC, NATIONAL_SCOPE, Scenario

MAX_BRANCHING = 0.95  # R at or above this: a supercritical item, counted as reaching everyone
FIXED_POINT_ROUNDS = 64  # relay chains longer than this add nothing measurable


@dataclass(frozen=True)
class DeliveryEstimate:
    """Expected deliveries of a scenario (counts of deliveries; ``pairs`` of (item, person))."""

    account: float  # deliveries by matrix accounts (publications x audiences)
    follower: float  # deliveries of follower reposts
    pairs: float  # (item, person) pairs reached: an upper estimate of the item table's entries
    people: float  # people reached (at most the population)

    @property
    def total(self) -> float:
        return self.account + self.follower


def mean_followers(matrix: Matrix, n: int) -> list[float]:
    """Expected followers of each account: lognormal mean, capped at the population (people)."""
    return [min(float(n), a.followers.median * math.exp(a.followers.sigma**2 / 2)) for a in matrix.accounts]


def publication_chances(matrix: Matrix, item: int) -> np.ndarray:
    """Probability that each account publishes ``item`` (its poster: 1), through the relay edges
    (vectorised over the edges: the matrix may hold millions of them)."""
    it = matrix.items[item]
    n = len(matrix.accounts)
    chance = np.zeros(n)
    chance[it.account] = 1.0
    if not matrix.relays:
        return chance
    src = np.fromiter((e.source for e in matrix.relays), np.int64, len(matrix.relays))
    tgt = np.fromiter((e.target for e in matrix.relays), np.int64, len(matrix.relays))
    on = np.fromiter(
        (it.topic == GENERAL_TOPIC or it.topic in matrix.accounts[e.target].topics for e in matrix.relays),
        bool,
        len(matrix.relays),
    )
    p = np.where(
        on,
        np.fromiter((e.probability for e in matrix.relays), float, len(matrix.relays)),
        np.fromiter((e.off_topic_probability for e in matrix.relays), float, len(matrix.relays)),
    )
    keep = (p > 0) & (tgt != it.account)
    src, tgt, p = src[keep], tgt[keep], p[keep]
    receives = np.bincount(tgt, minlength=n) > 0
    for _ in range(FIXED_POINT_ROUNDS):
        with np.errstate(divide="ignore"):  # an edge sure to fire: log 0 = -inf, exp(-inf) = 0
            log_miss = np.bincount(tgt, weights=np.log1p(-p * chance[src]), minlength=n)
        new = np.where(receives, 1.0 - np.exp(log_miss), chance)
        moved = float(np.abs(new - chance).max())
        chance = new
        if moved < 1e-9:
            break
    return chance


def _share(weights: dict[str, float], name: str) -> float:
    total = sum(weights.values())
    return weights.get(name, 0.0) / total if total > 0 else 0.0


def repost_chance(sc: Scenario, matrix: Matrix, item: int) -> float:
    """``h_c``: the mean chance that a delivery of ``item`` is reposted (a first exposure, r(1) = 1)."""
    it, b = matrix.items[item], sc.behaviour
    p0 = b.p0_promotional if it.promotional else b.p0
    appeal = it.appeal if it.appeal is not None else math.exp(b.appeal_sigma**2 / 2)
    s = 1.0
    if it.topic != GENERAL_TOPIC:
        q = _share(sc.population.interests, it.topic)
        s *= q + (1 - q) * b.off_topic_factor
    if it.scope != NATIONAL_SCOPE:
        q = _share(sc.population.regions, it.scope)
        s *= q + (1 - q) * b.off_topic_factor
    return min(1.0, p0 * appeal * s)


def estimate_deliveries(sc: Scenario, matrix: Matrix, audience_union: float | None = None) -> DeliveryEstimate:
    """Expected account and follower deliveries, (item, person) pairs and people reached by a scenario.
    ``audience_union``: people following at least one account (default: the sum of the audiences)."""
    n = float(sc.population.size)
    followers = mean_followers(matrix, sc.population.size)
    z = sc.graph.mean_followees
    account = follower = pairs = cascade_people = 0.0
    audience = np.asarray(followers)
    direct_of: dict[tuple[int, str], float] = {}  # items of one poster and topic spread alike
    for c, it in enumerate(matrix.items):
        key = (it.account, it.topic)
        if key not in direct_of:
            direct_of[key] = float(publication_chances(matrix, c) @ audience)
        direct = direct_of[key]
        r = repost_chance(sc, matrix, c) * z
        # below criticality the branching mean; above it everyone is reached, each reposting with h_c
        spread = min(direct * r / (1.0 - r) if r < MAX_BRANCHING else math.inf, n * max(1.0, r))
        account += direct
        follower += spread
        pairs += min(n, direct + spread)
        cascade_people += min(n, spread)
    union = sum(followers) if audience_union is None else audience_union
    # cascades of different items reach different people (random reposters); audiences are the same people
    people = min(n, union + (n - union) * (1.0 - math.exp(-cascade_people / n))) if n else 0.0
    return DeliveryEstimate(account, follower, pairs, people)
