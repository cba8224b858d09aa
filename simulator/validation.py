"""Oracle report: the full propsim engine in plain-IC mode against analytic results.

The engine (:class:`~simulator.model.PropagationModel`) is run with the follower model reduced
to the plain independent cascade (IC) of MODEL-REFERENCE section 4: fatigue and churn off,
exposure response ``alpha = beta = 0`` (``r(k) = 1``), fixed appeal 1, general topic, so that
every delivery to a follower who has not yet reposted is an independent chance ``T = p0``.
The model then runs on graphs built here (:class:`~simulator.world.World` assembled by hand)
and the simulated cascades are compared with theory:

* undirected configuration model (Newman 2002): mean outbreak from a random seed below the
  threshold ``T_c = <k>/(<k^2>-<k>)``, probability and relative size of a large outbreak
  above it (``S = 1 - G0(1-T+Tu)``, ``u = G1(1-T+Tu)``);
* directed follower graph (the engine's own light-tailed generator): offspring
  ``R = T<jk>/z``, expected reposters at depth ``d`` from an account with ``F`` followers
  ``F T R^(d-1)``, mean size ``1 + TF/(1-R)``, and from a random seed ``1 + Tz/(1-R)``;
* branching process with Poisson(m) offspring: ``E[size] = 1/(1-m)`` and the Borel law
  ``P(S=n) = e^(-mn)(mn)^(n-1)/n!``;
* repeated exposure (matrix oracle): a follower receiving ``k`` deterministic deliveries
  reposts with probability ``1 - prod_j (1 - h(j))``, ``h(j) = p0 r(x_j)`` with decaying
  exposure memory ``x_j`` (this one keeps the default ``alpha``, ``beta``).

Every row of the report is ``(theory, simulated, standard error, z)``; a row passes when
``|z| < Z_TOL``. Standard errors come from replicate cascades (independent items of one run:
with fatigue off and ``r = 1`` items do not interact). All seeds are fixed and derived from
stable keys, so the report is reproducible.

Entry points: :func:`run_report` (returns a :class:`Report`), :func:`write_report` (table as
CSV + markdown, plot), and ``propsim validate-model`` (:mod:`simulator.validation_cli`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .graphs import CSR, csr_from_edges, follower_graph
from .model import PropagationModel
from .scenario_io import LoadedScenario, load_document
from .world import World

Z_TOL = 4.0  # |z| below this passes (about 6e-5 two-sided false-alarm rate per row)

# Plain-IC latency: short and random so that waves interleave inside ticks (exercising the
# event buckets) while every cascade still finishes long before the horizon.
IC_LATENCY = {"median": 0.1, "sigma": 1.0}  # hours
IC_TICK_H = 1.0
IC_HORIZON_H = 100.0  # P(one latency > 100 h) = P(Z > ln(1000)) ~ 3e-12

MAX_ITEMS_PER_RUN = 500  # the matrix allows 1000 items
MAX_STATE_CELLS = 20_000_000  # items x followers per run: per-item state is ~9 bytes a cell (180 MB)


# ==============================================================================================
# Theory (pure functions)
# ==============================================================================================

def degree_pk(degrees: np.ndarray) -> np.ndarray:
    """Empirical degree distribution ``p_k`` (index k) of a degree sequence."""
    d = np.asarray(degrees, dtype=np.int64)
    return np.bincount(d) / len(d)


def moments(pk: np.ndarray) -> tuple[float, float]:
    """(<k>, <k^2>) of a degree distribution."""
    k = np.arange(len(pk), dtype=float)
    return float((k * pk).sum()), float((k * k * pk).sum())


def undirected_threshold(pk: np.ndarray) -> float:
    """Epidemic threshold ``T_c = <k>/(<k^2> - <k>)`` of the configuration model."""
    k1, k2 = moments(pk)
    return k1 / (k2 - k1)


def undirected_mean_outbreak(pk: np.ndarray, T: float) -> float:
    """Mean outbreak size from a random seed below threshold, seed included:
    ``1 + T<k>^2 / (<k> - T(<k^2> - <k>))``; ``inf`` at or above the threshold."""
    k1, k2 = moments(pk)
    den = k1 - T * (k2 - k1)
    return 1.0 + T * k1 * k1 / den if den > 0 else math.inf


def _g0(pk: np.ndarray, x: float) -> float:
    return float(np.polynomial.polynomial.polyval(x, pk))


def _g1(pk: np.ndarray, x: float) -> float:
    k = np.arange(len(pk), dtype=float)
    d = (k * pk)[1:]  # coefficients of G0'(x)
    return float(np.polynomial.polynomial.polyval(x, d) / d.sum())


def undirected_giant_size(pk: np.ndarray, T: float) -> float:
    """Giant outbreak share ``S = 1 - G0(1 - T + T u)`` with ``u = G1(1 - T + T u)`` the
    smallest root in [0, 1]; 0 at or below the threshold. For the undirected model this is
    also the probability that a random seed starts a large outbreak."""
    from scipy.optimize import brentq

    if T <= undirected_threshold(pk):
        return 0.0

    def f(u: float) -> float:
        return _g1(pk, 1.0 - T + T * u) - u

    hi = None
    for e in range(1, 60):  # f < 0 just below the trivial root u = 1 above threshold
        u = 1.0 - 2.0 ** -e
        if f(u) < 0:
            hi = u
            break
    if hi is None:
        return 0.0
    u = brentq(f, 0.0, hi, xtol=1e-14) if f(0.0) > 0 else 0.0
    return 1.0 - _g0(pk, 1.0 - T + T * u)


def directed_moments(graph: CSR) -> tuple[float, float]:
    """(z, <jk>) of a follower graph: z = mean followers per node, j = followees, k = followers."""
    k = graph.degrees().astype(float)
    j = np.bincount(graph.indices, minlength=graph.n_rows).astype(float)
    return float(k.mean()), float((j * k).mean())


def directed_offspring(T: float, z: float, jk: float) -> float:
    """Mean offspring ``R = T <jk> / z`` of a reposter reached along an edge."""
    return T * jk / z


def directed_depth_mean(F: float, T: float, R: float, depth: int) -> float:
    """Expected reposters at depth ``d`` from an account with ``F`` followers: ``F T R^(d-1)``."""
    return F * T * R ** (depth - 1)


def directed_mean_size(F: float, T: float, R: float) -> float:
    """Expected cascade size from an account with ``F`` followers (account counted):
    ``1 + T F / (1 - R)``."""
    return 1.0 + T * F / (1.0 - R) if R < 1 else math.inf


def branching_mean_size(m: float) -> float:
    """Expected total progeny of a subcritical branching process (root counted): ``1/(1-m)``."""
    return 1.0 / (1.0 - m) if m < 1 else math.inf


def borel_pmf(n: int | np.ndarray, m: float) -> np.ndarray:
    """Borel law of the total progeny with Poisson(m) offspring:
    ``P(S=n) = e^(-mn) (mn)^(n-1) / n!``, computed in logs."""
    from scipy.special import gammaln

    n = np.asarray(n, dtype=float)
    return np.exp(-m * n + (n - 1) * np.log(m * n) - gammaln(n + 1))


def response(x: np.ndarray | float, alpha: float, beta: float) -> np.ndarray:
    """Exposure response ``r(x) = x^alpha e^(-beta (x - 1))`` (MODEL-REFERENCE section 2)."""
    x = np.asarray(x, dtype=float)
    return x ** alpha * np.exp(-beta * (x - 1.0))


def repeated_exposure_probability(times: Sequence[float], p0: float, alpha: float, beta: float,
                                  half_life: float, weight: float = 1.0, mult: float = 1.0) -> float:
    """Probability that a follower reposts after deliveries at ``times`` (hours): memory
    ``x_j = sum_{i<=j} w 2^(-(t_j - t_i)/h_x)``, hazard ``h_j = min(1, p0 mult r(x_j))``,
    result ``1 - prod_j (1 - h_j)``."""
    t = np.asarray(times, dtype=float)
    p_none = 1.0
    for j in range(len(t)):
        x = float((weight * 2.0 ** (-(t[j] - t[: j + 1]) / half_life)).sum())
        p_none *= 1.0 - min(1.0, p0 * mult * float(response(x, alpha, beta)))
    return 1.0 - p_none


# ==============================================================================================
# Graphs
# ==============================================================================================

def configuration_model(degrees: np.ndarray, rng: np.random.Generator) -> CSR:
    """Undirected configuration model as a CSR storing both directions of every edge.

    Stubs are matched at random; self-loops and repeated pairs are dropped (the theory then
    uses the realised degrees, see :func:`degree_pk`).
    """
    d = np.asarray(degrees, dtype=np.int64).copy()
    if d.sum() % 2:
        d[int(rng.integers(len(d)))] += 1
    stubs = np.repeat(np.arange(len(d), dtype=np.int64), d)
    rng.shuffle(stubs)
    a, b = stubs[0::2], stubs[1::2]
    return csr_from_edges(len(d), np.concatenate([a, b]), np.concatenate([b, a]))


def negative_binomial_degrees(n: int, mean: float, shape: float, rng: np.random.Generator) -> np.ndarray:
    """Light-tailed degrees: negative binomial with the given mean and shape r
    (variance ``mean + mean^2 / r``)."""
    return rng.negative_binomial(shape, shape / (shape + mean), n)


def light_follower_graph(n: int, z: float, rng: np.random.Generator) -> CSR:
    """The engine's own follower-graph generator with Poisson follower counts, no locality."""
    return follower_graph(n, z, None, 0.0, np.array([0, n]), rng)


# ==============================================================================================
# Running the engine in plain-IC mode
# ==============================================================================================

class RecordingModel(PropagationModel):
    """A :class:`PropagationModel` that also logs every follower repost it executes.

    The engine exports only aggregate counters; the oracles and the calibration need
    per-cascade numbers. This subclass observes (never changes) the model: before the
    model delivers a wave of follower reposts it keeps their times, items and depths, and
    it counts repost decisions per (item, depth) so reposts still pending at the horizon
    are known too.

    Attributes after :meth:`run`: :meth:`reposts` (executed reposts) and
    :meth:`decisions` (decided reposts per item and depth).
    """

    def __init__(self, loaded: LoadedScenario, world: World | None = None):
        super().__init__(loaded, world)
        self._log: list[tuple[np.ndarray, ...]] = []
        self._decided: list[tuple[int, np.ndarray]] = []

    def _schedule_reposts(self, reposters, item, time, depth, origin) -> None:  # type: ignore[override]
        if len(reposters):
            self._decided.append((int(item), np.asarray(depth, dtype=np.int64).copy()))
        super()._schedule_reposts(reposters, item, time, depth, origin)

    def _deliver_from_followers(self, batches) -> None:  # type: ignore[override]
        when, _, items, depth, origin = (np.concatenate(x) for x in zip(*batches))
        self._log.append((when.astype(np.float64), items.astype(np.int64), depth.astype(np.int64),
                          origin.astype(np.int64)))
        super()._deliver_from_followers(batches)

    def reposts(self) -> pd.DataFrame:
        """Executed follower reposts: ``time_h`` (absolute hour), ``item``, ``depth``,
        ``origin`` (matrix account whose delivery started the chain), ``delay_h`` (hours since
        the item's original post)."""
        if self._log:
            when, items, depth, origin = (np.concatenate(x) for x in zip(*self._log))
        else:
            when = np.zeros(0)
            items = depth = origin = np.zeros(0, dtype=np.int64)
        posted = np.array([it.at for it in self.matrix.items], dtype=float)
        return pd.DataFrame({"time_h": when, "item": items, "depth": depth, "origin": origin,
                             "delay_h": when - posted[items]})

    def decisions(self, max_depth: int = 64) -> np.ndarray:
        """Repost decisions per item and depth: array (items, max_depth + 1), column d = depth d
        (the last column collects deeper ones)."""
        out = np.zeros((len(self.items), max_depth + 1), dtype=np.int64)
        for item, depth in self._decided:
            np.add.at(out[item], np.minimum(depth, max_depth), 1)
        return out


def plain_ic_document(n: int, n_items: int, T: float, seed: int, name: str = "oracle",
                      **behaviour: Any) -> dict[str, Any]:
    """A scenario putting the engine in plain-IC mode: ``n_items`` accounts each posting one
    item at t = 0 (item i from account i), repost probability ``T`` per delivery."""
    beh = {"p0": float(T), "appeal_sigma": 0.0, "alpha": 0.0, "beta": 0.0, "latency": dict(IC_LATENCY)}
    beh.update(behaviour)
    return {
        "name": name, "seed": int(seed),
        "time": {"tick": IC_TICK_H, "horizon": IC_HORIZON_H},
        "population": {"size": int(n), "regions": {"all": 1.0}, "interests": {"general": 1.0}},
        "graph": {"mean_followees": 0.0},  # unused: the graph is supplied with the World
        "accounts": [{"id": "seed", "count": int(n_items), "followers": 1}],
        "campaign": [{"account": "seed", "at": 0.0, "appeal": 1.0}],
        "behaviour": beh,
        "fatigue": {"enabled": False, "churn_per_day": 0.0},
    }


def custom_world(n: int, graph: CSR, audiences: Sequence[np.ndarray]) -> World:
    """A one-region, one-interest :class:`World` around a given follower graph and account
    audiences (audience ``i`` = followers of account ``i``)."""
    lengths = np.array([len(a) for a in audiences], dtype=np.int64)
    indptr = np.zeros(len(audiences) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = (np.concatenate([np.sort(np.asarray(a)) for a in audiences]).astype(np.int32)
               if lengths.sum() else np.zeros(0, dtype=np.int32))
    audience = CSR(indptr, indices)
    zeros = np.zeros(n, dtype=np.uint16)
    return World(n, zeros, zeros.copy(), ["all"], ["general"], np.array([[0, n]], dtype=np.int64),
                 np.full(n, np.float32(1e9)), graph, audience, np.full(audience.n_edges, np.inf, dtype=np.float32))


@dataclass
class Cascades:
    """Per-item outcome of one plain-IC run."""

    reposters: np.ndarray  # (items,) followers who reposted (decided), seeds excluded
    depth_counts: np.ndarray  # (items, max_depth + 1) executed reposts per depth
    pending: int  # reposts/relays still pending at the horizon (0 when cascades finished)


def run_plain_ic(graph: CSR, audiences: Sequence[np.ndarray], T: float, seed: int,
                 active: np.ndarray | None = None, max_depth: int = 64) -> Cascades:
    """Run the engine in plain-IC mode: item ``i`` is posted by an account whose followers are
    ``audiences[i]``. ``active[i]`` (optional) is a follower already active for item ``i`` (the
    seed node of a node-seeded cascade: it can receive the item but never repost it)."""
    n = graph.n_rows
    loaded = load_document(plain_ic_document(n, len(audiences), T, seed), "<plain-IC oracle>", check_memory=False)
    model = RecordingModel(loaded, world=custom_world(n, graph, audiences))
    if active is not None:
        # The seed node of IC is active from the start: pre-mark it as having reposted.
        model.reposted[np.arange(len(audiences)), np.asarray(active)] = True
    model.run()
    reposters = model.reposted.sum(axis=1).astype(np.int64)
    if active is not None:
        reposters -= 1
    log = model.reposts()
    depth = np.zeros((len(audiences), max_depth + 1), dtype=np.int64)
    np.add.at(depth, (log["item"].to_numpy(), np.minimum(log["depth"].to_numpy(), max_depth)), 1)
    return Cascades(reposters, depth, int(model.counters["pending_at_horizon"]))


def run_batches(make: Callable[[int, np.random.Generator], tuple[list[np.ndarray], np.ndarray | None]],
                graph: CSR, T: float, total: int, seq: np.random.SeedSequence,
                max_depth: int = 64, per_run: int = MAX_ITEMS_PER_RUN) -> Cascades:
    """Run ``total`` cascades in runs of at most ``per_run`` items.

    ``make(k, rng)`` returns the audiences (and optional active seeds) of ``k`` cascades.
    (The engine loops over the items of a wave, so runs of many *large* cascades are
    slower than several runs of fewer.)
    """
    parts: list[Cascades] = []
    done = 0
    per_run = max(1, min(per_run, MAX_ITEMS_PER_RUN, MAX_STATE_CELLS // graph.n_rows))
    for child in seq.spawn(math.ceil(total / per_run)):
        k = min(per_run, total - done)
        rng = np.random.default_rng(child)
        audiences, active = make(k, rng)
        parts.append(run_plain_ic(graph, audiences, T, int(rng.integers(2**62)), active, max_depth))
        done += k
    return Cascades(np.concatenate([p.reposters for p in parts]),
                    np.vstack([p.depth_counts for p in parts]), sum(p.pending for p in parts))


# ==============================================================================================
# The report
# ==============================================================================================

@dataclass(frozen=True)
class Size:
    """How big the report's simulations are."""

    n: int  # nodes of every graph
    undirected_below: int  # cascades per point below the threshold
    undirected_above: int  # cascades per point above it (each a possible giant outbreak)
    directed: int  # cascades per R value
    directed_followers: int  # F of the seed account
    borel: int  # cascades per m value
    exposure_followers: int  # audience of the repeated-exposure accounts


SIZES: dict[str, Size] = {
    "small": Size(n=20_000, undirected_below=1500, undirected_above=150, directed=1000,
                  directed_followers=100, borel=2500, exposure_followers=20_000),
    "large": Size(n=200_000, undirected_below=10_000, undirected_above=300, directed=6000,
                  directed_followers=300, borel=20_000, exposure_followers=200_000),
}

# Grids (dimensionless): T / T_c for the undirected model, R for directed graphs, m for the
# branching process, and delivery schedules for the exposure oracle.
UNDIRECTED_BELOW = (0.25, 0.5, 0.75)
UNDIRECTED_ABOVE = (1.5, 2.0, 3.0)
DIRECTED_R = (0.25, 0.5, 0.75)
BRANCHING_M = (0.25, 0.5, 0.75)
UNDIRECTED_MEAN_DEGREE, UNDIRECTED_SHAPE = 4.0, 4.0  # negative binomial: variance 8
DIRECTED_Z = 10.0
BRANCHING_LAMBDA = 5.0
EXPOSURE_P0 = 0.05
EXPOSURE_SCHEDULES: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("verbatim", (0.0,)), ("verbatim", (0.0, 1.0)), ("verbatim", (0.0, 1.0, 2.0)),
    ("verbatim", (0.0, 1.0, 2.0, 3.0)), ("verbatim", (0.0, 24.0, 48.0)), ("commentary", (0.0, 1.0)),
)


@dataclass
class OracleRow:
    """One comparison: theory vs simulation."""

    family: str  # undirected | directed | branching | exposure
    oracle: str  # what is compared, e.g. "mean outbreak size"
    param: str  # the grid parameter's name (T/T_c, R, m, schedule)
    value: float | str  # its value
    theory: float
    simulated: float
    se: float  # standard error of ``simulated``
    n: int  # replicate cascades (or followers) behind ``simulated``
    note: str = ""

    @property
    def z(self) -> float:
        if self.se > 0:
            return (self.simulated - self.theory) / self.se
        return 0.0 if math.isclose(self.simulated, self.theory, rel_tol=1e-9, abs_tol=1e-12) else math.inf

    @property
    def ok(self) -> bool:
        return abs(self.z) < Z_TOL


@dataclass
class Report:
    """The oracle report: rows plus the numbers behind the plot."""

    rows: list[OracleRow]
    size: str
    seed: int
    curves: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def table(self) -> pd.DataFrame:
        df = pd.DataFrame([asdict(r) for r in self.rows])
        df["z"] = [r.z for r in self.rows]
        df["ok"] = [r.ok for r in self.rows]
        return df


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    x = np.asarray(x, dtype=float)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else math.inf


def _prop_se(p: float, n: int) -> float:
    """Binomial standard error under the null (theory) proportion."""
    return math.sqrt(max(p * (1 - p), 0.0) / n) if n else math.inf


def _seq(seed: int, *key: int) -> np.random.SeedSequence:
    """A seed sequence from a stable key (family, point): extending a grid keeps old seeds."""
    return np.random.SeedSequence([int(seed), *key])


def _check_finished(c: Cascades, what: str) -> None:
    if c.pending:
        raise RuntimeError(f"{what}: {c.pending} reposts still pending at the {IC_HORIZON_H:g} h horizon; "
                           "plain-IC cascades must finish")


def undirected_oracles(size: Size, seed: int, curves: dict[str, Any]) -> list[OracleRow]:
    """Configuration model: mean outbreak below T_c, giant outbreak above it."""
    rng = np.random.default_rng(_seq(seed, 1, 0))
    graph = configuration_model(negative_binomial_degrees(size.n, UNDIRECTED_MEAN_DEGREE, UNDIRECTED_SHAPE, rng), rng)
    pk = degree_pk(graph.degrees())
    tc = undirected_threshold(pk)
    n = graph.n_rows
    cutoff = 5.0 * math.sqrt(n)  # "large" outbreak: far above any finite cluster at this size

    def seeds(k: int, r: np.random.Generator):
        v = r.integers(0, n, size=k)
        return [graph.row(int(s)) for s in v], v

    rows: list[OracleRow] = []
    pts: list[dict[str, float]] = []
    for i, x in enumerate(UNDIRECTED_BELOW):
        T = x * tc
        c = run_batches(seeds, graph, T, size.undirected_below, _seq(seed, 1, 1 + i))
        _check_finished(c, f"undirected T={T:.4f}")
        mean, se = _mean_se(c.reposters + 1)
        theory = undirected_mean_outbreak(pk, T)
        rows.append(OracleRow("undirected", "mean outbreak size (seed included)", "T/T_c", x, theory, mean, se,
                              len(c.reposters), f"T={T:.4f}"))
        pts.append({"x": x, "T": T, "sim": mean, "se": se, "theory": theory})
    curves["undirected_below"] = pts
    pts = []
    for i, x in enumerate(UNDIRECTED_ABOVE):
        T = x * tc
        c = run_batches(seeds, graph, T, size.undirected_above, _seq(seed, 1, 10 + i), per_run=50)
        _check_finished(c, f"undirected T={T:.4f}")
        s = (c.reposters + 1) / n
        large = (c.reposters + 1) >= cutoff
        theory = undirected_giant_size(pk, T)
        p_large = float(large.mean())
        rows.append(OracleRow("undirected", "P(large outbreak) = S", "T/T_c", x, theory, p_large,
                              _prop_se(theory, len(s)), len(s), f"T={T:.4f}, large >= {cutoff:.0f} nodes"))
        if large.sum() >= 2:
            mean, se = _mean_se(s[large])
            rows.append(OracleRow("undirected", "large outbreak size / N = S", "T/T_c", x, theory, mean, se,
                                  int(large.sum()), f"T={T:.4f}"))
        else:
            mean, se = math.nan, math.nan
        pts.append({"x": x, "T": T, "p_large": p_large, "p_se": _prop_se(theory, len(s)), "size": mean,
                    "size_se": se, "theory": theory})
    curves["undirected_above"] = pts
    grid = np.linspace(0.05, 4.0, 120)
    curves["undirected_theory"] = {
        "x": grid.tolist(),
        "mean": [undirected_mean_outbreak(pk, g * tc) if g < 0.97 else math.nan for g in grid],
        "giant": [undirected_giant_size(pk, g * tc) for g in grid]}
    k1, k2 = moments(pk)
    curves["undirected_graph"] = {"n": n, "mean_degree": k1, "second_moment": k2, "T_c": tc}
    return rows


def directed_oracles(size: Size, seed: int, curves: dict[str, Any]) -> list[OracleRow]:
    """Light-tailed directed follower graph: depth profile and size from a seed account and
    from a random seed node."""
    rng = np.random.default_rng(_seq(seed, 2, 0))
    graph = light_follower_graph(size.n, DIRECTED_Z, rng)
    z, jk = directed_moments(graph)
    n, F = graph.n_rows, size.directed_followers

    def accounts(k: int, r: np.random.Generator):
        return [r.choice(n, size=F, replace=False) for _ in range(k)], None

    rows: list[OracleRow] = []
    pts: list[dict[str, Any]] = []
    for i, R in enumerate(DIRECTED_R):
        T = R * z / jk
        c = run_batches(accounts, graph, T, size.directed, _seq(seed, 2, 1 + i))
        _check_finished(c, f"directed R={R}")
        for d in (1, 2, 3):
            mean, se = _mean_se(c.depth_counts[:, d])
            rows.append(OracleRow("directed", f"reposters at depth {d} (F={F})", "R", R,
                                  directed_depth_mean(F, T, R, d), mean, se, len(c.reposters), f"T={T:.4f}"))
        mean, se = _mean_se(c.reposters + 1)
        rows.append(OracleRow("directed", f"mean cascade size (F={F}, account counted)", "R", R,
                              directed_mean_size(F, T, R), mean, se, len(c.reposters), f"T={T:.4f}"))
        dmax = 8
        pts.append({"R": R, "T": T, "depth": list(range(1, dmax + 1)),
                    "sim": c.depth_counts[:, 1:dmax + 1].mean(axis=0).tolist(),
                    "se": (c.depth_counts[:, 1:dmax + 1].std(axis=0, ddof=1) / math.sqrt(len(c.reposters))).tolist(),
                    "theory": [directed_depth_mean(F, T, R, d) for d in range(1, dmax + 1)]})

    def nodes(k: int, r: np.random.Generator):
        v = r.integers(0, n, size=k)
        return [graph.row(int(s)) for s in v], v

    R = DIRECTED_R[1]
    T = R * z / jk
    c = run_batches(nodes, graph, T, size.directed, _seq(seed, 2, 20))
    _check_finished(c, "directed random seed")
    mean, se = _mean_se(c.reposters + 1)
    rows.append(OracleRow("directed", "mean size from a random seed node", "R", R,
                          1.0 + T * z / (1.0 - R), mean, se, len(c.reposters), f"T={T:.4f}"))
    curves["directed"] = pts
    curves["directed_graph"] = {"n": n, "z": z, "jk": jk, "F": F}
    return rows


def branching_oracles(size: Size, seed: int, curves: dict[str, Any]) -> list[OracleRow]:
    """Poisson(m) branching process: a sparse graph with Poisson(lambda) follower counts and
    T = m / lambda, and a root account with Poisson(lambda) followers."""
    rng = np.random.default_rng(_seq(seed, 3, 0))
    graph = light_follower_graph(size.n, BRANCHING_LAMBDA, rng)
    z, jk = directed_moments(graph)
    n = graph.n_rows

    def roots(k: int, r: np.random.Generator):
        counts = r.poisson(BRANCHING_LAMBDA, size=k)
        return [r.choice(n, size=int(c), replace=False) for c in counts], None

    rows: list[OracleRow] = []
    pts: list[dict[str, Any]] = []
    for i, m in enumerate(BRANCHING_M):
        # T is set so the offspring mean of a reposter is m on the realised graph.
        T = m * z / jk
        m_root = T * BRANCHING_LAMBDA
        c = run_batches(roots, graph, T, size.borel, _seq(seed, 3, 1 + i))
        _check_finished(c, f"branching m={m}")
        sizes = c.reposters + 1
        mean = float(sizes.mean())
        se = math.sqrt(m / (1 - m) ** 3 / len(sizes))  # Borel variance: the null is fully known
        rows.append(OracleRow("branching", "mean total progeny 1/(1-m)", "m", m, branching_mean_size(m), mean, se,
                              len(sizes), f"T={T:.4f}, root offspring mean {m_root:.4f}"))
        for s in (1, 2, 3):
            p = float(borel_pmf(s, m))
            rows.append(OracleRow("branching", f"Borel P(S={s})", "m", m, p, float((sizes == s).mean()),
                                  _prop_se(p, len(sizes)), len(sizes), f"T={T:.4f}"))
        nmax = 15
        pts.append({"m": m, "n": list(range(1, nmax + 1)),
                    "sim": [float((sizes == s).mean()) for s in range(1, nmax + 1)],
                    "theory": borel_pmf(np.arange(1, nmax + 1), m).tolist(), "count": len(sizes)})
    curves["branching"] = pts
    return rows


def exposure_oracles(size: Size, seed: int, curves: dict[str, Any]) -> list[OracleRow]:
    """Repeated deterministic deliveries of one item to the same audience (default response
    alpha, beta and memory half-life): share of the audience who reposts."""
    from . import defaults as D

    n = size.exposure_followers
    empty = CSR(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    rows: list[OracleRow] = []
    pts: list[dict[str, Any]] = []
    for i, (variation, times) in enumerate(EXPOSURE_SCHEDULES):
        k = len(times)
        doc = plain_ic_document(n, 1, EXPOSURE_P0, int(_seq(seed, 4, i).generate_state(1)[0]), name="exposure",
                                alpha=D.ALPHA, beta=D.BETA, exposure_half_life=D.EXPOSURE_HALF_LIFE_H,
                                commentary_appeal=D.COMMENTARY_APPEAL)
        # Account 0 posts at t0; accounts 1..k-1 relay it with certainty at the given delays.
        doc["accounts"] = [{"id": "a", "count": k, "followers": 1}]
        doc["campaign"] = [{"account": "a.1", "at": float(times[0]), "appeal": 1.0}]
        doc["relays"] = [{"source": "a.1", "target": f"a.{j + 1}", "probability": 1.0,
                          "latency": {"median": float(times[j] - times[0]), "sigma": 0.0}, "variation": variation}
                         for j in range(1, k)]
        loaded = load_document(doc, "<exposure oracle>", check_memory=False)
        everyone = np.arange(n)
        model = RecordingModel(loaded, world=custom_world(n, empty, [everyone] * k))
        model.run()
        share = float(model.reposted[0].sum()) / n
        w = D.VARIATION_WEIGHTS[variation]
        mult = D.COMMENTARY_APPEAL if variation == "commentary" else 1.0
        # The first delivery is the original (verbatim); relays carry the variation.
        theory = _exposure_theory(times, EXPOSURE_P0, D.ALPHA, D.BETA, D.EXPOSURE_HALF_LIFE_H, w, mult)
        label = f"{variation} at " + ",".join(f"{t:g}" for t in times) + " h"
        rows.append(OracleRow("exposure", f"P(repost) after {k} deliveries", "schedule", label, theory, share,
                              _prop_se(theory, n), n, f"p0={EXPOSURE_P0}, alpha={D.ALPHA}, beta={D.BETA}"))
        pts.append({"label": label, "k": k, "theory": theory, "sim": share, "se": _prop_se(theory, n)})
    curves["exposure"] = pts
    return rows


def _exposure_theory(times: Sequence[float], p0: float, alpha: float, beta: float, half_life: float,
                     weight: float, mult: float) -> float:
    """Like :func:`repeated_exposure_probability`, but the first delivery is the verbatim
    original (weight 1, multiplier 1) and the later ones carry ``weight`` / ``mult``."""
    t = np.asarray(times, dtype=float)
    w = np.full(len(t), weight)
    w[0] = 1.0
    mults = np.full(len(t), mult)
    mults[0] = 1.0
    p_none = 1.0
    for j in range(len(t)):
        x = float((w[: j + 1] * 2.0 ** (-(t[j] - t[: j + 1]) / half_life)).sum())
        p_none *= 1.0 - min(1.0, p0 * mults[j] * float(response(x, alpha, beta)))
    return 1.0 - p_none


FAMILIES: dict[str, Callable[[Size, int, dict[str, Any]], list[OracleRow]]] = {
    "undirected": undirected_oracles,
    "directed": directed_oracles,
    "branching": branching_oracles,
    "exposure": exposure_oracles,
}


def run_report(size: str | Size = "small", seed: int = 1, families: Sequence[str] | None = None,
               progress: Callable[[str], None] | None = None) -> Report:
    """Run the oracle families (default: all) at ``size`` ("small" for CI, "large")."""
    import time

    sz = SIZES[size] if isinstance(size, str) else size
    name = size if isinstance(size, str) else "custom"
    unknown = set(families or ()) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown oracle families {sorted(unknown)}; choose from {list(FAMILIES)}")
    curves: dict[str, Any] = {}
    rows: list[OracleRow] = []
    timing: dict[str, float] = {}
    for fam in families or FAMILIES:
        t0 = time.perf_counter()
        if progress:
            progress(f"running {fam} oracles ...")
        rows.extend(FAMILIES[fam](sz, seed, curves))
        timing[fam] = round(time.perf_counter() - t0, 2)
    return Report(rows, name, seed, curves, {"size": asdict(sz), "seconds": timing, "z_tolerance": Z_TOL})


# ==============================================================================================
# Output
# ==============================================================================================

def _fmt(x: float) -> str:
    if isinstance(x, str):
        return x
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    ax = abs(x)
    if ax != 0 and (ax < 1e-3 or ax >= 1e5):
        return f"{x:.3g}"
    return f"{x:.4f}" if ax < 10 else f"{x:.2f}"


def format_table(report: Report, markdown: bool = True) -> str:
    """The report as a markdown table (or aligned plain text)."""
    head = ["family", "oracle", "param", "theory", "simulated", "se", "z", "n", "ok"]
    lines = []
    for r in report.rows:
        lines.append([r.family, r.oracle, f"{r.param}={_fmt(r.value)}", _fmt(r.theory), _fmt(r.simulated),
                      _fmt(r.se), f"{r.z:+.2f}", f"{r.n:,}", "yes" if r.ok else "NO"])
    if markdown:
        out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        out += ["| " + " | ".join(cells) + " |" for cells in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(c[i]) for c in lines)) for i, h in enumerate(head)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join([fmt.format(*head)] + [fmt.format(*c) for c in lines])


def summary_line(report: Report) -> str:
    bad = [r for r in report.rows if not r.ok]
    worst = max(report.rows, key=lambda r: abs(r.z))
    return (f"{len(report.rows) - len(bad)}/{len(report.rows)} oracles within |z| < {Z_TOL:g} "
            f"(worst: {worst.family} {worst.oracle} {worst.param}={_fmt(worst.value)}, z = {worst.z:+.2f})")


def plot_report(report: Report, path: str | Path, formats: Sequence[str] = ("png",), lang: str = "en") -> list[Path]:
    """Six panels: undirected mean outbreak and giant size, directed depth profile, Borel law,
    repeated exposure, and every row's z-score."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from .plotting.style import OKABE_ITO, save_figure, slide_style

    cv = report.curves
    palette = [OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish_green"], OKABE_ITO["orange"]]
    with slide_style(lang):
        # six panels on one slide: smaller type than the one-chart slide default
        plt.rcParams.update({"axes.titlesize": 16, "axes.labelsize": 13, "xtick.labelsize": 11,
                             "ytick.labelsize": 11, "legend.fontsize": 11})
        fig, axes = plt.subplots(2, 3, figsize=(13.333, 7.5))
        ax = axes[0, 0]
        if "undirected_below" in cv:
            th = cv["undirected_theory"]
            ax.plot(th["x"], th["mean"], color="black", lw=1.5, label="theory")
            pts = cv["undirected_below"]
            ax.errorbar([p["x"] for p in pts], [p["sim"] for p in pts], yerr=[2 * p["se"] for p in pts], fmt="o",
                        color=palette[0], label="engine ±2 SE")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, max(p["theory"] for p in pts) * 1.6)
            ax.set_xlabel("T / T_c")
            ax.set_ylabel("mean outbreak size")
            ax.legend(fontsize=11)
        ax.set_title("Undirected: below threshold")
        ax = axes[0, 1]
        if "undirected_above" in cv:
            th = cv["undirected_theory"]
            ax.plot(th["x"], th["giant"], color="black", lw=1.5, label="theory S")
            pts = cv["undirected_above"]
            ax.errorbar([p["x"] for p in pts], [p["p_large"] for p in pts], yerr=[2 * p["p_se"] for p in pts],
                        fmt="o", color=palette[0], label="P(large outbreak)")
            ax.errorbar([p["x"] + 0.05 for p in pts], [p["size"] for p in pts],
                        yerr=[2 * (p["size_se"] or 0) for p in pts], fmt="s", color=palette[1], label="size / N")
            ax.set_xlabel("T / T_c")
            ax.set_ylabel("share")
            ax.legend(fontsize=11)
        ax.set_title("Undirected: giant outbreak")
        ax = axes[0, 2]
        for col, p in zip(palette, cv.get("directed", [])):
            ax.plot(p["depth"], p["theory"], color=col, lw=1.5)
            ax.errorbar(p["depth"], p["sim"], yerr=[2 * s for s in p["se"]], fmt="o", color=col, ms=5,
                        label=f"R = {p['R']:g}")
        ax.set_yscale("log")
        ax.set_xlabel("depth d")
        ax.set_ylabel("mean reposters at depth d")
        ax.legend(fontsize=11)
        ax.set_title("Directed: F T R^(d-1)")
        ax = axes[1, 0]
        for col, p in zip(palette, cv.get("branching", [])):
            ax.plot(p["n"], p["theory"], color=col, lw=1.5)
            sim = np.array(p["sim"], dtype=float)
            ax.plot(np.array(p["n"])[sim > 0], sim[sim > 0], "o", color=col, ms=5, label=f"m = {p['m']:g}")
        ax.set_yscale("log")
        ax.set_xlabel("cascade size n")
        ax.set_ylabel("P(S = n)")
        ax.legend(fontsize=11)
        ax.set_title("Branching: Borel law")
        ax = axes[1, 1]
        ex = cv.get("exposure", [])
        if ex:
            x = np.arange(len(ex))
            ax.bar(x, [p["theory"] for p in ex], color="#DDDDDD", label="theory")
            ax.errorbar(x, [p["sim"] for p in ex], yerr=[2 * p["se"] for p in ex], fmt="o", color=palette[0],
                        label="engine ±2 SE")
            ax.set_xticks(x, [_short_schedule(p["label"]) for p in ex], fontsize=10)
            ax.set_xlabel("deliveries at (hours)")
            ax.set_ylabel("P(repost)")
            ax.legend(fontsize=11)
        ax.set_title("Repeated exposure")
        ax = axes[1, 2]
        fams = list(dict.fromkeys(r.family for r in report.rows))
        for i, fam in enumerate(fams):
            zs = [r.z for r in report.rows if r.family == fam]
            ax.plot(np.full(len(zs), i) + np.linspace(-0.2, 0.2, len(zs)), zs, "o", color=palette[i % 4])
        ax.axhspan(-Z_TOL, Z_TOL, color="#EEEEEE", zorder=0)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xticks(range(len(fams)), fams, fontsize=11)
        ax.set_ylim(-Z_TOL - 1, Z_TOL + 1)
        ax.set_ylabel("z = (sim - theory) / SE")
        ax.set_title(f"All oracles: |z| < {Z_TOL:g}")
        written = save_figure(fig, path, formats)
        plt.close(fig)
    return written


def _short_schedule(label: str) -> str:
    """'verbatim at 0,1,2 h' -> '0,1,2'; commentary relays are marked on a second line."""
    variation, _, times = label.partition(" at ")
    times = times.removesuffix(" h")
    return times if variation == "verbatim" else f"{times}\n{variation}"


def write_report(report: Report, outdir: str | Path, plot: bool = True,
                 formats: Sequence[str] = ("png",)) -> list[Path]:
    """Write ``oracles.csv``, ``oracles.md`` (table + summary), ``report.json`` and the plot."""
    from .output import atomic_write, write_json, write_table

    out = Path(outdir)
    written = [write_table(out / "oracles", report.table(), "csv")]
    text = (f"# propsim oracle report ({report.size}, seed {report.seed})\n\n{summary_line(report)}\n\n"
            f"{format_table(report)}\n")
    written.append(atomic_write(out / "oracles.md", lambda f: f.write(text.encode("utf-8"))))
    written.append(write_json(out / "report.json", {"size": report.size, "seed": report.seed, "ok": report.ok,
                                                    "meta": report.meta, "curves": report.curves}))
    if plot:
        written += plot_report(report, out / "oracles", formats)
    return written
