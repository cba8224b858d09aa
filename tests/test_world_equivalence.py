"""Same answers in either world, and a follower-graph generator that is the Chung-Lu graph it claims to be.

``tests/test_engine_reference.py`` shows that an explicit (CSR) and an implicit (on-demand rows) world give
*identical* runs at one seed: they are the same graph. Identity says nothing about whether that graph is
right, so this file adds (issue 14 item 4):

1. **Distributions over many seeds.** Explicit worlds at seeds 1000.., implicit worlds at seeds 2000..
   (independent seeds: a statistical comparison, not the identity): reach, second-level reach, reposters at
   depth 1-3, follower reposts, fatigued people and fatigue exits, account relays agree within replicate
   error (Welch |z| < 4), per-item cascade sizes pass a two-sample KS test (p > 1e-4), and every declared
   audience overlap is realised as declared in both. A power check runs the same procedure against a 50%
   higher repost probability and must flag it (so the comparison can fail).
2. **The generator against independent constructions** at 200k people and 120 followees (both fit):
   * light-tailed graphs against ``simulator.world.graphs.follower_graph`` (the earlier numpy builder
     drawing from ``np.random``, same specification there): followee counts (KS), mean and variance of
     follower counts, locality share, and plain-IC cascade sizes at a matched offspring mean R = 0.5
     (KS, z of means, and both means against the oracle ``1 + T z / (1 - R)``);
   * heavy-tailed graphs (tail exponent 2.2) against a plain numpy re-implementation of the generator's
     own specification (Pareto weights capped as :func:`~simulator.world.generator.graph_model` caps them,
     Poisson follower counts, uniform local/global draws, repeats dropped): follower counts (KS),
     dispersion of followee counts, locality, tail shape and IC cascade sizes;
   * heavy-tailed graphs against ``follower_graph``: the specifications differ on purpose in the cap
     (5% vs 50% of the population) and the normalisation (expected vs sampled weight sum), so only what
     both share is compared: the tail shape ``P(k >= 1000 | k >= 200)`` and the locality of rows below the
     caps; the generator's mean followee count is on target (``follower_graph`` loses ~4% to its cap).
   * one known deviation, kept as a strict xfail so the fix is noticed: follower counts above a mean of
     64 are drawn with an unskewed normal approximation, so their skewness is ~0 instead of Poisson's
     ``1/sqrt(z)`` (0.005 vs 0.091 at z = 120; KS p 2e-5 to 0.015 at 200k nodes).
3. **The analytic oracles on implicit worlds.** ``propsim validate-model``'s directed-graph and branching
   families run on the engine's own generator and the exposure family on an empty graph, so they can run
   with the world held implicitly (the generator instead of the CSR). The undirected family uses a
   configuration model, which no implicit world can represent (an implicit world's rows come only from the
   Chung-Lu generator), so it stays explicit. The rows must all pass and equal the explicit ones.

Sizes: ``PROPSIM_EQUIV_N`` (default 20,000) sets the population of part 1, e.g. 1000000 for the issue's
1M comparison (minutes). Everything here is ``slow`` (statistical; full suite only).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator

import numpy as np
import pytest

import simulator
from simulator.engine.model import PropagationModel
from simulator.world.build import World
from simulator.world.generator import GraphModel, graph_model, materialize
from simulator.world.graphs import CSR, csr_from_edges, follower_graph

stats = pytest.importorskip("scipy.stats")

pytestmark = pytest.mark.slow  # statistical: full suite only (CI)

Z_TOL = 4.0  # |z| below this passes (two-sided false alarm ~6e-5 per statistic)
KS_ALPHA = 1e-4  # KS tests pass above this p-value

# --- 1. engine runs in both worlds over many seeds -----------------------------------------------------

N_PEOPLE = int(os.environ.get("PROPSIM_EQUIV_N", "20000"))
REPLICATES = 30
P0 = 0.008  # R ~ p0 x 30 followees ~ 0.25-0.5 with appeal and repeated exposure: finite cascades, not saturation

SCENARIO = """
name: equivalence
seed: {seed}
time: {{tick: 1, horizon: 120}}
population: {{size: {n}, regions: {{north: 1, south: 2, west: 1}}, interests: {{general: 2, film: 1}}}}
graph: {{mean_followees: 30, tail_exponent: 2.3, locality: 0.5, world: {world}}}
accounts:
  - {{id: official, kind: official, followers: {f}}}
  - {{id: film, kind: sub_brand, followers: {fs}, interest: film, overlap: {{official: 0.3}}}}
  - {{id: city, kind: regional, count: 3, followers: {fc}, region: "*", overlap: {{official: 0.2}}}}
relays:
  - {{source: official, target: film, probability: 0.8, off_topic_probability: 0.2}}
  - {{source: official, target: city, probability: 0.6, variation: cosmetic}}
campaign:
  - {{account: official, at: 0, repeat: 8, every: 12}}
  - {{account: film, at: 6, topic: film, repeat: 3, every: 24}}
behaviour: {{profile: none, p0: {p0}, appeal_sigma: 0.5, latency: {{median: 1, sigma: 1}}}}
fatigue: {{tolerance: {{median: 4, sigma: 0.5}}, kappa: 0.02, churn_per_day: 0.005}}
"""
STATS = ("reach", "second_level_reach", "depth1", "depth2", "depth3", "reposts", "fatigued", "exits", "relays")


def _run(seed: int, world: str, p0: float = P0) -> tuple[dict[str, float], np.ndarray, list]:
    n = N_PEOPLE
    text = SCENARIO.format(seed=seed, world=world, n=n, f=n // 10, fs=n // 40, fc=n // 100, p0=p0)
    model = PropagationModel(simulator.load_text(text)).run()
    assert model.world.mode == world
    c, d = model.counters, model.depth_counts
    row = {
        "reach": c["reach"],
        "second_level_reach": c["second_level_reach"],
        "depth1": d.get(1, 0),
        "depth2": d.get(2, 0),
        "depth3": d.get(3, 0),
        "reposts": c["follower_reposts"],
        "fatigued": c["fatigued"],
        "exits": c["mutes"] + c["unfollows"],
        "relays": c["account_relays"],
    }
    sizes = np.array([model.reposts_of(i) for i in range(len(model.items))])
    return row, sizes, model.world.overlaps


def _replicates(world: str, first_seed: int, p0: float = P0) -> tuple[dict[str, np.ndarray], np.ndarray, list]:
    rows, sizes, overlaps = [], [], []
    for s in range(REPLICATES):
        r, z, o = _run(first_seed + s, world, p0)
        rows.append(r)
        sizes.append(z)
        overlaps.append(o)
    table = {k: np.array([r[k] for r in rows], dtype=float) for k in STATS}
    return table, np.concatenate(sizes), overlaps


def welch_z(a: np.ndarray, b: np.ndarray) -> float:
    """z of the difference of two means (Welch standard error); 0 when both samples are constant and equal."""
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    if se == 0:
        return 0.0 if a.mean() == b.mean() else math.inf
    return float((a.mean() - b.mean()) / se)


@pytest.fixture(scope="module")
def explicit_runs():
    return _replicates("explicit", 1000)


@pytest.fixture(scope="module")
def implicit_runs():
    return _replicates("implicit", 2000)


def test_implicit_world_reproduces_explicit_distributions(explicit_runs, implicit_runs):
    (a, sizes_a, _), (b, sizes_b, _) = explicit_runs, implicit_runs
    z = {k: welch_z(a[k], b[k]) for k in STATS}
    assert all(abs(v) < Z_TOL for v in z.values()), z
    ks = stats.ks_2samp(sizes_a, sizes_b)
    assert ks.pvalue > KS_ALPHA, (ks, sizes_a.mean(), sizes_b.mean())
    # the scenario exercises what is compared: cascades beyond depth 2, fatigue exits, relays
    assert a["depth3"].mean() > 5 and b["depth3"].mean() > 5
    assert a["exits"].mean() > 20 and a["relays"].mean() > 5 and sizes_a.max() > 100


def test_declared_overlaps_are_realised_in_both_worlds(explicit_runs, implicit_runs):
    for runs in (explicit_runs[2], implicit_runs[2]):
        for overlaps in runs:
            declared = [o for o in overlaps if o.declared is not None]
            assert {(o.account, o.other) for o in declared} == {("film", "official"), ("city", "official")}
            for o in declared:  # exactly round(share x F) of F followers: within one person of rounding
                followers = N_PEOPLE // 40 if o.account == "film" else N_PEOPLE // 100
                assert abs(o.realised - o.declared) <= 1.0 / followers + 1e-12, o


def test_the_comparison_detects_a_higher_repost_probability(explicit_runs):
    """Power: the same procedure flags implicit runs at 1.5 x p0 (so test 1 can fail)."""
    a, sizes_a, _ = explicit_runs
    b, sizes_b, _ = _replicates("implicit", 2000, p0=1.5 * P0)
    strongest = max(abs(welch_z(a[k], b[k])) for k in STATS)
    assert strongest > Z_TOL
    assert stats.ks_2samp(sizes_a, sizes_b).pvalue < KS_ALPHA


# --- 2. the generator against independent Chung-Lu constructions -------------------------------------------

N_GRAPH = 200_000
Z = 120.0
LOCALITY = 0.5
IC_R = 0.5  # offspring mean of the plain-IC comparison (subcritical: finite cascades, exact oracle)
IC_CASCADES = 20_000


def _bounds(n: int) -> np.ndarray:
    w = np.array([3.0, 2.0, 2.0, 1.0, 1.0, 0.5, 0.5])  # seven regions of unequal size
    b = np.round(np.concatenate([[0.0], np.cumsum(w / w.sum())]) * n).astype(np.int64)
    b[-1] = n
    return b


BOUNDS = _bounds(N_GRAPH)
REGION = np.searchsorted(BOUNDS, np.arange(N_GRAPH), side="right") - 1


def reference_graph(gm: GraphModel, rng: np.random.Generator) -> CSR:
    """The generator's specification drawn with numpy's random generator (an independent implementation):
    capped Pareto weights, Poisson follower counts, each follower local with probability ``locality``
    (uniform in the followee's region) else uniform in the population, self-follows and repeats dropped."""
    n = gm.n
    if gm.alpha > 0:
        w = (1.0 - rng.random(n)) ** (-1.0 / gm.alpha)
        lam = np.minimum(w, gm.w_cap) * gm.lam_scale
    else:
        lam = np.full(n, gm.lam_scale)
    src = np.repeat(np.arange(n, dtype=np.int64), rng.poisson(lam))
    local = rng.random(len(src)) < gm.locality
    u = rng.random(len(src))
    lo = gm.region_bounds[REGION[src]]
    size = gm.region_bounds[REGION[src] + 1] - lo
    dst = np.where(local, lo + (u * size).astype(np.int64), (u * n).astype(np.int64))
    return csr_from_edges(n, src, dst)


def _model(tail: float | None, seed: int) -> GraphModel:
    return graph_model(N_GRAPH, Z, tail, LOCALITY, BOUNDS, seed=seed)


@pytest.fixture(scope="module")
def light() -> Iterator[tuple[CSR, CSR]]:
    yield materialize(_model(None, 7)), follower_graph(N_GRAPH, Z, None, LOCALITY, BOUNDS, np.random.default_rng(8))


@pytest.fixture(scope="module")
def heavy() -> Iterator[tuple[CSR, CSR, CSR]]:
    gm = _model(2.2, 7)
    yield (
        materialize(gm),
        reference_graph(gm, np.random.default_rng(9)),
        follower_graph(N_GRAPH, Z, 2.2, LOCALITY, BOUNDS, np.random.default_rng(8)),
    )


def followees(g: CSR) -> np.ndarray:
    return np.bincount(g.indices, minlength=g.n_rows)


def local_share(g: CSR, below: int | None = None) -> tuple[float, int]:
    """Share of follow edges inside the followee's region (optionally only rows with fewer followers)."""
    k = g.degrees()
    rows = np.repeat(np.arange(g.n_rows), k)
    same = REGION[rows] == REGION[g.indices]
    if below is not None:
        same = same[k[rows] < below]
    return float(same.mean()), len(same)


def proportion_z(p1: float, n1: int, p2: float, n2: int) -> float:
    p = (p1 * n1 + p2 * n2) / (n1 + n2)
    return (p1 - p2) / math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))


def ic_sizes(g: CSR, seed: int) -> tuple[np.ndarray, float, float]:
    """Plain-IC final sizes from uniformly random single seeds at T giving offspring mean IC_R on this
    graph (T = R z / <jk>, the graph's realised moments); returns (sizes, T, z)."""
    from simulator.ic import Cascader

    k = g.degrees().astype(float)
    j = followees(g).astype(float)
    z, jk = k.mean(), (j * k).mean()
    T = IC_R * z / jk
    rng = np.random.default_rng(seed)
    seeds = rng.integers(0, g.n_rows, size=(IC_CASCADES, 1))
    return Cascader(g).run_many(seeds, T, rng=rng).n_activated.astype(float), T, z


def _var_z(a: np.ndarray, b: np.ndarray) -> float:
    """z of the difference of two variances (large-sample SE from the fourth central moments)."""

    def var_se(x):
        m = x.mean()
        return x.var(), math.sqrt(max(((x - m) ** 4).mean() - x.var() ** 2, 0.0) / len(x))

    (va, sa), (vb, sb) = var_se(a.astype(float)), var_se(b.astype(float))
    return (va - vb) / math.hypot(sa, sb)


def _assert_same_cascades(g1: CSR, g2: CSR) -> None:
    s1, t1, z1 = ic_sizes(g1, 11)
    s2, t2, z2 = ic_sizes(g2, 12)
    for s, t, z in ((s1, t1, z1), (s2, t2, z2)):  # each against the oracle 1 + T z / (1 - R)
        oracle = 1 + t * z / (1 - IC_R)
        assert abs(s.mean() - oracle) < Z_TOL * s.std(ddof=1) / math.sqrt(len(s)), (s.mean(), oracle)
    assert abs(welch_z(s1, s2)) < Z_TOL
    assert stats.ks_2samp(s1, s2).pvalue > KS_ALPHA


def test_light_tailed_generator_matches_follower_graph(light):
    gen, old = light
    k1, k2 = gen.degrees(), old.degrees()
    assert abs(welch_z(k1.astype(float), k2.astype(float))) < Z_TOL  # mean followers (= mean followees)
    assert abs(_var_z(k1, k2)) < Z_TOL
    ks = stats.ks_2samp(followees(gen), followees(old))
    assert ks.pvalue > KS_ALPHA, ks
    (p1, n1), (p2, n2) = local_share(gen), local_share(old)
    assert abs(proportion_z(p1, n1, p2, n2)) < Z_TOL, (p1, p2)
    _assert_same_cascades(gen, old)


def test_heavy_tailed_generator_matches_its_specification(heavy):
    gen, ref, _ = heavy
    k1, k2 = gen.degrees(), ref.degrees()
    ks = stats.ks_2samp(k1, k2)
    assert ks.pvalue > KS_ALPHA, ks
    # followee counts: their mean moves with the graph's total edges (a heavy-tailed sum), so compare their
    # dispersion (variance / mean: ~1, Poisson-like) rather than the two distributions
    j1, j2 = followees(gen).astype(float), followees(ref).astype(float)
    d1, d2 = j1.var() / j1.mean(), j2.var() / j2.mean()
    se = math.sqrt(2.0 / len(j1))  # SE of a Poisson sample's dispersion index
    assert abs(d1 - d2) < Z_TOL * math.sqrt(2) * se, (d1, d2)
    (p1, n1), (p2, n2) = local_share(gen), local_share(ref)
    assert abs(proportion_z(p1, n1, p2, n2)) < Z_TOL, (p1, p2)
    _assert_same_cascades(gen, ref)


def tail_share(k: np.ndarray, lo: int = 200, hi: int = 1000) -> tuple[float, int]:
    """P(k >= hi | k >= lo): (hi/lo)^-(tail - 1) for Pareto weights, whatever their scale."""
    above = int((k >= lo).sum())
    return float((k >= hi).sum() / above), above


def test_heavy_tailed_generator_and_follower_graph_share_tail_and_locality(heavy):
    gen, _, old = heavy
    (r1, n1), (r2, n2) = tail_share(gen.degrees()), tail_share(old.degrees())
    assert abs(proportion_z(r1, n1, r2, n2)) < Z_TOL, (r1, r2)
    theory = (1000 / 200) ** -1.2
    assert abs(r1 - theory) < Z_TOL * math.sqrt(theory * (1 - theory) / n1), (r1, theory)
    (p1, m1), (p2, m2) = local_share(gen, below=1000), local_share(old, below=1000)
    assert abs(proportion_z(p1, m1, p2, m2)) < Z_TOL, (p1, p2)
    # mean followees: the generator is on its target (repeats dropped cost < 1.5%), follower_graph is
    # below it by design (it caps weights after normalising: documented, not a defect of the generator)
    assert abs(gen.n_edges / N_GRAPH - Z) < 0.015 * Z


@pytest.mark.xfail(
    strict=True,
    reason="generator.nb_poisson draws counts above a mean of 64 as floor(lam + sqrt(lam) Z + 0.5): no skew "
    "(0.005 instead of 1/sqrt(120) = 0.091); floor(lam + sqrt(lam) Z + (Z^2 - 1)/6 + 0.5) restores it",
)
def test_light_tailed_follower_counts_have_poisson_skewness(light):
    gen, old = light
    se = math.sqrt(6.0 / N_GRAPH)  # SE of a sample skewness
    theory = 1.0 / math.sqrt(Z)
    assert abs(stats.skew(old.degrees()) - theory) < Z_TOL * se  # the control: np.random's Poisson
    assert abs(stats.skew(gen.degrees()) - theory) < Z_TOL * se


# --- 3. the analytic oracles on implicit worlds ---------------------------------------------------------


class _Generated(CSR):
    """A materialised generator graph that remembers its generator (so an implicit world can use it)."""

    model: GraphModel


def _implicit_world(n: int, graph: CSR, audiences: list[np.ndarray], tolerance: float = 1e9) -> World:
    """The world :func:`simulator.world.build.custom_world` builds, but implicit: no CSR, follower rows
    generated on demand from the graph's generator (an empty graph: the generator with no followers)."""
    from simulator.world.build import custom_world

    world = custom_world(n, graph, audiences, tolerance)
    gm = getattr(graph, "model", None)
    if gm is None:
        if graph.n_edges:
            raise AssertionError("only generator graphs (or empty ones) can be held implicitly")
        gm = graph_model(n, 0.0, None, 0.0, np.array([0, n], dtype=np.int64), seed=0)
    world.graph_model, world.graph = gm, None
    world.region = world.interest = world.tolerance = None  # computed on demand from the population
    return world


def _generated_light_graph(n: int, z: float, rng: np.random.Generator) -> CSR:
    """``validation.generators.light_follower_graph`` keeping its generator."""
    seed = int(rng.integers(0, 2**62))
    gm = graph_model(n, z, None, 0.0, np.array([0, n], dtype=np.int64), seed)
    g = materialize(gm)
    out = _Generated(g.indptr, g.indices)
    out.model = gm
    return out


def test_analytic_oracles_hold_on_implicit_worlds(monkeypatch):
    from simulator.validation import harness, oracles

    families = ["directed", "branching", "exposure"]
    explicit = oracles.run_report("small", seed=1, families=families)
    monkeypatch.setattr(oracles, "light_follower_graph", _generated_light_graph)
    built: list[str] = []

    def world(n, graph, audiences, tolerance=1e9):
        w = _implicit_world(n, graph, audiences, tolerance)
        built.append(w.mode)
        return w

    monkeypatch.setattr(harness, "custom_world", world)
    monkeypatch.setattr(oracles, "custom_world", world)
    implicit = oracles.run_report("small", seed=1, families=families)
    assert built and set(built) == {"implicit"}
    assert implicit.ok, implicit.table()[~implicit.table()["ok"]].to_string()
    assert len(implicit.rows) == len(explicit.rows) > 20
    for a, b in zip(explicit.rows, implicit.rows):
        assert (a.oracle, a.value, a.simulated, a.se) == (b.oracle, b.value, b.simulated, b.se)
