"""Charts of `propsim plot`: drawn from a small real sweep and real runs, values checked on the artists.

The sweep is built here with the core API (``simulator.load_text`` + ``simulator.run``) in the
sweep output contract's format, independently of the sweep runner: topology x behaviour.p0 x
3 replicates, small populations. Matplotlib warnings are errors inside every drawing test, so a
missing CJK glyph fails.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Rectangle
from PIL import Image
from scipy import stats

import simulator
from simulator.plotting import (
    KINDS,
    account_graph,
    compute_points,
    find_cjk_font,
    load_results,
    make_charts,
    matrix_layout,
    plot_account_contribution,
    plot_account_matrix,
    plot_cumulative_reach,
    plot_effective_reach,
    plot_fatigue,
    plot_frequency,
    plot_propagation_path,
    plot_reach,
    plot_tradeoff,
    render,
    save_figure,
    select,
)
from simulator.plotting import takeaways as T
from simulator.plotting.charts import frequency_buckets, top_accounts
from simulator.plotting.data import RunData, SweepData, filter_where
from simulator.plotting.diagrams import path_tree
from simulator.plotting.labels import label
from simulator.plotting.names import parameter_labels
from simulator.plotting.sweep_charts import sweep_context
from simulator.results.output import write_json, write_run, write_table

matplotlib.use("Agg")

TOPOLOGIES = ("hub", "dandelion", "honeycomb")
P0 = (0.001, 0.004, 0.016)
REPLICATES = 3
POPULATION = 8000
PARAMS = {
    "hub": "{official_followers: 2500, regional: 24, regional_followers: {median: 300, sigma: 0.5}}",
    "dandelion": "{official_followers: 2500, sub_followers: {median: 900, sigma: 0.3}, "
    "spoke_followers: {median: 200, sigma: 0.7}}",
    "honeycomb": "{official_followers: 2500, employees: 90, employee_followers: {median: 60, sigma: 1.0}}",
    "twin_star": "{official_followers: 2500, executive_followers: {median: 1200, sigma: 0.3}, "
    "vertical_followers: {median: 600, sigma: 0.5}}",
}
# Chinese handles so that the Chinese glyphs are exercised in account charts.
HANDLES = {
    "hub": "  - {id: regional, handle: '@{region}万达影城'}\n",
    "twin_star": "  - {id: official, handle: '@易观官方'}\n",
}


def scenario_text(topology: str) -> str:
    accounts = f"accounts:\n{HANDLES[topology]}" if topology in HANDLES else ""
    return (
        f"name: plot_{topology}\nseed: 1\ntopology:\n  preset: {topology}\n  params: {PARAMS[topology]}\n"
        f"population: {{size: {POPULATION}}}\ntime: {{horizon: 36}}\n{accounts}"
        "campaign: [{account: official, at: 0, repeat: 3, every: 8, label: launch}]\n"
        "fatigue: {tolerance: {median: 3, sigma: 0.7}}\n"
    )


def _points(runs: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """The contract's points table, computed here independently of simulator.plotting."""
    skip = set(params) | {"run_id", "replicate", "seed", "status", "error", "duration_s"}
    metrics = [c for c in runs.columns if c not in skip and pd.api.types.is_numeric_dtype(runs[c])]
    rows = []
    for key, g in runs.groupby(params, sort=False):
        row = dict(zip(params, key), n=len(g))
        for m in metrics:
            v = g[m].astype(float)
            half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v))
            row |= {
                f"{m}_mean": v.mean(),
                f"{m}_sd": v.std(ddof=1),
                f"{m}_ci_low": v.mean() - half,
                f"{m}_ci_high": v.mean() + half,
            }
        rows.append(row)
    return pd.DataFrame(rows)


_BUILT: dict[str, dict[str, Path]] = {}


def build_results(root: Path) -> dict[str, Path]:
    """Real runs: a sweep (Parquet, full contract + frequency table), the same sweep as CSV with a
    failed run and no points table, and single-run folders. Built once per session (under the
    first ``root`` given): test_deck reuses them."""
    if "paths" not in _BUILT:
        _BUILT["paths"] = _build_results(root)
    return _BUILT["paths"]


def _build_results(root: Path) -> dict[str, Path]:
    rows, series, freqs = [], [], []
    run_id = 0
    for topology in TOPOLOGIES:
        text = scenario_text(topology)
        for p0 in P0:
            for rep in range(REPLICATES):
                loaded = simulator.load_text(text, f"{topology}.yaml", overrides=[f"behaviour.p0={p0}"], seed=100 + rep)
                result = simulator.run(loaded)
                row = {
                    "run_id": run_id,
                    "behaviour.p0": p0,
                    "topology": topology,
                    "replicate": rep,
                    "seed": 100 + rep,
                    "status": "ok",
                    "error": None,
                    "duration_s": 0.1,
                }
                row |= {k: v for k, v in result.summary.items() if k not in row and not isinstance(v, (dict, list))}
                rows.append(row)
                series.append(result.timeseries.assign(run_id=run_id))
                freqs.append(result.frequency.assign(run_id=run_id))
                run_id += 1
    runs = pd.DataFrame(rows)
    timeseries = pd.concat(series, ignore_index=True)
    timeseries = timeseries[["run_id", *[c for c in timeseries.columns if c != "run_id"]]]
    frequency = pd.concat(freqs, ignore_index=True)[["run_id", "exposures", "followers"]]
    manifest = {
        "scenario": "plot tests",
        "sweep": {"behaviour.p0": list(P0), "topology": list(TOPOLOGIES)},
        "replicates": REPLICATES,
        "root_seed": 100,
    }
    out = {}
    sweep = root / "sweep"
    for name, df in (
        ("runs", runs),
        ("timeseries", timeseries),
        ("frequency", frequency),
        ("points", _points(runs, ["behaviour.p0", "topology"])),
    ):
        write_table(sweep / name, df, "parquet")
    write_json(sweep / "manifest.json", manifest)
    out["sweep"] = sweep

    csv = root / "sweep_csv"
    failed = runs.iloc[[0]].assign(run_id=999, status="failed", error="boom", reach=10**9)
    write_table(csv / "runs", pd.concat([runs, failed], ignore_index=True), "csv")
    write_table(csv / "timeseries", timeseries, "csv")
    write_json(csv / "manifest.json", manifest)
    out["sweep_csv"] = csv

    for topology in (*TOPOLOGIES, "twin_star"):
        loaded = simulator.load_text(scenario_text(topology), f"{topology}.yaml", overrides=["behaviour.p0=0.004"])
        write_run(simulator.run(loaded), root / f"run_{topology}", "csv")
        out[topology] = root / f"run_{topology}"
    return out


@pytest.fixture(scope="session")
def results(tmp_path_factory) -> dict[str, Path]:
    return build_results(tmp_path_factory.mktemp("plot_results"))


@pytest.fixture(scope="session")
def sweep(results) -> SweepData:
    return load_results(results["sweep"])


@pytest.fixture(scope="session")
def runs(results) -> dict[str, RunData]:
    return {t: load_results(results[t]) for t in (*TOPOLOGIES, "twin_star")}


@pytest.fixture
def strict(caplog):
    """Warnings are errors, and matplotlib's font manager must not log "not found"."""
    caplog.set_level(logging.DEBUG, logger="matplotlib.font_manager")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    missing = [r.getMessage() for r in caplog.records if "not found" in r.getMessage()]
    assert not missing, missing


def _require_cjk():
    if find_cjk_font() is None:
        pytest.fail(
            "No CJK font found: install fonts-noto-cjk (apt-get install -y fonts-noto-cjk) or set PROPSIM_CJK_FONT",
            pytrace=False,
        )


def _by_gid(fig, gid: str, kind=object):
    found = [a for a in fig.findobj(lambda a: a.get_gid() == gid) if isinstance(a, kind)]
    assert len(found) == 1, f"{gid}: {len(found)} artists"
    return found[0]


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]


def _band_points(band: PolyCollection) -> set[tuple[float, float]]:
    verts = band.get_paths()[0].vertices
    return {(round(float(x), 12), round(float(y), 9)) for x, y in verts}


# ---------------------------------------------------------------------------
# Reading folders
# ---------------------------------------------------------------------------


def test_load_results_detects_run_and_sweep(results, sweep):
    assert isinstance(load_results(results["hub"]), RunData)
    assert isinstance(sweep, SweepData)
    assert sweep.params == ["behaviour.p0", "topology"]
    assert len(sweep.runs) == len(TOPOLOGIES) * len(P0) * REPLICATES
    csv = load_results(results["sweep_csv"])  # CSV, one failed run, no points table
    assert csv.failed == 1 and (csv.runs["status"] == "ok").all()
    assert csv.params == ["behaviour.p0", "topology"]
    with pytest.raises(FileNotFoundError, match="neither a run folder"):
        load_results(results["sweep"] / "..")


def test_points_computed_from_runs_match_the_contract(results, sweep):
    csv = load_results(results["sweep_csv"])
    mine = csv.points.set_index(["behaviour.p0", "topology"]).sort_index()
    theirs = sweep.points.set_index(["behaviour.p0", "topology"]).sort_index()
    for col in ("n", "reach_mean", "reach_ci_low", "reach_ci_high", "exits_mean", "exits_ci_high"):
        np.testing.assert_allclose(mine[col].to_numpy(float), theirs[col].to_numpy(float), rtol=1e-9)
    np.testing.assert_allclose(
        compute_points(sweep.runs, sweep.params)["reach_mean"], sweep.points["reach_mean"], rtol=1e-12
    )


def test_selection_defaults_and_errors(sweep):
    sel = select(sweep)
    assert (sel.x, sel.by, sel.where, sel.at) == ("behaviour.p0", "topology", {}, P0[1])
    assert select(sweep, at=0.015).at == P0[2]
    with pytest.raises(ValueError, match="not a swept parameter"):
        select(sweep, x="fatigue.kappa")
    with pytest.raises(ValueError, match="not numeric"):
        select(sweep, x="topology")
    with pytest.raises(ValueError, match="not swept"):
        select(sweep, where={"fatigue.kappa": 0.1})


# ---------------------------------------------------------------------------
# Charts 1-5 from the sweep: values drawn == values in the tables
# ---------------------------------------------------------------------------


def test_reach_chart_draws_means_and_confidence_bands(sweep, strict):
    fig = plot_reach(sweep.points, x="behaviour.p0", by="topology")
    for topo in TOPOLOGIES:
        pts = sweep.points[sweep.points["topology"] == topo].sort_values("behaviour.p0")
        line = _by_gid(fig, f"reach:{topo}", Line2D)
        np.testing.assert_allclose(line.get_xdata(), pts["behaviour.p0"])
        np.testing.assert_allclose(line.get_ydata(), pts["reach_mean"])
        band = _band_points(_by_gid(fig, f"reach_ci:{topo}", PolyCollection))
        pop = pts["population_mean"]  # the band is clipped to what is possible: 0..population
        for x, lo, hi, n in zip(pts["behaviour.p0"], pts["reach_ci_low"], pts["reach_ci_high"], pop):
            lo, hi = min(max(lo, 0.0), n), min(max(hi, 0.0), n)
            assert (round(x, 12), round(lo, 9)) in band and (round(x, 12), round(hi, 9)) in band
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylim()[0] == 0
    assert {"Hub", "Dandelion", "Honeycomb"} <= set(_texts(fig))  # labels at the line ends


def test_fatigue_chart(sweep, strict):
    fig = plot_fatigue(sweep.points, x="behaviour.p0", by="topology")
    for topo in TOPOLOGIES:
        pts = sweep.points[sweep.points["topology"] == topo].sort_values("behaviour.p0")
        np.testing.assert_allclose(_by_gid(fig, f"fatigue_share:{topo}", Line2D).get_ydata(), pts["fatigue_share_mean"])
        np.testing.assert_allclose(_by_gid(fig, f"exits:{topo}", Line2D).get_ydata(), pts["exits_mean"])
        np.testing.assert_allclose(pts["exits_mean"], pts["mutes_mean"] + pts["unfollows_mean"])
    assert sweep.points["exits_mean"].max() > 0, "the test sweep should produce exits"


def test_tradeoff_chart_and_frontier(sweep, strict):
    """Dots at the means; dominated options faded; dominance as the paired rule says (checked here
    with scipy's paired t-test and a Holm step-down written out by hand)."""
    ctx = sweep_context(sweep, lang="en", x=None, by=None, where=None, at=None)
    fig = make_charts(sweep, ["tradeoff"])["tradeoff"].figure
    at = ctx.sel.at
    pts = sweep.points[np.isclose(sweep.points["behaviour.p0"], at)]
    for topo in TOPOLOGIES:
        sub = pts[pts["topology"] == topo]
        offsets = _by_gid(fig, f"reach_vs_exits:{topo}", PathCollection).get_offsets()
        np.testing.assert_allclose(offsets, sub[["exits_mean", "reach_mean"]].to_numpy())
    runs = sweep.runs[np.isclose(sweep.runs["behaviour.p0"], at)]
    wide = runs.pivot(index="replicate", columns="topology", values="reach")
    pairs = list(itertools.combinations(TOPOLOGIES, 2))
    p = np.array([stats.ttest_rel(wide[a], wide[b]).pvalue for a, b in pairs])
    order = np.argsort(p)
    adj = np.empty_like(p)
    running = 0.0
    for rank, i in enumerate(order):  # Holm, by hand
        running = max(running, min(1.0, (len(p) - rank) * p[i]))
        adj[i] = running
    exits_ok = ctx.decision.measurable("exits")
    beaten = set()
    for (a, b), q in zip(pairs, adj):
        if q < 0.05 and not exits_ok:
            beaten.add(b if wide[a].mean() > wide[b].mean() else a)
    if not exits_ok:
        assert {o.point["topology"] for o in ctx.decision.options if o.key in ctx.verdict.dominated_by} == beaten
    faded = {
        t
        for t in TOPOLOGIES
        if ctx.verdict.status(next(o for o in ctx.decision.options if o.point["topology"] == t)) == "dominated"
    }
    for topo in TOPOLOGIES:
        colors = _by_gid(fig, f"reach_vs_exits:{topo}", PathCollection).get_facecolors()
        assert (colors[0][3] < 0.5) == (topo in faded)


def test_cumulative_reach_sweep_medians_and_run(sweep, runs, strict):
    at = select(sweep).at
    fig = plot_cumulative_reach(sweep.timeseries, sweep.runs, by="topology", where={"behaviour.p0": at})
    for topo in TOPOLOGIES:
        ids = sweep.runs.loc[(sweep.runs["topology"] == topo) & np.isclose(sweep.runs["behaviour.p0"], at), "run_id"]
        ts = sweep.timeseries[sweep.timeseries["run_id"].isin(ids)]
        assert ts["run_id"].nunique() == REPLICATES
        for metric in ("reach", "direct_reach", "second_level_reach"):
            med = ts.groupby("time_h")[metric].median()
            line = _by_gid(fig, f"{metric}:{topo}", Line2D)
            np.testing.assert_allclose(line.get_xdata(), med.index)
            np.testing.assert_allclose(line.get_ydata(), med.to_numpy())
            _by_gid(fig, f"{metric}_band:{topo}", PolyCollection)
    run = runs["hub"]
    fig = plot_cumulative_reach(run.timeseries)
    np.testing.assert_allclose(_by_gid(fig, "reach:None", Line2D).get_ydata(), run.timeseries["reach"])
    assert _by_gid(fig, "reach:None", Line2D).get_ydata()[-1] == run.summary["reach"]


def test_timeline_marks_post_times_and_keeps_legend_styles_apart(sweep, runs, strict):
    from simulator.plotting.timeline import post_times

    run = runs["hub"]
    assert post_times(run.timeseries) == [0.0, 8.0, 16.0]  # campaign: 3 posts, every 8 h
    fig = plot_cumulative_reach(run.timeseries)
    marks = [a for a in fig.findobj(Line2D) if a.get_gid() == "post:None"]
    assert sorted(float(m.get_xdata()[0]) for m in marks) == [0.0, 8.0, 16.0]
    leg = fig.axes[0].get_legend()
    # The dash pattern of each legend entry (matplotlib reports every custom pattern as "--").
    styles = {h.get_label(): str(h._unscaled_dash_pattern) for h in leg.legend_handles if h.get_linestyle() != "None"}
    assert len(set(styles.values())) == 3, styles  # total, direct, second level: three line styles
    # Sweep: every panel keeps its time tick labels.
    fig = plot_cumulative_reach(sweep.timeseries, sweep.runs, by="topology", where={"behaviour.p0": P0[1]})
    for ax in fig.axes:
        if ax.get_visible():
            assert any(t.get_text() for t in ax.get_xticklabels()), ax.get_title(loc="left")


def _bars(fig, gid: str) -> list[Rectangle]:
    """Bar rectangles tagged ``gid`` (matplotlib tags each bar), in drawing order."""
    bars = [r for r in fig.findobj(Rectangle) if r.get_gid() == gid]
    assert bars, f"no bars {gid!r}"
    return bars


def test_frequency_chart_single_run_and_sweep(sweep, runs, strict):
    run = runs["dandelion"]
    k = run.summary["effective_reach_threshold"]
    fig = plot_frequency(run.frequency, threshold=k)
    bars = fig.axes[0].containers[0]
    heights = np.array([r.get_height() for r in bars])
    f = run.frequency.set_index("exposures")["followers"]
    n = len(heights)
    expected = [f.get(e, 0) for e in range(1, n)] + [f[f.index >= n].sum()]
    np.testing.assert_allclose(heights, expected)
    assert heights.sum() == run.summary["reach"]  # every reached person is in exactly one bar
    assert sum(f.get(e, 0) for e in f.index if e >= k) == run.summary["effective_reach"]
    assert _by_gid(fig, "threshold", Line2D).get_xdata()[0] == k - 0.5

    at = select(sweep).at
    fig = plot_frequency(sweep.frequency, threshold=k, runs=sweep.runs, by="topology", where={"behaviour.p0": at})
    for i, topo in enumerate(TOPOLOGIES):
        bars = fig.axes[0].containers[i]
        ids = sweep.runs.loc[(sweep.runs["topology"] == topo) & np.isclose(sweep.runs["behaviour.p0"], at), "run_id"]
        wide = sweep.frequency[sweep.frequency["run_id"].isin(ids)].pivot_table(
            index="exposures", columns="run_id", values="followers", fill_value=0
        )
        med = wide.median(axis=1)
        got = np.array([r.get_height() for r in bars])
        np.testing.assert_allclose(got[:-1], [med.get(e, 0) for e in range(1, len(got))])

    fig = plot_effective_reach(sweep.points, threshold=k, by="topology", where={"behaviour.p0": at})
    eff = [r.get_width() for r in _bars(fig, "effective_reach")]
    pts = filter_where(sweep.points, {"behaviour.p0": at}).set_index("topology")
    np.testing.assert_allclose(eff, [pts.loc[t, "effective_reach_mean"] for t in TOPOLOGIES])


def test_frequency_buckets_keep_everyone():
    freq = pd.DataFrame({"exposures": range(15), "followers": [100, 50, 30, 20, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1, 1]})
    b = frequency_buckets(freq, threshold=3)
    assert b["label"].tolist()[-1] == "10+" and len(b) == 10
    assert b["followers"].sum() == freq["followers"][1:].sum()


# ---------------------------------------------------------------------------
# Charts 6-8 from single runs
# ---------------------------------------------------------------------------


def test_account_contribution_chart(runs, strict):
    acc = runs["hub"].accounts
    fig = plot_account_contribution(acc, top=10)
    top = top_accounts(acc, 10)
    direct = [r.get_width() for r in _bars(fig, "first_exposures_direct")]
    via = [r.get_width() for r in _bars(fig, "first_exposures_via_reposts")]
    np.testing.assert_allclose(direct, top["first_exposures_direct"])
    np.testing.assert_allclose(np.add(direct, via), top["first_exposures_total"])
    np.testing.assert_allclose([r.get_width() for r in _bars(fig, "relays")], top["relays"])
    # Followers lost: campaign-caused exits (mutes + unfollows) and, stacked after them, baseline churn.
    exits = [r.get_width() for r in _bars(fig, "campaign_exits")]
    churn = _bars(fig, "baseline_churn")
    np.testing.assert_allclose(exits, top["mutes"] + top["unfollows"])
    np.testing.assert_allclose([r.get_width() for r in churn], top["churned"])
    np.testing.assert_allclose([r.get_x() for r in churn], exits)
    np.testing.assert_allclose(-(top["unfollows"] + top["churned"]), top["net_audience_change"])
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == top["handle"].tolist() and any("万达影城" in h for h in labels)
    assert top["first_exposures_total"].is_monotonic_decreasing


def _node_positions(fig, n):
    offsets = _by_gid(fig, "accounts", PathCollection).get_offsets()
    assert len(offsets) == n
    return offsets


def test_matrix_diagram_shapes(runs, strict):
    # Hub: official at the centre, regional accounts on one ring.
    run = runs["hub"]
    ag = account_graph(run.scenario, run.accounts)
    pos = matrix_layout(ag)
    centre = pos[ag.roots[0]]
    radii = [math.hypot(*pos[v]) for v in ag.graph if v not in ag.roots]
    assert centre == (0.0, 0.0) and np.ptp(radii) < 1e-9
    fig = plot_account_matrix(run.scenario, run.accounts)
    _node_positions(fig, len(run.accounts))
    edges = [a for a in fig.findobj(FancyArrowPatch) if str(a.get_gid()).startswith("edge:")]
    assert len(edges) == ag.graph.number_of_edges() == 24
    # Marker area proportional to followers (above a visibility floor); drawn small to large.
    sizes = _by_gid(fig, "accounts", PathCollection).get_sizes()
    followers = np.sort(run.accounts["followers_initial"].to_numpy(float))
    assert np.all(np.diff(sizes) >= 0)
    above = sizes > sizes.min()
    np.testing.assert_allclose(sizes[above] / followers[above], sizes[-1] / followers[-1], rtol=1e-9)
    assert run.accounts.set_index("account").loc["official", "followers_initial"] == followers[-1]

    # Dandelion: sub-brands on an inner ring, each one's spokes fanned outside it.
    run = runs["dandelion"]
    ag = account_graph(run.scenario, run.accounts)
    pos = matrix_layout(ag)
    g = ag.graph
    for sub in (v for v in g if g.nodes[v]["kind"] == "sub_brand"):
        spokes = [v for v in g.successors(sub) if g.nodes[v]["kind"] == "regional"]
        assert len(spokes) == 5
        a_sub = math.atan2(pos[sub][1], pos[sub][0])
        for v in spokes:
            assert math.hypot(*pos[v]) > math.hypot(*pos[sub]) + 0.5
            diff = (math.atan2(pos[v][1], pos[v][0]) - a_sub + math.pi) % (2 * math.pi) - math.pi
            assert abs(diff) < math.pi / 4  # inside its parent's quarter
    # Honeycomb: employees on a hexagonal lattice; ring neighbours (who relay each other) adjacent.
    run = runs["honeycomb"]
    ag = account_graph(run.scenario, run.accounts)
    pos = matrix_layout(ag)
    emp = [v for v in ag.graph if ag.graph.nodes[v]["kind"] == "employee"]
    d = [math.dist(pos[a], pos[b]) for a, b in itertools.pairwise(emp)]
    cell = min(math.dist(pos[a], pos[b]) for a in emp[:20] for b in emp[:20] if a != b)
    assert np.median(d) == pytest.approx(cell, rel=1e-6)
    assert pos[ag.roots[0]] == (0.0, 0.0)
    # Twin star: official and executives side by side.
    run = runs["twin_star"]
    ag = account_graph(run.scenario, run.accounts)
    pos = matrix_layout(ag)
    stars = [v for v in ag.graph if ag.graph.nodes[v]["kind"] in ("official", "executive")]
    assert len(stars) == 3 and len({pos[v][1] for v in stars}) == 1 and len({pos[v][0] for v in stars}) == 3


def test_propagation_path(runs, strict):
    run = runs["dandelion"]
    rows, info = path_tree(run.relays)
    item_rows = run.relays[run.relays["item"] == info["item"]]
    # The default item is the one whose relays reached the most people.
    assert info["reach_added"] == run.relays.groupby("item")["reach_added"].sum().max()
    fig = plot_propagation_path(run.relays, run.accounts)
    pts = _by_gid(fig, "relays", PathCollection)
    np.testing.assert_allclose(pts.get_offsets()[:, 0], rows["relayed_h"] - info["post_h"])
    cum = _by_gid(fig, "cum_reach_added", Line2D)
    assert cum.get_ydata()[-1] == item_rows["reach_added"].sum()
    # Every drawn relay hangs under the account it relayed (or the original post).
    targets = dict(zip(rows["row"], rows["target"]))
    for _, r in rows.iterrows():
        if r["parent_row"] < 0:
            assert r["source"] == info["root"] == "official"
        else:
            assert targets[r["parent_row"]] == r["source"]
    links = _by_gid(fig, "path_links", LineCollection)
    assert len(links.get_segments()) == len(rows)
    handles = set(run.accounts["handle"])
    drawn = {t.split("  +")[0] for t in _texts(fig) if "  +" in t}
    assert drawn <= handles and len(drawn) == len(rows)
    # Trimming keeps the largest relays and their ancestors.
    small, small_info = path_tree(run.relays, top=3)
    assert small_info["hidden"] == len(item_rows) - len(small)
    assert set(item_rows.nlargest(3, "reach_added")["target"]) <= set(small["target"])


# ---------------------------------------------------------------------------
# Chinese, files, style
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def zh_charts(results):
    """Every chart of the sweep and of one run, in Chinese, drawn with warnings as errors
    (a missing glyph warns when the text is laid out, which every chart function does)."""
    _require_cjk()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return {source: make_charts(results[source], lang="zh") for source in ("sweep", "dandelion")}


@pytest.mark.parametrize("source", ["sweep", "dandelion"])
def test_all_charts_render_in_chinese_without_warnings(zh_charts, source, strict, tmp_path):
    cs = zh_charts[source]
    assert set(cs.charts) == (
        {"differences", "reach", "fatigue", "tradeoff", "timeline", "frequency"}
        if source == "sweep"
        else {"timeline", "frequency", "accounts", "matrix", "path"}
    )
    assert set(cs.skipped) == set(KINDS) - set(cs.charts)
    for chart in cs:
        texts = " ".join(_texts(chart.figure))
        assert re.search(r"[\u4e00-\u9fff]", chart.title), chart.title
        assert not re.search(r"\b(Reach|Hours|People|Followers)\b", texts), (chart.kind, texts)
        assert re.search(r"[\u4e00-\u9fff]", chart.takeaway), chart.takeaway
    (png,) = save_figure(next(iter(cs)).figure, tmp_path / "chart", formats=("png",))
    with Image.open(png) as img:
        assert img.info["dpi"][0] >= 199.5
        assert img.size[0] / img.size[1] == pytest.approx(16 / 9, rel=2e-3)


def test_labels_stay_inside_the_figure(zh_charts, strict):
    """No text is clipped at the figure edge (a designer's first check)."""
    for chart in [*zh_charts["sweep"], *zh_charts["dandelion"]]:
        fig = chart.figure
        renderer = fig.canvas.get_renderer()
        fig.draw_without_rendering()
        W, H = fig.bbox.width, fig.bbox.height
        # Tick labels outside the view limits exist but are not drawn: check only the drawn ones.
        tick_texts = {
            id(t)
            for ax in fig.axes
            for axis in (ax.xaxis, ax.yaxis)
            for tick in axis.majorTicks + axis.minorTicks
            for t in (tick.label1, tick.label2)
        }
        drawn_ticks = []
        for ax in fig.axes:
            for axis in (ax.xaxis, ax.yaxis):
                lo, hi = sorted(axis.get_view_interval())
                drawn_ticks += [
                    tick.label1
                    for tick in axis.get_major_ticks()
                    if tick.get_loc() is not None and lo - 1e-9 <= tick.get_loc() <= hi + 1e-9
                ]
        texts = [t for t in fig.findobj(matplotlib.text.Text) if id(t) not in tick_texts] + drawn_ticks
        for t in texts:
            if not t.get_visible() or not t.get_text().strip():
                continue
            bb = t.get_window_extent(renderer)
            assert bb.x0 >= -1 and bb.y0 >= -1 and bb.x1 <= W + 1 and bb.y1 <= H + 1, (chart.kind, t.get_text())


def test_vector_formats_embed_fonts(runs, tmp_path, strict):
    _require_cjk()
    fig = plot_account_matrix(runs["twin_star"].scenario, runs["twin_star"].accounts, lang="zh")
    _png, svg, pdf = save_figure(fig, tmp_path / "matrix", formats=("png", "svg", "pdf"))
    assert "<text" not in svg.read_text(encoding="utf-8")
    data = pdf.read_bytes()
    assert b"/CharProcs" in data or b"/FontFile" in data


# ---------------------------------------------------------------------------
# Takeaways
# ---------------------------------------------------------------------------


def test_reach_takeaway_follows_the_paired_rule(sweep):
    """The reach headline names the two leading options; it says "more people" only when their
    paired difference survives Holm's correction over every pair (checked with scipy here)."""
    ctx = sweep_context(sweep, lang="en", x=None, by=None, where=None, at=None)
    at = ctx.sel.at
    runs = sweep.runs[np.isclose(sweep.runs["behaviour.p0"], at)]
    wide = runs.pivot(index="replicate", columns="topology", values="reach")
    a, b = wide.mean().sort_values(ascending=False).index[:2]
    pairs = list(itertools.combinations(TOPOLOGIES, 2))
    p = {pair: stats.ttest_rel(wide[pair[0]], wide[pair[1]]).pvalue for pair in pairs}
    ranked = sorted(p.values())
    holm_ab = max(
        min(1.0, (len(p) - k) * ranked[k])
        for k in range(ranked.index(p[tuple(sorted((a, b), key=TOPOLOGIES.index))]) + 1)
    )
    text = T.takeaway_reach(ctx.decision, x="behaviour.p0", at=at)
    assert text.startswith(f"At p0 = {at:g}, {a.capitalize()}")
    assert b.capitalize() in text
    if holm_ab < 0.05:
        assert "more people than" in text and "n.s." not in text.split(";")[0]
    else:
        assert "similar" in text and "n.s." in text
    zh = T.takeaway_reach(
        sweep_context(sweep, lang="zh", x=None, by=None, where=None, at=None).decision,
        x="behaviour.p0",
        at=at,
        lang="zh",
    )
    assert ("多触达" in zh) == (holm_ab < 0.05) and (("差异不显著" in zh) == (holm_ab >= 0.05))


def test_run_takeaways_quote_the_tables(runs):
    run = runs["hub"]
    s = run.summary
    f = run.frequency
    reached = f.loc[f["exposures"] > 0, "followers"].sum()
    once = f.loc[f["exposures"] == 1, "followers"].sum() / reached
    text = T.takeaway_run_frequency(f, 3)
    assert text.startswith(f"{once * 100:.0f}% of the people reached saw it once")
    top = run.accounts.sort_values("first_exposures_total", ascending=False).iloc[0]
    share = top["first_exposures_total"] / run.accounts["first_exposures_total"].sum()
    accounts = T.takeaway_accounts(run.accounts)
    assert accounts.startswith(f"{top['handle']} caused {share * 100:.0f}%")
    # Campaign-caused exits and baseline churn are told apart; churn is never the campaign's.
    exits = int(run.accounts["mutes"].sum() + run.accounts["unfollows"].sum())
    churn = int(run.accounts["churned"].sum())
    assert f"the campaign caused {exits} mutes and unfollows" in accounts
    assert f"baseline churn (with or without a campaign) removed {churn}" in accounts
    assert T.takeaway_matrix(run.scenario, run.accounts).startswith(
        f"{len(run.accounts)} accounts (1 official, {len(run.accounts) - 1} regional), 24 relay edges"
    )
    _, info = path_tree(run.relays)
    assert T.takeaway_path(run.relays, run.accounts).startswith(f"{info['n_relays']} relays within")
    assert s["account_relays"] == len(run.relays)


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def test_cli_plot_sweep_and_run(results, tmp_path, capsys):
    from simulator.cli.entry import main

    out = tmp_path / "sweep_plots"
    code = main(["plot", str(results["sweep_csv"]), "-o", str(out), "--kind", "reach,4", "--format", "png"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert sorted(p.name for p in out.iterdir()) == ["01_reach.png", "04_timeline.png"]
    assert "1 failed runs left out" in printed and "At p0 = 0.004" in printed

    code = main(["plot", str(results["twin_star"]), "--kind", "matrix", "--kind", "path", "--lang", "zh"])
    printed = capsys.readouterr().out
    assert code == 0
    assert (results["twin_star"] / "plots" / "07_matrix.png").is_file()
    assert (results["twin_star"] / "plots" / "08_path.png").is_file()


def test_cli_errors_are_messages_not_tracebacks(results, tmp_path, capsys):
    from simulator.cli.entry import main

    assert main(["plot", str(tmp_path / "nope")]) == 1
    assert main(["plot", str(results["hub"]), "--kind", "bogus"]) == 1
    assert main(["plot", str(results["hub"]), "--kind", "reach", "-o", str(tmp_path / "x")]) == 1
    assert main(["plot", str(results["sweep"]), "--x", "fatigue.kappa", "-o", str(tmp_path / "y")]) == 1
    err = capsys.readouterr()
    assert "Traceback" not in err.err + err.out
    assert "no such folder" in err.err and "unknown chart kind 'bogus'" in err.err
    assert "needs a sweep folder" in err.out and "not a swept parameter" in err.err
    with pytest.raises(SystemExit) as exc:
        main(["plot", str(results["hub"]), "--format", "gif"])
    assert exc.value.code == 2


def test_render_api_writes_numbered_files(results, tmp_path, strict):
    report = render(results["sweep"], tmp_path / "o", kinds=["tradeoff"], formats=("pdf",), lang="en")
    assert [p.name for p in report.files] == ["03_tradeoff.pdf"]
    assert report.charts.skipped == {}
    manifest = json.loads((results["sweep"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["replicates"] == REPLICATES


# ---------------------------------------------------------------------------
# Parameter values in text, log axes, a readable trade-off chart (30 points, few exits)
# ---------------------------------------------------------------------------

LOG_P0 = tuple(np.logspace(-3, -2, 5))  # 0.001, 0.00177828, 0.00316228, 0.00562341, 0.01
LOG_P0_TEXT = ["0.001", "0.00178", "0.00316", "0.00562", "0.01"]
SIX = ("centralized", "organic", "hub", "dandelion", "honeycomb", "twin_star")


def log_sweep_runs(exits_per_run: int = 1) -> pd.DataFrame:
    """A runs table shaped like `propsim sweep compare_topologies --scale 0.1`: 6 topologies x 5
    log-spaced p0 x 3 replicates, reach growing with p0, exits 0 or ``exits_per_run`` (few)."""
    rng = np.random.default_rng(7)
    rows = []
    for t, topo in enumerate(SIX):
        for k, p0 in enumerate(LOG_P0):
            for rep in range(3):
                exits = exits_per_run * int(rng.random() < 0.2)
                reach = 8000 + 1500 * t + 900 * k + rng.normal(0, 600)
                rows.append(
                    {
                        "run_id": len(rows),
                        "behaviour.p0": p0,
                        "topology": topo,
                        "replicate": rep,
                        "seed": rep,
                        "status": "ok",
                        "error": None,
                        "duration_s": 0.1,
                        "reach": reach,
                        "direct_reach": 0.9 * reach,
                        "second_level_reach": 0.1 * reach,
                        "effective_reach": 0.7 * reach,
                        "fatigue_share": 0.004 + 0.003 * rng.random(),
                        "mutes": exits,
                        "unfollows": 0,
                        "exits": exits,
                        "t50_h": 0.0,
                    }
                )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def log_points() -> pd.DataFrame:
    return compute_points(log_sweep_runs(), ["behaviour.p0", "topology"])


def log_sweep(exits_per_run: int = 1) -> SweepData:
    runs = log_sweep_runs(exits_per_run).assign(population=50000)
    params = ["behaviour.p0", "topology"]
    return SweepData(runs, compute_points(runs, params), params)


def _ticklabels(axis) -> list[str]:
    lo, hi = sorted(axis.get_view_interval())
    return [t.label1.get_text() for t in axis.get_major_ticks() if lo <= t.get_loc() <= hi]


def _too_many_digits(s: str) -> list[str]:
    """Numbers in ``s`` with more than 3 significant digits (e.g. "0.00316228")."""
    return [m for m in re.findall(r"\d+\.\d+", s) if len(m.replace(".", "").lstrip("0")) > 3]


def test_format_value_three_significant_digits_never_ambiguous():
    from simulator.plotting.style import format_value, value_formatter

    assert [format_value(v) for v in LOG_P0] == LOG_P0_TEXT
    assert [format_value(v) for v in (0.5, 12.3456, 20000, 3, 1e-5, 0.0)] == ["0.5", "12.3", "20000", "3", "1e-5", "0"]
    assert format_value("hub") == "hub"
    close = (0.001, 0.0010004, 0.0010009)  # the same at 3 digits: more until they differ
    shown = [format_value(v, close) for v in close]
    assert len(set(shown)) == 3 and shown[0] == "0.001", shown
    assert format_value(0.0010004) == "0.001"  # alone, 3 digits
    fmt = value_formatter(LOG_P0)
    assert [fmt(v, i) for i, v in enumerate(LOG_P0)] == LOG_P0_TEXT


def test_log_axis_for_log_spaced_values():
    from simulator.plotting._figure import log_spaced

    assert log_spaced(LOG_P0) and log_spaced([0.001, 0.01])  # a decade (10.000000000000002 or not)
    assert log_spaced([0.002, 0.004, 0.008])  # geometric, less than a decade
    assert not log_spaced([0.002, 0.004, 0.006]) and not log_spaced([0.002, 0.004])
    assert not log_spaced([0, 0.001, 0.01]) and not log_spaced([0.001])


def test_log_spaced_sweep_charts_ticks_and_labels(log_points, strict):
    fig = plot_reach(log_points, x="behaviour.p0", by="topology", lang="zh")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert _ticklabels(ax.xaxis) == LOG_P0_TEXT  # a tick at every swept value, 3 digits
    np.testing.assert_allclose(_by_gid(fig, "reach:hub", Line2D).get_xdata(), LOG_P0)  # data stay exact

    fig = plot_fatigue(log_points, x="behaviour.p0", by="topology")
    for ax in fig.axes[:2]:
        assert ax.get_xscale() == "log" and _ticklabels(ax.xaxis) == LOG_P0_TEXT
    shares = _ticklabels(fig.axes[0].yaxis)
    assert len(set(shares)) == len(shares), shares  # 0.5% steps do not print "1%, 1%"
    for shown, tick in zip(shares, fig.axes[0].yaxis.get_ticklocs()):
        assert float(shown.rstrip("%")) == pytest.approx(tick * 100)  # 1.25% reads 1.25%, not 1.2%
    # Exits with no measurable effect: a sentence, not a zig-zag of noise.
    fig = plot_fatigue(log_points, x="behaviour.p0", by="topology", no_effect=["exits"])
    assert not fig.findobj(lambda a: str(a.get_gid()).startswith("exits"))
    note = _by_gid(fig, "no_effect:exits", matplotlib.text.Text).get_text()
    assert note.startswith("No measurable effect") and "1 person per 10,000" in note
    assert plot_fatigue(log_points, x="behaviour.p0", by="topology").findobj(lambda a: a.get_gid() == "exits:hub")

    geo = log_points.assign(
        **{"behaviour.p0": log_points["behaviour.p0"].map(dict(zip(LOG_P0, (0.002, 0.003, 0.0045, 0.00675, 0.010125))))}
    )
    assert plot_reach(geo, x="behaviour.p0", by="topology").axes[0].get_xscale() == "log"
    lin = log_points.assign(**{"behaviour.p0": log_points["behaviour.p0"].map(dict(zip(LOG_P0, (1, 2, 3, 4, 5))))})
    fig = plot_reach(lin, x="behaviour.p0", by="topology")
    assert fig.axes[0].get_xscale() == "linear" and _ticklabels(fig.axes[0].xaxis) == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_tradeoff_labels_only_the_frontier_and_never_covers_a_point(lang, strict):
    data = log_sweep()
    cs = make_charts(data, ["tradeoff"], lang=lang)
    fig, ctx = cs["tradeoff"].figure, cs.context
    ax = fig.axes[0]
    frontier = {o.point["topology"] for o in ctx.verdict.frontier}
    labels = [t for t in ax.texts if t.get_gid() == "frontier_label"]
    assert len(labels) == len(frontier) < len(SIX)  # some options are dominated: not labelled
    assert {t.get_text() for t in labels} == {label(t, lang) for t in frontier}
    for t in labels:
        assert not _too_many_digits(t.get_text()), t.get_text()
    # Options compared at one p0 (behaviour is not a choice): six dots, not thirty.
    assert sum(len(c.get_offsets()) for c in fig.findobj(PathCollection)) == len(SIX)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    leg = ax.get_legend().get_window_extent(renderer)
    assert leg.x0 >= ax.get_window_extent(renderer).x1
    centres = np.vstack(
        [
            c.get_offset_transform().transform(c.get_offsets())
            for c in fig.findobj(PathCollection)
            if str(c.get_gid()).startswith("reach_vs_exits:")
        ]
    )
    for t in labels:
        box = matplotlib.text.Text.get_window_extent(t, renderer)
        inside = [(x, y) for x, y in centres if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1]
        assert not inside, (t.get_text(), inside)


def test_tradeoff_with_many_exits_keeps_exits_whiskers(strict):
    points = compute_points(log_sweep_runs(exits_per_run=40), ["behaviour.p0", "topology"])
    fig = plot_tradeoff(points, x="behaviour.p0", by="topology")
    assert "no frontier drawn" in _by_gid(fig, "footer", matplotlib.text.Text).get_text()  # means alone decide nothing
    assert not fig.findobj(lambda a: a.get_gid() in ("frontier", "frontier_label"))
    horizontal = [
        s
        for c in fig.findobj(LineCollection)
        if str(c.get_gid()).startswith("reach_vs_exits_ci:")
        for s in c.get_segments()
        if s[0][1] == pytest.approx(s[1][1]) and s[0][0] != s[1][0]
    ]
    assert horizontal
    assert min(s[:, 0].min() for s in horizontal) >= 0  # clipped at 0 exits


def test_takeaways_print_three_digits():
    data = log_sweep()
    for lang in ("en", "zh"):
        cs = make_charts(data, ["differences", "reach", "fatigue", "tradeoff"], lang=lang, at=LOG_P0[2])
        texts = [c.takeaway for c in cs] + [cs.recommendation.headline, *cs.recommendation.bullets]
        assert "p0 = 0.00316" in cs["reach"].takeaway
        for s in texts:
            assert not _too_many_digits(s), s
        hub = SweepData(
            data.runs[data.runs["topology"] == "hub"], data.points[data.points["topology"] == "hub"], data.params
        )
        trend = make_charts(hub, ["reach"], lang=lang)["reach"].takeaway
        assert not _too_many_digits(trend) and "0.01" in trend, trend


def test_tradeoff_over_a_chosen_parameter_labels_its_frontier(strict):
    """A relay probability is a choice: every swept value is an option, named from the scenario."""
    runs = log_sweep_runs(exits_per_run=40).rename(columns={"behaviour.p0": "relays.0.probability"})
    runs = runs[runs["topology"] == "hub"].drop(columns="topology").assign(population=50000)
    data = SweepData(runs, compute_points(runs, ["relays.0.probability"]), ["relays.0.probability"])
    with parameter_labels(
        {"relays.0.probability": {"en": "official → city relay probability", "zh": "官方→城市 接力转发概率"}}
    ):
        cs = make_charts(data, ["tradeoff"], lang="zh")
    ctx = cs.context
    assert len(ctx.decision.options) == len(LOG_P0)
    labels = [t.get_text() for t in cs["tradeoff"].figure.axes[0].texts if t.get_gid() == "frontier_label"]
    assert len(labels) == len(ctx.verdict.frontier) and all(t.startswith("官方→城市 接力转发概率 = ") for t in labels)


def test_effective_share_of_a_thin_bar_is_written_beside_it():
    """A bar too thin to hold its share (organic at the gallery's p0: 7 of 14,000 people) gets the share
    beside it in the text colour, not a white label spilling over the axis labels."""
    import pandas as pd

    from simulator.plotting.frequency import plot_effective_reach

    pts = pd.DataFrame({"reach_mean": [14_000.0], "effective_reach_mean": [7.0], "mean_frequency_mean": [1.0]})
    fig = plot_effective_reach(pts, threshold=3)
    (share,) = [t for t in fig.axes[0].texts if "%" in t.get_text()]
    assert share.get_position()[0] >= 7.0 and share.get_ha() == "left"
    assert share.get_color() != "white" and "0.05%" in share.get_text()
    pts["effective_reach_mean"] = 5_000.0
    (share,) = [t for t in plot_effective_reach(pts, threshold=3).axes[0].texts if "%" in t.get_text()]
    assert share.get_color() == "white" and share.get_ha() == "center"
