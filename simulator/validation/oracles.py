"""Oracle report: the full propsim engine in plain-IC mode against analytic results.

The engine (:class:`~simulator.engine.model.PropagationModel`) is run with the follower model reduced
to the plain independent cascade (IC) of docs/model.md#plain-independent-cascade: fatigue and churn off,
exposure response ``alpha = beta = 0`` (``r(k) = 1``), fixed appeal 1, general topic, so that
every delivery to a follower who has not yet reposted is an independent chance ``T = p0``.
The model then runs on graphs built here (:class:`~simulator.world.build.World` assembled by hand)
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
CSV + markdown, plot), and ``propsim validate-model`` (:mod:`simulator.cli.model_check`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.engine.model import PropagationModel
from simulator.scenario.loading import load_document
from simulator.validation.generators import configuration_model, light_follower_graph, negative_binomial_degrees
from simulator.validation.harness import IC_HORIZON_H, Cascades, custom_world, plain_ic_document, run_batches
from simulator.validation.theory import (
    borel_pmf,
    branching_mean_size,
    degree_pk,
    directed_depth_mean,
    directed_mean_size,
    directed_moments,
    moments,
    response,
    undirected_giant_size,
    undirected_mean_outbreak,
    undirected_threshold,
)
from simulator.world.graphs import CSR

Z_TOL = 4.0  # |z| below this passes (about 6e-5 two-sided false-alarm rate per row)

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
    "small": Size(
        n=20_000,
        undirected_below=1500,
        undirected_above=150,
        directed=1000,
        directed_followers=100,
        borel=2500,
        exposure_followers=20_000,
    ),
    "large": Size(
        n=200_000,
        undirected_below=10_000,
        undirected_above=300,
        directed=6000,
        directed_followers=300,
        borel=20_000,
        exposure_followers=200_000,
    ),
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
    ("verbatim", (0.0,)),
    ("verbatim", (0.0, 1.0)),
    ("verbatim", (0.0, 1.0, 2.0)),
    ("verbatim", (0.0, 1.0, 2.0, 3.0)),
    ("verbatim", (0.0, 24.0, 48.0)),
    ("commentary", (0.0, 1.0)),
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
        raise RuntimeError(
            f"{what}: {c.pending} reposts still pending at the {IC_HORIZON_H:g} h horizon; "
            "plain-IC cascades must finish"
        )


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
        rows.append(
            OracleRow(
                "undirected",
                "mean outbreak size (seed included)",
                "T/T_c",
                x,
                theory,
                mean,
                se,
                len(c.reposters),
                f"T={T:.4f}",
            )
        )
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
        rows.append(
            OracleRow(
                "undirected",
                "P(large outbreak) = S",
                "T/T_c",
                x,
                theory,
                p_large,
                _prop_se(theory, len(s)),
                len(s),
                f"T={T:.4f}, large >= {cutoff:.0f} nodes",
            )
        )
        if large.sum() >= 2:
            mean, se = _mean_se(s[large])
            rows.append(
                OracleRow(
                    "undirected",
                    "large outbreak size / N = S",
                    "T/T_c",
                    x,
                    theory,
                    mean,
                    se,
                    int(large.sum()),
                    f"T={T:.4f}",
                )
            )
        else:
            mean, se = math.nan, math.nan
        pts.append(
            {
                "x": x,
                "T": T,
                "p_large": p_large,
                "p_se": _prop_se(theory, len(s)),
                "size": mean,
                "size_se": se,
                "theory": theory,
            }
        )
    curves["undirected_above"] = pts
    grid = np.linspace(0.05, 4.0, 120)
    curves["undirected_theory"] = {
        "x": grid.tolist(),
        "mean": [undirected_mean_outbreak(pk, g * tc) if g < 0.97 else math.nan for g in grid],
        "giant": [undirected_giant_size(pk, g * tc) for g in grid],
    }
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
            rows.append(
                OracleRow(
                    "directed",
                    f"reposters at depth {d} (F={F})",
                    "R",
                    R,
                    directed_depth_mean(F, T, R, d),
                    mean,
                    se,
                    len(c.reposters),
                    f"T={T:.4f}",
                )
            )
        mean, se = _mean_se(c.reposters + 1)
        rows.append(
            OracleRow(
                "directed",
                f"mean cascade size (F={F}, account counted)",
                "R",
                R,
                directed_mean_size(F, T, R),
                mean,
                se,
                len(c.reposters),
                f"T={T:.4f}",
            )
        )
        dmax = 8
        pts.append(
            {
                "R": R,
                "T": T,
                "depth": list(range(1, dmax + 1)),
                "sim": c.depth_counts[:, 1 : dmax + 1].mean(axis=0).tolist(),
                "se": (c.depth_counts[:, 1 : dmax + 1].std(axis=0, ddof=1) / math.sqrt(len(c.reposters))).tolist(),
                "theory": [directed_depth_mean(F, T, R, d) for d in range(1, dmax + 1)],
            }
        )

    def nodes(k: int, r: np.random.Generator):
        v = r.integers(0, n, size=k)
        return [graph.row(int(s)) for s in v], v

    R = DIRECTED_R[1]
    T = R * z / jk
    c = run_batches(nodes, graph, T, size.directed, _seq(seed, 2, 20))
    _check_finished(c, "directed random seed")
    mean, se = _mean_se(c.reposters + 1)
    rows.append(
        OracleRow(
            "directed",
            "mean size from a random seed node",
            "R",
            R,
            1.0 + T * z / (1.0 - R),
            mean,
            se,
            len(c.reposters),
            f"T={T:.4f}",
        )
    )
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
        rows.append(
            OracleRow(
                "branching",
                "mean total progeny 1/(1-m)",
                "m",
                m,
                branching_mean_size(m),
                mean,
                se,
                len(sizes),
                f"T={T:.4f}, root offspring mean {m_root:.4f}",
            )
        )
        for s in (1, 2, 3):
            p = float(borel_pmf(s, m))
            rows.append(
                OracleRow(
                    "branching",
                    f"Borel P(S={s})",
                    "m",
                    m,
                    p,
                    float((sizes == s).mean()),
                    _prop_se(p, len(sizes)),
                    len(sizes),
                    f"T={T:.4f}",
                )
            )
        nmax = 15
        pts.append(
            {
                "m": m,
                "n": list(range(1, nmax + 1)),
                "sim": [float((sizes == s).mean()) for s in range(1, nmax + 1)],
                "theory": borel_pmf(np.arange(1, nmax + 1), m).tolist(),
                "count": len(sizes),
            }
        )
    curves["branching"] = pts
    return rows


def exposure_oracles(size: Size, seed: int, curves: dict[str, Any]) -> list[OracleRow]:
    """Repeated deterministic deliveries of one item to the same audience (default response
    alpha, beta and memory half-life): share of the audience who reposts."""
    from simulator import defaults as D

    n = size.exposure_followers
    empty = CSR(np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.int32))
    rows: list[OracleRow] = []
    pts: list[dict[str, Any]] = []
    for i, (variation, times) in enumerate(EXPOSURE_SCHEDULES):
        k = len(times)
        doc = plain_ic_document(
            n,
            1,
            EXPOSURE_P0,
            int(_seq(seed, 4, i).generate_state(1)[0]),
            name="exposure",
            alpha=D.ALPHA,
            beta=D.BETA,
            exposure_half_life=D.EXPOSURE_HALF_LIFE_H,
            commentary_appeal=D.COMMENTARY_APPEAL,
        )
        # Account 0 posts at t0; accounts 1..k-1 relay it with certainty at the given delays.
        # executives: their commentary carries commentary_appeal (a personal voice, docs/model.md)
        doc["accounts"] = [{"id": "a", "kind": "executive", "count": k, "followers": 1}]
        doc["campaign"] = [{"account": "a.1", "at": float(times[0]), "appeal": 1.0}]
        doc["relays"] = [
            {
                "source": "a.1",
                "target": f"a.{j + 1}",
                "probability": 1.0,
                "latency": {"median": float(times[j] - times[0]), "sigma": 0.0},
                "variation": variation,
            }
            for j in range(1, k)
        ]
        loaded = load_document(doc, "<exposure oracle>", check_memory=False)
        everyone = np.arange(n)
        model = PropagationModel(loaded, world=custom_world(n, empty, [everyone] * k))
        model.run()
        share = model.reposts_of(0) / n
        w = D.VARIATION_WEIGHTS[variation]
        mult = D.COMMENTARY_APPEAL if variation == "commentary" else 1.0
        # The first delivery is the original (verbatim); relays carry the variation.
        theory = _exposure_theory(times, EXPOSURE_P0, D.ALPHA, D.BETA, D.EXPOSURE_HALF_LIFE_H, w, mult)
        label = f"{variation} at " + ",".join(f"{t:g}" for t in times) + " h"
        rows.append(
            OracleRow(
                "exposure",
                f"P(repost) after {k} deliveries",
                "schedule",
                label,
                theory,
                share,
                _prop_se(theory, n),
                n,
                f"p0={EXPOSURE_P0}, alpha={D.ALPHA}, beta={D.BETA}",
            )
        )
        pts.append({"label": label, "k": k, "theory": theory, "sim": share, "se": _prop_se(theory, n)})
    curves["exposure"] = pts
    return rows


def _exposure_theory(
    times: Sequence[float], p0: float, alpha: float, beta: float, half_life: float, weight: float, mult: float
) -> float:
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


def run_report(
    size: str | Size = "small",
    seed: int = 1,
    families: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Report:
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
