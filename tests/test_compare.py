"""``propsim compare`` / ``simulator.compare``: the user's matrix against presets at its budget."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.cli.entry import main
from simulator.sweeps.compare import MATRIX, METRICS, compare, read_compare

# A user-written matrix: the official account, 12 city accounts, 2 sub-brands and an executive.
MY_MATRIX = """
name: my-company
description: "Our matrix: the official account, 12 city accounts, 2 sub-brands and the CEO"
seed: 3
population: {size: 2000, regions: {north: 1, south: 1, east: 1, west: 1}}
accounts:
  - {id: official, kind: official, handle: "@Us", followers: 600}
  - {id: city, kind: regional, count: 12, followers: 50, region: "*"}
  - {id: brand_a, kind: sub_brand, followers: 200, overlap: {official: 0.3}}
  - {id: brand_b, kind: sub_brand, followers: 150}
  - {id: ceo, kind: executive, followers: {median: 250, sigma: 0.4}}
relays:
  - {source: official, target: city, probability: 0.5}
  - {source: official, target: brand_a, probability: 0.7}
  - {source: official, target: brand_b, probability: 0.7}
  - {source: official, target: ceo, probability: 0.6, variation: commentary}
campaign:
  - {account: official, at: 0, repeat: 2, every: 24}
  - {account: brand_a, at: 6, topic: general, promotional: true}
time: {horizon: 48}
behaviour: {p0: 0.004}
"""


def hub_like(relay_probability: float) -> str:
    """A user matrix that is exactly the hub preset at a budget (optionally with another relay probability)."""
    return f"""
name: hub-like
seed: 5
population: {{size: 2000}}
topology:
  preset: hub
  params:
    budget: {{audience: 1800, accounts: 9, posts_per_week: 7}}
    relay_probability: {relay_probability}
time: {{horizon: 48}}
behaviour: {{p0: 0.002}}
"""


@pytest.fixture(scope="module")
def mine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    path = folder / "my.yaml"
    path.write_text(MY_MATRIX, encoding="utf-8")
    result = compare(path, replicates=5, rank_by="reach", output=folder / "out", progress=False)
    return path, result


def test_every_matrix_is_built_at_the_users_budget(mine):
    _, res = mine
    b = res.budgets.set_index(MATRIX)
    assert list(b.index) == ["custom", *simulator.PRESETS]
    assert set(b["accounts"]) == {16}
    # the executive's audience is lognormal: the budget is its expected size, 250 e^(0.4^2/2)
    want = 600 + 12 * 50 + 200 + 150 + 250 * math.exp(0.08)
    assert set(b["audience"]) == {round(want)}
    assert set(b["originals"]) == {3}
    official = b.drop(index="organic")["official_share"]
    assert np.allclose(official, 600 / want, atol=0.01)
    assert b.loc["organic", "relay_edges"] == 0 and b.loc["hub", "relay_edges"] == 15


def test_the_comparison_ranks_and_flags_what_its_intervals_say(mine):
    _, res = mine
    t = res.comparison
    n = 1 + len(simulator.PRESETS)
    assert len(t) == n * len(METRICS) and set(t["metric"]) == set(METRICS)
    pairs = n * (n - 1) // 2
    assert (t["pairs"] == pairs).all() and np.allclose(t["level"], 1 - 0.05 / pairs)
    # rows come in rank order, ranks start at 1
    ranks = t.drop_duplicates(MATRIX)["rank"].to_numpy()
    assert ranks[0] == 1 and (np.diff(ranks) >= 0).all()
    others = t[t[MATRIX] != "custom"]
    covers = (others["diff_ci_low"] <= 0) & (others["diff_ci_high"] >= 0)
    assert (others["significant"] == ~covers).all()
    assert ((others["verdict"] == "similar (n.s.)") == covers).all()
    sig = others[others["significant"]]
    assert (sig["verdict"] == np.where(sig["diff_mean"] > 0, "higher", "lower")).all()
    assert (t.loc[t[MATRIX] == "custom", "verdict"] == "baseline").all()


def test_differences_are_paired_by_replicate(mine):
    _, res = mine
    runs = res.sweep.runs
    for preset in ("hub", "organic"):
        for metric in ("reach", "exits"):
            a = runs[runs[MATRIX] == preset].set_index("replicate")[metric]
            b = runs[runs[MATRIX] == "custom"].set_index("replicate")[metric]
            row = res.comparison[(res.comparison[MATRIX] == preset) & (res.comparison["metric"] == metric)].iloc[0]
            assert row["diff_mean"] == pytest.approx((a - b).mean())
            assert row["mean"] == pytest.approx(a.mean())
    # replicate k of every matrix ran with the same seed (common random numbers)
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()


def test_rank_is_one_plus_the_matrices_separated_above(mine):
    _, res = mine
    t = res.comparison[res.comparison["metric"] == "reach"].set_index(MATRIX)
    runs = res.sweep.runs
    from simulator.sweeps.differences import pair_stats

    level = float(t["level"].iloc[0])
    for name in t.index:
        better = 0
        x = runs[runs[MATRIX] == name].sort_values("replicate")["reach"].to_numpy(float)
        for other in t.index.drop(name):
            y = runs[runs[MATRIX] == other].sort_values("replicate")["reach"].to_numpy(float)
            st = pair_stats(y, x, level)
            better += bool(st["significant"] and st["diff_mean"] > 0)
        assert t.loc[name, "rank"] == 1 + better


def test_the_folder_reads_back_and_says_what_it_is(mine):
    path, res = mine
    back = read_compare(res.output)
    pd.testing.assert_frame_equal(back.comparison.reset_index(drop=True), res.comparison, check_dtype=False)
    manifest = json.loads((res.output / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["compare"]["baseline"] == "custom" and manifest["compare"]["source"] == str(path)
    text = (res.output / "comparison.txt").read_text(encoding="utf-8")
    assert "yours (custom)" in text and "Bonferroni" in text and text == str(res) + "\n"


def test_identical_matrices_come_out_similar(tmp_path):
    path = tmp_path / "hub_like.yaml"
    path.write_text(hub_like(0.6), encoding="utf-8")
    res = compare(path, "hub", replicates=4, progress=False)
    hub = res.comparison[res.comparison[MATRIX] == "hub"]
    assert len(hub) == len(METRICS)
    assert hub.set_index("metric").loc["reach", "mean"] > 100  # a real campaign, not an empty one
    assert (hub["diff_mean"] == 0).all() and (hub["diff_ci_low"] == 0).all() and (hub["diff_ci_high"] == 0).all()
    assert (hub["verdict"] == "similar (n.s.)").all() and (hub["p_value"] == 1).all()
    assert set(res.comparison["rank"]) == {1}
    assert "similar (n.s.)" in str(res)


def test_a_clearly_stronger_matrix_is_flagged_with_the_right_sign(tmp_path):
    # yours never relays to the regional accounts; the hub preset relays with probability 0.6, so
    # the regional audiences come on top of the official's in every replicate
    path = tmp_path / "no_relays.yaml"
    path.write_text(hub_like(0.0), encoding="utf-8")
    res = compare(path, ["hub"], replicates=5, rank_by="reach", progress=False)
    t = res.comparison.set_index([MATRIX, "metric"])
    assert t.loc[("hub", "reach"), "verdict"] == "higher" and t.loc[("hub", "reach"), "diff_ci_low"] > 0
    assert t.loc[("hub", "reach"), "rank"] == 1 and t.loc[("custom", "reach"), "rank"] == 2
    assert list(res.comparison[MATRIX].drop_duplicates()) == ["hub", "custom"]


def test_comparing_at_several_values_of_a_shared_field(tmp_path):
    path = tmp_path / "my.yaml"
    path.write_text(MY_MATRIX, encoding="utf-8")
    res = compare(path, "hub", replicates=3, settings={"behaviour.p0": [0.001, 0.01]}, progress=False)
    t = res.comparison
    assert set(t["behaviour.p0"]) == {0.001, 0.01}
    runs = res.sweep.runs
    for p0, sub in t[(t[MATRIX] == "hub") & (t["metric"] == "reach")].groupby("behaviour.p0"):
        r = runs[runs["behaviour.p0"] == p0]
        a = r[r[MATRIX] == "hub"].set_index("replicate")["reach"]
        b = r[r[MATRIX] == "custom"].set_index("replicate")["reach"]
        assert sub["diff_mean"].iloc[0] == pytest.approx((a - b).mean())  # paired within the slice


def test_cli_compare_prints_the_ranked_table_and_resumes(tmp_path, capsys):
    path = tmp_path / "my.yaml"
    path.write_text(MY_MATRIX, encoding="utf-8")
    out = tmp_path / "cmp"
    argv = ["compare", str(path), "--against", "hub,蒲公英式", "--replicates", "3", "-o", str(out), "-q"]
    assert main(argv) == 0
    first = capsys.readouterr()
    assert "yours (custom)" in first.out and "dandelion" in first.out and "rank" in first.out
    assert (out / "comparison.txt").read_text(encoding="utf-8").strip() == first.out.strip()
    assert main(argv) == 0  # resumes: every run is already there
    assert capsys.readouterr().out == first.out


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--against", "starfish"], "unknown topology preset 'starfish'"),
        (["--against", "custom"], "your own matrix is always compared"),
        (["--rank-by", "likes"], "unknown metric 'likes'"),
        (["--rank-by", "impressions"], "'impressions' is neither better high nor low"),
        (["--baseline", "hub", "--against", "organic"], "'hub' is not one of the matrices compared"),
        (["--set", "relays.0.probability=0.1,0.2"], "a comparison sweeps only fields every matrix shares"),
        (["--set", "behaviour.p0=-1"], "behaviour.p0"),
    ],
)
def test_cli_compare_bad_input(tmp_path, capsys, extra, message):
    path = tmp_path / "my.yaml"
    path.write_text(MY_MATRIX, encoding="utf-8")
    assert main(["compare", str(path), "--replicates", "2", "-o", str(tmp_path / "o"), "-q", *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing written before the input is valid


def test_a_budget_a_preset_cannot_spend_is_reported_before_any_run(tmp_path, capsys):
    path = tmp_path / "solo.yaml"
    path.write_text(
        "name: solo\npopulation: {size: 1000}\naccounts: [{id: us, kind: official, followers: 500}]\n"
        "campaign: [{account: us}]\n",
        encoding="utf-8",
    )
    assert main(["compare", str(path), "--against", "centralized,hub", "-o", str(tmp_path / "o"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "hub needs at least 2 accounts" in err and "the budget comes from your matrix" in err
    assert str(path) in err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_the_comparison_folder_plots_and_builds_a_deck(mine, tmp_path, capsys):
    pytest.importorskip("pptx")
    from simulator.plotting import render

    _, res = mine
    report = render(res.output, tmp_path / "plots")
    assert report.files and all(p.is_file() for p in report.files)
    deck = tmp_path / "deck.pptx"
    assert main(["plot", str(res.output), "--deck", str(deck), "--output", str(tmp_path / "p2")]) == 0
    assert deck.is_file() and deck.stat().st_size > 10_000


@pytest.mark.slow
def test_the_comparison_is_identical_with_two_workers(mine, tmp_path):
    path, res = mine
    two = compare(path, replicates=5, rank_by="reach", workers=2, output=tmp_path / "two", progress=False)
    pd.testing.assert_frame_equal(two.comparison, res.comparison)
