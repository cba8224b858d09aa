"""Building the world: the population, the account audiences and the follower graph.

Two representations of the same world (``graph.world`` in a scenario):

* **explicit**: the follower graph materialised as a CSR and per-person arrays (region, interest,
  tolerance) — fastest for small and mid-size populations;
* **implicit**: nothing per person; a follower row is generated when someone reposts and per-person
  attributes are computed on demand, so memory and build time do not grow with the population (a
  580M-person platform costs what its audiences and cascades cost).

Both draw every number from :mod:`simulator.streams` keyed by the seed and the entities involved, so they
are the same world: a run gives identical results in either (tested). ``auto`` picks explicit up to
:data:`EXPLICIT_MAX_EDGES` follower edges. Nothing here depends on repost, relay or fatigue parameters
(other than the tolerance and churn laws), so runs that differ only in those share the world.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from simulator import streams as S
from simulator.scenario.matrix import Matrix
from simulator.scenario.schema import Scenario
from simulator.world.audiences import Overlap, build_audiences, overlap_warnings, realised_overlaps
from simulator.world.generator import GraphModel, graph_model, materialize
from simulator.world.graphs import CSR
from simulator.world.population import Population, build_population

# Up to this many follower draws the graph is materialised (4 bytes a draw: 160 MB), above it the world is
# implicit. Measured on this project's 2-core machine (benchmarks/model.py): see README "Speed and scale".
EXPLICIT_MAX_EDGES = 40_000_000

WorldMode = Literal["explicit", "implicit"]


@dataclass
class World:
    """Everything built before the clock starts.

    Attributes:
        population: who the people are (cells, tolerance law).
        graph_model: the follower-graph generator; ``graph`` its materialised CSR (explicit worlds) or None.
        audience: account -> follower CSR (explicit in both modes: audiences are part of the scenario).
        churn_time: float32 hours, per audience edge: when baseline churn ends it (inf = never).
        region, interest, tolerance: per-person arrays (explicit worlds) or None (computed on demand).
        overlaps: realised audience overlaps; warnings: what the build could not realise as declared.
    """

    population: Population
    graph_model: GraphModel
    graph: CSR | None
    audience: CSR
    churn_time: np.ndarray
    region: np.ndarray | None = None
    interest: np.ndarray | None = None
    tolerance: np.ndarray | None = None
    overlaps: list[Overlap] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def mode(self) -> WorldMode:
        return "explicit" if self.graph is not None else "implicit"

    @property
    def n(self) -> int:
        return self.population.n

    @property
    def region_names(self) -> list[str]:
        return list(self.population.region_names)

    @property
    def interest_names(self) -> list[str]:
        return list(self.population.interest_names)

    @property
    def cells(self) -> np.ndarray:
        return self.population.cells

    @property
    def region_bounds(self) -> np.ndarray:
        return self.population.region_bounds

    def followers_of(self, person: int) -> np.ndarray:
        """The people who see ``person``'s reposts (in draw order)."""
        if self.graph is not None:
            return self.graph.row(person).astype(np.int64)
        from simulator.world.generator import follower_row

        return follower_row(self.graph_model, person)

    def nbytes(self) -> int:
        """Bytes held by the world's arrays."""
        arrays = [
            self.audience.indptr,
            self.audience.indices,
            self.churn_time,
            self.region,
            self.interest,
            self.tolerance,
        ]
        if self.graph is not None:
            arrays += [self.graph.indptr, self.graph.indices]
        return int(sum(a.nbytes for a in arrays if a is not None))


def choose_mode(sc: Scenario) -> WorldMode:
    """``graph.world`` of a scenario, ``auto`` resolved by the expected number of follower edges."""
    mode = getattr(sc.graph, "world", "auto")
    if mode == "explicit":
        return "explicit"
    if mode == "implicit":
        return "implicit"
    return "explicit" if sc.population.size * sc.graph.mean_followees <= EXPLICIT_MAX_EDGES else "implicit"


def churn_times(matrix: Matrix, audience: CSR, rate_per_day: float, seed: int) -> np.ndarray:
    """Baseline-churn time of every audience edge (exponential with ``rate_per_day``), float32 hours."""
    if rate_per_day <= 0:
        return np.full(audience.n_edges, np.inf, dtype=np.float32)
    key = S.kind_key(seed, S.CHURN)
    out = np.empty(audience.n_edges, dtype=np.float32)
    per_hour = rate_per_day / 24.0
    for a in matrix.accounts:
        lo, hi = audience.indptr[a.index], audience.indptr[a.index + 1]
        u = S.uniforms(S.derive(key, S.account_key(a.id)), audience.indices[lo:hi].astype(np.int64))
        out[lo:hi] = -np.log(u) / per_hour
    return out


def build_world(sc: Scenario, matrix: Matrix, mode: WorldMode | None = None) -> World:
    """Build the population, audiences, follower graph and churn clocks of a scenario."""
    mode = mode or choose_mode(sc)
    pop = build_population(sc)
    gm = graph_model(
        pop.n, sc.graph.mean_followees, sc.graph.tail_exponent, sc.graph.locality, pop.region_bounds, sc.seed
    )
    regions = {r: i for i, r in enumerate(pop.region_names)}
    interests = {t: i for i, t in enumerate(pop.interest_names)}
    audience, warnings = build_audiences(matrix, pop, sc.seed, regions, interests)
    overlaps = realised_overlaps(matrix, audience)
    sizes: dict[str, int] = {}
    for a in matrix.accounts:
        sizes[a.group or a.id] = sizes.get(a.group or a.id, 0) + int(
            audience.indptr[a.index + 1] - audience.indptr[a.index]
        )
    warnings += overlap_warnings(overlaps, sizes, pop.n)
    churn = churn_times(matrix, audience, sc.fatigue.churn_per_day, sc.seed)
    world = World(pop, gm, None, audience, churn, overlaps=overlaps, warnings=warnings)
    if mode == "explicit":
        world.graph = materialize(gm)
        world.region, world.interest, world.tolerance = pop.dense()
    return world


def custom_world(n: int, graph: CSR, audiences: Sequence[np.ndarray], tolerance: float = 1e9) -> World:
    """A one-region, one-interest explicit world around a given follower graph and account audiences
    (audience ``i`` = followers of account ``i``); for oracles and hand-built tests."""
    lengths = np.array([len(a) for a in audiences], dtype=np.int64)
    indptr = np.zeros(len(audiences) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = (
        np.concatenate([np.sort(np.asarray(a)) for a in audiences]).astype(np.int32)
        if lengths.sum()
        else np.zeros(0, dtype=np.int32)
    )
    pop = Population(n, ("all",), ("general",), np.array([0, n], dtype=np.int64), 0, float(tolerance), 0.0)
    gm = GraphModel(
        n, float(graph.n_edges) / max(1, n), 0.0, 1.0, 0.0, 0.0, np.array([0, n], dtype=np.int64), 0, 0, 0, 0
    )
    zeros = np.zeros(n, dtype=np.uint16)
    return World(
        pop,
        gm,
        graph,
        CSR(indptr, indices),
        np.full(int(lengths.sum()), np.inf, dtype=np.float32),
        zeros,
        zeros.copy(),
        np.full(n, np.float32(tolerance)),
    )


def expected_edges(sc: Scenario) -> float:
    """Expected follower edges of a scenario's graph (for memory estimates)."""
    return float(sc.population.size) * float(sc.graph.mean_followees)
