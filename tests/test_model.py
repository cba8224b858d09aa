"""Model behaviour: determinism, common random numbers, consistency of every bundled scenario."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.results.output import read_run, write_run

from .conftest import SCENARIOS, bundled_scale

BUNDLED = sorted(SCENARIOS.glob("*.yaml"))


def small(name: str, overrides: list[str] | None = None, seed: int | None = None, scale: float = 0.04):
    return simulator.load(SCENARIOS / f"{name}.yaml", overrides=overrides, seed=seed, scale=scale)


def test_nine_bundled_scenarios():
    names = {p.stem for p in BUNDLED}
    assert {"centralized", "organic", "hub", "dandelion", "honeycomb", "twin_star"} <= names
    assert len([n for n in names if n.startswith("case_")]) == 3


def test_same_seed_identical_results():
    a = simulator.run(small("dandelion", ["behaviour.p0=0.01"]))
    b = simulator.run(small("dandelion", ["behaviour.p0=0.01"]))
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    pd.testing.assert_frame_equal(a.accounts, b.accounts)
    pd.testing.assert_frame_equal(a.relays, b.relays)
    c = simulator.run(small("dandelion", ["behaviour.p0=0.01"], seed=99))
    assert c.summary["reach"] != a.summary["reach"]


def test_common_random_numbers_same_world_across_p():
    m1 = simulator.PropagationModel(small("hub", ["behaviour.p0=0.001"]))
    m2 = simulator.PropagationModel(small("hub", ["behaviour.p0=0.02", "fatigue.kappa=0.01"]))
    for a, b in [
        (m1.world.graph.indices, m2.world.graph.indices),
        (m1.world.audience.indices, m2.world.audience.indices),
        (m1.world.tolerance, m2.world.tolerance),
        (m1.world.churn_time, m2.world.churn_time),
    ]:
        np.testing.assert_array_equal(a, b)
    # the population and follower graph do not depend on the account matrix either
    m3 = simulator.PropagationModel(small("hub", ["topology.params.core_overlap=0.5", "behaviour.p0=0.003"]))
    np.testing.assert_array_equal(m1.world.graph.indices, m3.world.graph.indices)


def test_reused_world_gives_identical_results():
    loaded = small("twin_star", ["behaviour.p0=0.01"])
    m1 = simulator.PropagationModel(loaded)
    m2 = simulator.PropagationModel(loaded, world=m1.world)
    r1, r2 = simulator.collect(m1.run()), simulator.collect(m2.run())
    assert r1.summary == r2.summary


def check_consistency(res: simulator.RunResult, model: simulator.PropagationModel) -> None:
    s, ts, acc = res.summary, res.timeseries, res.accounts
    n = s["population"]
    assert 0 <= s["reach"] <= n
    assert s["impressions"] >= s["reach"]
    assert s["direct_reach"] + s["second_level_reach"] == s["reach"]
    assert 0 <= s["second_level_reach"] <= s["reach"]
    assert s["effective_reach"] <= s["reach"] and s["fatigued"] <= s["reach"]
    assert s["effective_reach"] == int((model.exposures >= s["effective_reach_threshold"]).sum())
    assert s["reach"] == int((model.exposures > 0).sum())
    assert s["impressions"] == int(model.exposures.sum())
    assert s["duplicate_exposures"] == s["impressions"] - model.delivered_pairs()
    assert acc["first_exposures_total"].sum() == s["reach"]
    # people first reached by an account <= people ever reached by one; the rest came through reposts
    assert acc["first_exposures_direct"].sum() <= s["direct_reach"]
    assert s["reach"] - acc["first_exposures_direct"].sum() >= s["second_level_reach"]
    assert acc["relays"].sum() == s["account_relays"] == len(res.relays)
    assert acc["posts"].sum() == s["account_posts"] == len(model.items)
    assert sum(s["depth_distribution"].values()) == s["follower_reposts"]
    assert s["repost_decisions"] >= s["follower_reposts"]
    assert (acc["followers_final"] <= acc["followers_initial"]).all()
    assert len(ts) == model.n_ticks + 1
    for col in ("reach", "impressions", "account_relays", "follower_reposts", "mutes", "unfollows", "churned"):
        assert ts[col].is_monotonic_increasing, col
        assert ts[col].iloc[-1] == s[col]
    if s["t50_h"] is not None:
        assert s["t50_h"] <= s["t90_h"] <= s["horizon_h"]
    loc = acc["locality"].dropna()
    assert ((loc >= 0) & (loc <= 1)).all()


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_runs_consistently(path, tmp_path):
    loaded = simulator.load(path, scale=bundled_scale(path, 0.03), overrides=["behaviour.p0=0.01"])
    model = simulator.PropagationModel(loaded).run()
    res = simulator.collect(model)
    check_consistency(res, model)
    assert res.summary["reach"] > 0
    write_run(res, tmp_path / "out")
    back = read_run(tmp_path / "out")
    assert back.summary["reach"] == res.summary["reach"]
    assert list(back.accounts["handle"]) == list(res.accounts["handle"])  # Chinese handles survive CSV


def test_second_level_spread_and_depth():
    res = simulator.run(
        small("hub", ["behaviour.p0=0.05", "behaviour.alpha=0", "behaviour.beta=0", "graph.mean_followees=15"])
    )
    s = res.summary
    assert s["second_level_reach"] > 0 and s["max_depth"] >= 2
    assert s["depth_distribution"][1] > s["depth_distribution"].get(3, 0)


def test_regional_accounts_reach_mostly_their_region():
    res = simulator.run(simulator.load(SCENARIOS / "case_cinema_chain.yaml", scale=0.03))
    loc = res.accounts.loc[res.accounts["kind"] == "regional", "locality"].dropna()
    assert len(loc) > 5
    # 92% targeted in-region, 20% of each audience shared with the national core account
    assert loc.median() > 0.6


def test_off_topic_item_relayed_less_by_other_verticals():
    """The sports case: a running launch is relayed by non-running sub-brands with p=0.1, not 0.8."""
    on, off = 0, 0
    for seed in range(30):
        res = simulator.run(
            simulator.load(
                SCENARIOS / "case_sports_brand.yaml", scale=0.02, seed=seed, overrides=["graph.mean_followees=0"]
            )
        )
        r = res.relays[res.relays["source"] == "official"]
        first = r[r["item"] == 0]["target"]
        on += int((first == "sub_running").sum())
        off += int(first.isin(["sub_basketball", "sub_football", "sub_lifestyle"]).sum())
    assert on / 30 > 0.6 and off / 90 < 0.25


def test_followers_view():
    model = simulator.PropagationModel(small("hub")).run()
    f = model.followers
    assert len(f) == model.world.n
    one = f[int(np.flatnonzero(f.reached)[0])]
    assert one["exposures"] >= 1 and one["region"] in model.world.region_names and one["tolerance"] > 0
    reached = f.select(reached=True)
    assert len(reached) == simulator.collect(model).summary["reach"]
    by_region = f.groupby("region")
    assert by_region["followers"].sum() == len(f)
    assert len(f.select(region=model.world.region_names[0])) == by_region["followers"].iloc[0]
    with pytest.raises(ValueError):
        f.select(region="nowhere")
    # accounts are Mesa agents
    assert len(model.agents) == len(model.accounts)
    assert model.accounts[0].audience(active_only=False).size == model.world.audience.degrees()[0]


def test_rewriting_a_run_folder_in_another_format_leaves_no_stale_tables(tmp_path):
    res = simulator.run(small("hub"))
    write_run(res, tmp_path, "csv")
    write_run(res, tmp_path, "json")
    assert not list(tmp_path.glob("*.csv"))
    assert read_run(tmp_path).summary == json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))


def test_repost_log_matches_counters():
    loaded = small("dandelion", ["behaviour.p0=0.03"])
    plain = simulator.collect(simulator.PropagationModel(loaded).run())
    model = simulator.PropagationModel(loaded, record_reposts=True).run()
    res = simulator.collect(model)
    assert res.summary == plain.summary  # recording draws nothing and changes nothing
    log = model.repost_table()
    s = res.summary
    assert len(log) == s["repost_decisions"] > 0
    assert int(log["executed"].sum()) == s["follower_reposts"]
    # pending_at_horizon also counts account relays due after the horizon
    assert int((~log["executed"]).sum()) <= s["pending_at_horizon"]
    done = log[log["executed"]]
    assert done["depth"].value_counts().sort_index().to_dict() == {
        int(k): v for k, v in s["depth_distribution"].items()
    }
    assert (log["due_h"] >= log["decided_h"]).all()
    assert set(log["origin"]) <= set(res.accounts["account"])
    with pytest.raises(RuntimeError):
        simulator.PropagationModel(loaded).repost_table()


def test_declared_overlap_gives_the_exact_union_reach():
    """Issue 10's case: accounts of 20k and 10k followers, the smaller declaring overlap 0.3 with the larger,
    in a 100k world, p0 = 0: both post once, and the reach is the union, 20,000 + 10,000 - 3,000 = 27,000
    (the first version's floor semantics gave ~25,800)."""
    doc = {
        "name": "two_accounts",
        "seed": 11,
        "population": {"size": 100_000},
        "accounts": [
            {"id": "big", "followers": 20_000},
            {"id": "small", "followers": 10_000, "overlap": {"big": 0.3}},
        ],
        "campaign": [{"account": "big", "at": 0.0}, {"account": "small", "at": 0.0}],
        "behaviour": {"p0": 0.0},
        "fatigue": {"enabled": False, "churn_per_day": 0.0},
    }
    for seed in (1, 2, 3):
        s = simulator.run(simulator.load_document({**doc, "seed": seed}, "<two accounts>")).summary
        assert s["reach"] == pytest.approx(27_000, rel=0.01), s["reach"]
        assert s["direct_reach"] == s["reach"] and s["follower_reposts"] == 0
