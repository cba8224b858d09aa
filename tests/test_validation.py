"""The oracle report (simulator.validation.oracles): theory functions, the engine in plain-IC mode against
them at small size, and the ``propsim validate-model`` command.

Tolerances: |z| < 4 with standard errors from replicate cascades (or the known null variance);
every seed is fixed, so the outcome is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.cli.entry import main
from simulator.engine.model import PropagationModel
from simulator.results.reposts import decisions_by_depth, executed_reposts
from simulator.scenario.loading import load_document
from simulator.validation import generators, harness, oracles, report, theory
from simulator.world.graphs import CSR, csr_from_edges

# --- theory ---------------------------------------------------------------------------------------


def poisson_pk(c: float, kmax: int = 60) -> np.ndarray:
    k = np.arange(kmax + 1)
    return np.exp(-c + k * math.log(c) - np.array([math.lgamma(x + 1) for x in k]))


def test_poisson_threshold_and_mean_outbreak_closed_forms():
    pk = poisson_pk(4.0)
    assert theory.undirected_threshold(pk) == pytest.approx(0.25, rel=1e-9)
    # Poisson: <k^2> - <k> = c^2, so <s> = 1 + Tc / (1 - Tc).
    for T in (0.05, 0.1, 0.2):
        assert theory.undirected_mean_outbreak(pk, T) == pytest.approx(1 + 4 * T / (1 - 4 * T), rel=1e-9)
    assert theory.undirected_mean_outbreak(pk, 0.3) == math.inf
    assert theory.undirected_giant_size(pk, 0.2) == 0.0


def test_giant_size_matches_erdos_renyi_and_eon():
    EoN = pytest.importorskip("EoN")
    pk = poisson_pk(4.0)
    # Erdos-Renyi after bond percolation: S solves S = 1 - exp(-c T S).
    for T in (0.3, 0.5, 0.9):
        s = theory.undirected_giant_size(pk, T)
        assert s == pytest.approx(1 - math.exp(-4 * T * s), abs=1e-9)
    # EoN (Kiss, Miller & Simon 2017, system 6.6) on a non-Poisson degree distribution.
    rng = np.random.default_rng(3)
    pk = theory.degree_pk(generators.negative_binomial_degrees(20_000, 4.0, 4.0, rng))
    tc = theory.undirected_threshold(pk)
    pk_dict = {k: p for k, p in enumerate(pk) if p > 0}
    for x in (1.2, 1.5, 2.0, 3.0):
        ours = theory.undirected_giant_size(pk, x * tc)
        theirs = EoN.Attack_rate_discrete(pk_dict, x * tc, number_its=10_000)
        assert ours == pytest.approx(theirs, abs=1e-8), x


def test_borel_law_sums_to_one_with_mean_one_over_one_minus_m():
    n = np.arange(1, 4000)
    for m in (0.25, 0.5, 0.75):
        p = theory.borel_pmf(n, m)
        assert p.sum() == pytest.approx(1.0, abs=1e-6)
        assert (n * p).sum() == pytest.approx(theory.branching_mean_size(m), rel=1e-4)
        assert p[0] == pytest.approx(math.exp(-m))


def test_repeated_exposure_probability():
    # r = 1: k independent chances.
    assert theory.repeated_exposure_probability([0, 1, 2], 0.1, 0, 0, 48) == pytest.approx(1 - 0.9**3)
    # Simultaneous deliveries with alpha=1, beta=0.5: hazards p0 r(1), p0 r(2).
    r2 = 2 * math.exp(-0.5)
    assert theory.repeated_exposure_probability([0, 0], 0.1, 1, 0.5, 48) == pytest.approx(1 - 0.9 * (1 - 0.1 * r2))


def test_directed_moments_of_a_small_graph():
    # 0 -> 1, 0 -> 2, 1 -> 2: followers k = (2, 1, 0), followees j = (0, 1, 2)
    g = csr_from_edges(3, np.array([0, 0, 1]), np.array([1, 2, 2]))
    z, jk = theory.directed_moments(g)
    assert z == pytest.approx(1.0)
    assert jk == pytest.approx((0 * 2 + 1 * 1 + 2 * 0) / 3)


def test_configuration_model_is_symmetric_and_keeps_degrees():
    rng = np.random.default_rng(0)
    d = generators.negative_binomial_degrees(5000, 4.0, 4.0, rng)
    g = generators.configuration_model(d, rng)
    src = np.repeat(np.arange(g.n_rows), g.degrees())
    fwd = set(zip(src.tolist(), g.indices.tolist()))
    assert all((b, a) in fwd for a, b in fwd)
    # Only self-loops and repeated pairs are lost: a fraction of a percent of stubs.
    assert 0.99 * d.sum() <= g.n_edges <= d.sum() + 1


# --- the engine in plain-IC mode ---------------------------------------------------------------------


def test_recording_model_log_agrees_with_the_model_counters():
    rng = np.random.default_rng(5)
    n = 5000
    g = generators.light_follower_graph(n, 5.0, rng)
    audiences = [rng.choice(n, 300, replace=False) for _ in range(20)]
    loaded = load_document(harness.plain_ic_document(n, 20, 0.1, seed=3), "<t>", check_memory=False)
    model = PropagationModel(loaded, world=harness.custom_world(n, g, audiences), record_reposts=True).run()
    table = model.repost_table()
    log = executed_reposts(table, [it.at for it in model.matrix.items])
    assert len(log) == model.counters["follower_reposts"]
    assert dict(log["depth"].value_counts()) == dict(model.depth_counts)
    dec = decisions_by_depth(table, len(model.items))
    assert dec.sum() == model.counters["repost_decisions"]
    # every reposter was marked as reposted, per item
    assert list(dec.sum(axis=1)) == [model.reposts_of(i) for i in range(len(model.items))]
    # plain-IC latency: lognormal median 0.1 h, so direct reposts come back around 0.1 h after t=0
    d1 = log.loc[log["depth"] == 1, "delay_h"]
    assert 0.07 < d1.median() < 0.14


@pytest.fixture(scope="module")
def small_report():
    return oracles.run_report("small", seed=1)


@pytest.mark.slow
def test_small_report_every_oracle_within_tolerance(small_report):
    rep = small_report
    bad = [(r.family, r.oracle, r.value, r.theory, r.simulated, r.z) for r in rep.rows if not r.ok]
    assert not bad, bad
    fams = {r.family for r in rep.rows}
    assert fams == {"undirected", "directed", "branching", "exposure"}
    assert len(rep.rows) >= 35
    # The grid really spans both sides of the threshold and the regimes we meant.
    und = [r for r in rep.rows if r.family == "undirected"]
    assert {r.value for r in und} == set(oracles.UNDIRECTED_BELOW) | set(oracles.UNDIRECTED_ABOVE)
    assert all(r.theory > 0.3 for r in und if "S" in r.oracle)


@pytest.mark.slow
def test_small_report_has_power_to_detect_a_wrong_model(small_report):
    """The tolerance is not vacuous: a theory 15% off is rejected for most rows."""
    rows = [r for r in small_report.rows if r.family in ("directed", "branching") and "P(S" not in r.oracle]
    rejected = [r for r in rows if abs((r.simulated - 1.15 * r.theory) / r.se) >= oracles.Z_TOL]
    assert len(rejected) >= 0.6 * len(rows)


@pytest.mark.slow
def test_report_files_table_and_plot(small_report, tmp_path):
    from simulator.plotting.oracles import plot_report

    written = report.write_report(small_report, tmp_path / "rep")
    written += plot_report(small_report, tmp_path / "rep" / "oracles")
    names = {p.name for p in written}
    assert {"oracles.csv", "oracles.md", "report.json", "oracles.png"} <= names
    md = (tmp_path / "rep" / "oracles.md").read_text(encoding="utf-8")
    assert "| family | oracle |" in md and "within |z| < 4" in md
    import pandas as pd

    df = pd.read_csv(tmp_path / "rep" / "oracles.csv", encoding="utf-8-sig")
    assert len(df) == len(small_report.rows) and df["ok"].all()


def test_cli_validate_model(tmp_path, capsys):
    rc = main(["validate-model", "--only", "exposure", "--no-plot", "-o", str(tmp_path / "v")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "P(repost) after 2 deliveries" in out and "oracles within |z| < 4" in out
    assert (tmp_path / "v" / "oracles.csv").exists()


def test_failed_oracle_gives_exit_code_3(tmp_path, monkeypatch, capsys):
    # A deliberately wrong theory must turn the command red.
    monkeypatch.setattr(oracles, "EXPOSURE_P0", 0.05)
    real = oracles._exposure_theory
    monkeypatch.setattr(oracles, "_exposure_theory", lambda *a, **k: 1.3 * real(*a, **k))
    rc = main(["validate-model", "--only", "exposure", "--no-plot", "-o", str(tmp_path / "v")])
    assert rc == 3
    assert "NO" in capsys.readouterr().out


def test_custom_world_matches_audiences():
    g = CSR(np.zeros(11, dtype=np.int64), np.zeros(0, dtype=np.int32))
    w = harness.custom_world(10, g, [np.array([3, 1]), np.array([], dtype=int), np.array([9])])
    assert w.audience.row(0).tolist() == [1, 3]
    assert w.audience.row(1).tolist() == []
    assert w.audience.row(2).tolist() == [9]
    assert np.isinf(w.churn_time).all()
