"""Charts and decks a CMO can trust: every claim follows the paired rule, intervals stay possible,
slides name things as people do.

Two tiny real sweeps (``simulator.sweep``, 3,000 followers, 4 replicates, same seeds per
replicate) are built once:

- **identical**: one scenario under two labels ("Plan A", "Plan B"): every paired difference is
  exactly 0, so no slide may rank, call anything dominated or draw a frontier;
- **better**: an official account whose post the city account relays with probability 0 or 1
  (``relays.0.probability``): relaying adds the city account's followers, a difference far
  outside the noise, so the winner is named with its interval.

The sweep ``differences`` table and manifest entries are added as the sweep contract states
(``tests/sweep_contract.py``, computed with scipy, independently of the plotting code).
"""

from __future__ import annotations

import itertools
import re
import warnings
import zipfile
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from pptx import Presentation
from scipy import stats

import simulator
from simulator.plotting import load_results, make_charts, render
from simulator.plotting.compare import Comparisons, Stat, holm, stat_from_values
from simulator.plotting.data import SweepData, compute_points
from simulator.plotting.formatters import format_sig
from simulator.plotting.sweep_charts import sweep_context
from tests.sweep_contract import add_contract

matplotlib.use("Agg")

BASE = {
    "seed": 5,
    "population": {"size": 3000},
    "time": {"horizon": 24},
    "campaign": [{"account": "official", "at": 0, "repeat": 2, "every": 6}],
}
IDENTICAL = {
    **BASE,
    "name": "identical_plans",
    "description": "Two plans that are the same campaign",
    "topology": {
        "preset": "hub",
        "params": {"official_followers": 1500, "regional": 6, "regional_followers": {"median": 300, "sigma": 0.5}},
    },
}
BETTER = {
    **BASE,
    "name": "relay_test",
    "description": "Should the city account relay the official post?",
    "accounts": [
        {"id": "official", "handle": "@官方号", "kind": "official", "followers": {"median": 900, "sigma": 0.1}},
        {"id": "city", "handle": "@城市号", "kind": "regional", "followers": {"median": 900, "sigma": 0.1}},
    ],
    "relays": [{"source": "official", "target": "city", "probability": 0.5}],
}
RAW_PATHS = ("relays.0.probability", "behaviour.p0", "topology.preset", "topology.params")
# A dotted field path: word.word or word.3.word (numbers such as 0.001 or "e.g." do not match).
DOTTED = re.compile(r"\b[a-z_]{2,}\.(?:\d+\.)?[a-z_]{2,}\b")


def _sweep(folder: Path, doc: dict, parameters: dict, baseline: dict, labels: dict | None = None) -> Path:
    simulator.sweep(doc, parameters, replicates=4, output=folder, resume=False, progress=False)
    add_contract(folder, baseline, labels=labels, plausible=("weibo", {"behaviour.p0": (0.0008, 0.002)}))
    return folder


@pytest.fixture(scope="module")
def identical(tmp_path_factory) -> Path:
    return _sweep(
        tmp_path_factory.mktemp("identical") / "sweep",
        IDENTICAL,
        {"description": ["Plan A", "Plan B"], "behaviour.p0": [0.01, 0.02]},
        {"description": "Plan A", "behaviour.p0": 0.01},
        labels={"description": {"en": "Plan", "zh": "方案"}},
    )


@pytest.fixture(scope="module")
def better(tmp_path_factory) -> Path:
    # No parameter_labels: the relay's name must come from the scenario (official → city).
    return _sweep(
        tmp_path_factory.mktemp("better") / "sweep",
        BETTER,
        {"relays.0.probability": [0.0, 1.0], "behaviour.p0": [0.0005, 0.001]},
        {"relays.0.probability": 0.0, "behaviour.p0": 0.0005},
    )


def _deck_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(
            z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml") and ("slide" in n or "docProps" in n)
        )


def _deck_text(path: Path) -> list[str]:
    out = []
    for slide in Presentation(str(path)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [c.text for row in shape.table.rows for c in row.cells]
        out.append(" ".join(parts))
    return out


def _chart_texts(charts) -> str:
    return "\n".join(t.get_text() for c in charts for t in c.figure.findobj(matplotlib.text.Text) if t.get_visible())


def _render(folder: Path, tmp_path: Path, lang: str):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return render(folder, tmp_path / f"plots_{lang}", lang=lang, deck=tmp_path / f"deck_{lang}.pptx")


# ---------------------------------------------------------------------------
# (a) Two truly identical options: no ranking, no "dominated", no frontier; "n.s."
# ---------------------------------------------------------------------------


def test_identical_options_differ_by_exactly_zero(identical):
    data = load_results(identical)
    assert data.differences is not None
    comps = sweep_context(data, lang="en", x=None, by=None, where=None, at=None).decision
    assert comps.paired and len(comps.options) == 2
    for metric in ("reach", "effective_reach", "exits"):
        ((_, s),) = comps.vs_baseline(metric)
        assert s.diff == 0 and s.lo == 0 and s.hi == 0 and s.p == 1.0 and not s.significant
        assert not comps.measurable(metric)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_identical_options_deck_makes_no_claim(identical, tmp_path, lang):
    report = _render(identical, tmp_path, lang)
    cs = report.charts
    assert list(cs.charts)[0] == "differences"  # paired differences lead the deck
    slides = _deck_text(report.deck)
    assert slides[1] == cs["differences"].takeaway
    deck = " ".join(slides)
    texts = _chart_texts(cs)
    if lang == "en":
        for claim in (
            r"\bdominates (?!another)",
            "also dominated",
            "frontier",
            "more people than",
            "fewer exits",
            "Recommended:",
            "trade-off:",
        ):
            assert not re.search(claim, deck), claim
        assert "n.s." in deck and "similar" in deck and "tied" in deck and "no option dominates another" in deck
    else:
        for claim in ("优于", "被占优", "有效前沿", "多触达", "建议选择", "存在权衡"):
            assert claim not in deck, claim
        assert "不显著" in deck and "相近" in deck and "没有方案占优" in deck
    assert "n.s." in texts  # the difference chart marks every difference n.s.
    tradeoff = cs["tradeoff"].figure
    assert not tradeoff.findobj(lambda a: a.get_gid() == "frontier")  # no frontier segment
    rec = cs.recommendation
    assert rec is not None and len(rec.tied) == 1


# ---------------------------------------------------------------------------
# (b) One option clearly better: the right winner, with its interval
# ---------------------------------------------------------------------------


def test_clearly_better_option_wins_with_its_interval(better, tmp_path):
    data = load_results(better)
    runs = data.runs
    at = 0.001  # the swept p0 inside the manifest's plausible range (0.0008-0.002): options compared there
    sub = runs[np.isclose(runs["behaviour.p0"], at)]
    wide = sub.pivot(index="replicate", columns="relays.0.probability", values="effective_reach")
    test = stats.ttest_rel(wide[1.0], wide[0.0])
    # the scenario does what the test needs: the relay helps in every replicate, clearly
    assert (wide[1.0] > wide[0.0]).all() and test.pvalue < 0.05
    report = _render(better, tmp_path, "en")
    assert report.charts.selection.at == at
    rec = report.charts.recommendation
    assert rec is not None and rec.best.point["relays.0.probability"] == 1.0 and not rec.tied
    assert rec.headline.startswith("Recommended: @官方号 → @城市号 relay probability = 1")  # named by handle (manifest)
    mean = wide[1.0].mean()
    half = stats.t.ppf(0.975, 3) * wide[1.0].std(ddof=1) / 2
    lo, hi = max(mean - half, 0), mean + half
    expected = f"{format_sig(mean, integer=True)} ({format_sig(lo, integer=True)}–{format_sig(hi, integer=True)})"
    assert expected in rec.headline
    d = wide[1.0] - wide[0.0]
    dh = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert rec.vs_runner is not None
    assert rec.vs_runner.diff == pytest.approx(d.mean()) and rec.vs_runner.half == pytest.approx(dh)
    slides = _deck_text(report.deck)
    assert any("Recommended: @官方号 → @城市号 relay probability = 1" in s for s in slides)
    tk = report.charts["tradeoff"].takeaway
    assert "dominates @官方号 → @城市号 relay probability = 0" in tk
    assert "more people than @官方号 → @城市号 relay probability = 0" in report.charts["reach"].takeaway


def test_no_raw_field_path_in_the_deck_or_the_charts(better, identical, tmp_path):
    for name, folder in (("better", better), ("identical", identical)):
        for lang in ("en", "zh"):
            report = _render(folder, tmp_path / name, lang)
            xml = _deck_xml(report.deck)
            texts = _chart_texts(report.charts)
            for raw in RAW_PATHS:
                assert raw not in xml and raw not in texts, raw
            assert not DOTTED.findall(" ".join(_deck_text(report.deck))), DOTTED.findall(xml)
            assert not DOTTED.findall(texts), DOTTED.findall(texts)
    title = Presentation(str(tmp_path / "better" / "deck_en.pptx")).slides[0].shapes
    assert any(
        "Should the city account relay the official post?" in s.text_frame.text for s in title if s.has_text_frame
    )


def test_intervals_stay_inside_the_feasible_range(better):
    data = load_results(better)
    pop = float(data.runs["population"].max())
    charts = make_charts(data, ["reach", "differences"])
    for band in charts["reach"].figure.findobj(PolyCollection):
        if str(band.get_gid()).startswith("reach_ci:"):
            y = band.get_paths()[0].vertices[:, 1]
            assert y.min() >= 0 and y.max() <= pop
    comps = charts.context.points
    for o in comps.options:
        for metric, top in (("reach", pop), ("exits", pop), ("fatigue_share", 1.0)):
            _, lo, hi = comps.level(o, metric)
            assert 0 <= lo <= hi <= top
    # A points table whose t-interval runs past the population is drawn clipped.
    pts = data.points.assign(reach_ci_high=pop * 3, reach_ci_low=-pop)
    from simulator.plotting import plot_reach

    fig = plot_reach(pts, x="behaviour.p0", by="relays.0.probability")
    for band in fig.findobj(PolyCollection):
        y = band.get_paths()[0].vertices[:, 1]
        assert y.min() >= 0 and y.max() <= pop


# ---------------------------------------------------------------------------
# The rule itself
# ---------------------------------------------------------------------------


def test_paired_stat_matches_scipy():
    rng = np.random.default_rng(3)
    a = rng.normal(100, 10, 8)
    b = a - 5 + rng.normal(0, 2, 8)
    s = stat_from_values(a, b, paired=True)
    t = stats.ttest_rel(a, b)
    ci = t.confidence_interval()
    assert s.p == pytest.approx(t.pvalue) and (s.lo, s.hi) == pytest.approx((ci.low, ci.high))
    w = stat_from_values(a, b, paired=False)
    tw = stats.ttest_ind(a, b, equal_var=False)
    assert w.p == pytest.approx(tw.pvalue) and (w.lo, w.hi) == pytest.approx(tuple(tw.confidence_interval()))
    assert w.half > s.half  # pairing removes the shared noise
    same = stat_from_values(a, a, paired=True)
    assert (same.diff, same.lo, same.hi, same.p, same.significant) == (0, 0, 0, 1.0, False)
    one = stat_from_values(a[:1], b[:1], paired=True)
    assert np.isnan(one.p) and not one.significant


def test_holm_step_down():
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    out = holm([0.2, np.nan, 0.01])
    assert np.isnan(out[1]) and out[2] == pytest.approx(0.02) and out[0] == pytest.approx(0.2)
    # Holm decides "significant": p = 0.03 alone counts; among four, it does not.
    s = Stat(1.0, 0.1, 1.9, 0.03, 5, True)
    assert s.significant and not Stat(1.0, 0.1, 1.9, 0.03, 5, True, p_adj=0.12).significant


def _synthetic(paired: bool, gap: float) -> SweepData:
    """Two options over 6 replicates: a per-replicate swing of +-2000 people shared by both options
    (what common random numbers give), small own noise, and ``gap``. The values are the same
    either way; ``paired=False`` only gives every run its own seed, as an unpaired sweep would."""
    rng = np.random.default_rng(11)
    swing = rng.normal(0, 2000, 6)
    own = rng.normal(0, 50, 12)
    rows = []
    for opt, add in (("hub", 0.0), ("dandelion", gap)):
        for rep in range(6):
            reach = 20000 + add + swing[rep] + own[len(rows)]
            rows.append(
                {
                    "run_id": len(rows),
                    "topology.preset": opt,
                    "replicate": rep,
                    "seed": rep if paired else 100 * len(rows),
                    "status": "ok",
                    "reach": reach,
                    "effective_reach": 0.5 * reach,
                    "exits": 3,
                    "population": 50000,
                }
            )
    runs = pd.DataFrame(rows)
    return SweepData(runs, compute_points(runs, ["topology.preset"]), ["topology.preset"])


def test_pairing_is_detected_and_unpaired_is_said():
    paired = sweep_context(_synthetic(True, 600), lang="en", x=None, by=None, where=None, at=None)
    assert paired.decision.paired and "paired by replicate" in paired.decision.method("en")
    ((_, s),) = paired.decision.vs_baseline("reach")
    assert s.significant  # 600 people against +-50 of paired noise
    unpaired = sweep_context(_synthetic(False, 600), lang="en", x=None, by=None, where=None, at=None)
    assert not unpaired.decision.paired and "unpaired" in unpaired.decision.method("en")
    ((_, u),) = unpaired.decision.vs_baseline("reach")
    assert u.diff == pytest.approx(s.diff) and u.half > 10 * s.half
    assert not u.significant  # without pairing, the same 600 people are lost in the +-2000 swing
    cs = make_charts(_synthetic(False, 600), ["differences"])
    assert "n.s." in cs["differences"].takeaway and cs.recommendation is not None and cs.recommendation.tied


def test_differences_table_of_the_folder_is_used(better, tmp_path):
    """vs-baseline claims read the sweep's own ``differences`` table when it holds this baseline."""
    data = load_results(better)
    table = data.differences.copy()
    mask = (table["metric"] == "reach") & np.isclose(table["behaviour.p0"], 0.0005)
    table.loc[mask, ["diff_mean", "diff_ci_low", "diff_ci_high", "p_value"]] = [-123.0, -150.0, -96.0, 0.001]
    data.differences = table
    comps = sweep_context(data, lang="en", x=None, by=None, where=None, at=0.0005).decision
    ((_, s),) = comps.vs_baseline("reach")
    assert (s.diff, s.lo, s.hi) == (-123.0, -150.0, -96.0)
    # A different baseline than the table's: computed from the runs instead.
    data.manifest["differences"]["baseline"] = {"relays.0.probability": 1.0, "behaviour.p0": 0.0005}
    comps = sweep_context(data, lang="en", x=None, by=None, where=None, at=0.0005).decision
    ((_, s),) = comps.vs_baseline("reach")
    assert s.diff < -300  # relay 0 minus relay 1: the city account's audience is lost


def test_many_options_rank_with_holm(tmp_path):
    """Six options whose true means are equal: pairwise claims are Holm-adjusted (15 pairs)."""
    rng = np.random.default_rng(5)
    rows = []
    for topo in ("centralized", "organic", "hub", "dandelion", "honeycomb", "twin_star"):
        for rep in range(5):
            reach = 10000 + rng.normal(0, 300)
            rows.append(
                {
                    "run_id": len(rows),
                    "topology.preset": topo,
                    "replicate": rep,
                    "seed": rep,
                    "status": "ok",
                    "reach": reach,
                    "effective_reach": reach / 2,
                    "exits": 1.0,
                    "population": 40000,
                }
            )
    runs = pd.DataFrame(rows)
    data = SweepData(runs, compute_points(runs, ["topology.preset"]), ["topology.preset"])
    comps = Comparisons.for_decision(data, sweep_context(data, lang="en", x=None, by=None, where=None, at=None).sel)
    pairs = comps.pairwise("reach")
    assert len(pairs) == 15
    wide = runs.pivot(index="replicate", columns="topology.preset", values="reach")
    names = [o.point["topology.preset"] for o in comps.options]
    raw = [stats.ttest_rel(wide[names[i]], wide[names[j]]).pvalue for i, j in itertools.combinations(range(6), 2)]
    np.testing.assert_allclose([s.p for s in pairs.values()], raw)
    np.testing.assert_allclose([s.p_adj for s in pairs.values()], holm(raw))
    assert "adjusted for 5 comparisons (Holm)" in comps.method("en", m=5)
    # Intervals widen with the p-values: a whisker clears 0 exactly when the claim is made.
    gap = runs.assign(reach=runs["reach"] + np.where(runs["topology.preset"] == "hub", 900.0, 0.0))
    data = SweepData(gap, compute_points(gap, ["topology.preset"]), ["topology.preset"])
    comps = Comparisons.for_decision(data, sweep_context(data, lang="en", x=None, by=None, where=None, at=None).sel)
    adjusted = comps.pairwise("reach")
    assert any(s.significant for s in adjusted.values()) and not all(s.significant for s in adjusted.values())
    for (i, j), s in adjusted.items():
        raw = comps.stat(comps.options[i], comps.options[j], "reach")
        assert (s.lo > 0 or s.hi < 0) == (s.p_adj < 0.05) == s.significant
        assert s.half >= raw.half - 1e-9 and s.diff == pytest.approx(raw.diff)


def test_difference_chart_decides_from_the_family_it_draws():
    """One option differs from the baseline at p = 0.005 (exactly, by construction), the others not at
    all: against the baseline (Holm over 5 options) the difference counts, over all 15 pairs it does
    not. The difference chart draws the first family, so its whisker, colour, label, panel title and
    takeaway must all say "different" -- never a whisker clear of 0 greyed as "no measurable effect"."""
    t = stats.t.ppf(1 - 0.005 / 2, 5)
    c, sign = 100.0, np.array([1, -1, 1, -1, 1, -1], float)
    gap = t * c * np.sqrt(6 / 5) / np.sqrt(6)  # mean / (sd / sqrt(n)) = t
    rows = []
    for topo in ("centralized", "organic", "hub", "dandelion", "honeycomb", "twin_star"):
        for rep in range(6):
            reach = 10000.0 + 1000 * rep + (gap + c * sign[rep] if topo == "hub" else 0.0)
            rows.append(
                {
                    "run_id": len(rows),
                    "topology.preset": topo,
                    "replicate": rep,
                    "seed": rep,
                    "status": "ok",
                    "reach": reach,
                    "effective_reach": reach / 2,
                    "exits": 1.0,
                    "population": 50000,
                }
            )
    runs = pd.DataFrame(rows)
    data = SweepData(runs, compute_points(runs, ["topology.preset"]), ["topology.preset"])
    comps = sweep_context(data, lang="en", x=None, by=None, where=None, at=None).decision
    ((_, s),) = [(o, s) for o, s in comps.vs_baseline("reach") if o.point["topology.preset"] == "hub"]
    assert s.p == pytest.approx(0.005, rel=1e-6) and s.significant and s.lo > 0
    assert not comps.measurable("reach")  # the all-pairs family (Holm over 15) does not separate them
    from simulator.plotting.differences import difference_table

    table = difference_table(comps)
    row = table[(table["metric"] == "reach") & (table["option"] == "Hub")].iloc[0]
    assert row["significant"] and row["measurable"] and not row["negligible"] and row["text"] != "n.s."
    others = table[(table["metric"] == "reach") & (table["option"] != "Hub")]
    assert not others["significant"].any() and (others["text"] == "n.s.").all()
    cs = make_charts(data, ["differences"])
    assert "Hub" in cs["differences"].takeaway and "no " not in cs["differences"].takeaway.lower()
