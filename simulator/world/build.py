"""Building the world: the follower population, account audiences and the follower graph.

All randomness comes from independent streams spawned from the scenario seed
(:func:`streams`): the population and the follower graph do not depend on the account matrix,
and nothing here depends on repost or relay probabilities, so runs that differ only in those
see the very same world (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.scenario.matrix import Matrix
from simulator.scenario.schema import Scenario
from simulator.seeding import streams
from simulator.world.audiences import build_audiences
from simulator.world.graphs import CSR, follower_graph
from simulator.world.population import build_population


@dataclass
class World:
    """Everything built before the clock starts (arrays indexed by follower / account edge)."""

    n: int
    region: np.ndarray  # uint16, index into region_names
    interest: np.ndarray  # uint16, index into interest_names
    region_names: list[str]
    interest_names: list[str]
    cells: np.ndarray  # (n_regions, n_interests + 1) start index of each region x interest cell
    tolerance: np.ndarray  # float32, fatigue tolerance theta_i
    graph: CSR  # follower -> its followers
    audience: CSR  # account -> its followers
    churn_time: np.ndarray  # float32 hours, per account edge: baseline unfollow time

    @property
    def region_bounds(self) -> np.ndarray:
        return np.append(self.cells[:, 0], self.n)


def build_world(sc: Scenario, matrix: Matrix, rngs: dict[str, np.random.Generator] | None = None) -> World:
    """Build the population, audiences, follower graph and churn clocks of a scenario."""
    rngs = rngs or streams(sc.seed)
    region, interest, cells, tolerance = build_population(sc, rngs["population"])
    bounds = np.append(cells[:, 0], sc.population.size)
    graph = follower_graph(
        sc.population.size, sc.graph.mean_followees, sc.graph.tail_exponent, sc.graph.locality, bounds, rngs["graph"]
    )
    audience = build_audiences(sc, matrix, cells, rngs["audiences"])
    rate = sc.fatigue.churn_per_day / 24.0  # per hour
    churn_time = (
        rngs["churn"].exponential(1.0 / rate, audience.n_edges).astype(np.float32)
        if rate > 0
        else np.full(audience.n_edges, np.inf, dtype=np.float32)
    )
    return World(
        sc.population.size,
        region,
        interest,
        list(sc.population.regions),
        list(sc.population.interests),
        cells,
        tolerance,
        graph,
        audience,
        churn_time,
    )
