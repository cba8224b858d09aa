"""``propsim run --explain`` (the expanded matrix without a run), realised overlaps in the run summary and
figures scaled back to full size with ``--scale``."""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

import simulator
from simulator.cli.entry import main
from simulator.results.diagnostics import full_size, scaled_metric
from simulator.results.explain import explain, format_explain

from .conftest import SCENARIOS

TWIN = """
name: twin
population:
  size: 300000
  interests: {general: 2, tea: 1}
graph: {mean_followees: 5}
accounts:
  - {id: official, kind: official, followers: 12000}
  - {id: exec, kind: executive, count: 2, followers: 4000, overlap: {official: 0.3}}
  - {id: shop, kind: vertical, followers: 3000, interest: tea}
  - {id: idle, followers: 1000}
relays:
  - {source: official, target: exec, probability: 0.5, variation: commentary}
  - {source: exec, target: official, probability: 0.3}
  - {source: official, target: shop, probability: 0.5}
  - {source: idle, target: shop, probability: 0.5}
campaign:
  - {account: official, at: 0, label: story}
  - {account: official, at: 24, topic: tea, label: tea}
"""


@pytest.fixture
def twin(scenario_file):
    return simulator.load(scenario_file(TWIN))


def test_explain_lists_accounts_audiences_overlaps_and_relays_per_item(twin):
    d = explain(twin)
    accounts = {a["id"]: a for a in d["accounts"]}
    assert set(accounts) == {"official", "exec.1", "exec.2", "shop", "idle"}
    assert accounts["official"]["followers"] == 12000 and accounts["exec.1"]["followers"] == 4000
    assert accounts["shop"]["interest"] == "tea" and accounts["shop"]["topics"] == ["general", "tea"]
    assert accounts["exec.1"]["overlap_declared"] == {"official": 0.3}
    assert d["audience"]["follower_links"] == sum(a["followers"] for a in d["accounts"])
    assert d["audience"]["union"] <= d["audience"]["follower_links"]
    assert d["audience"]["union_share"] == pytest.approx(d["audience"]["union"] / 300000)
    exec_over = next(o for o in d["overlaps"] if (o["account"], o["other"]) == ("exec", "official"))
    assert exec_over["declared"] == pytest.approx(0.3) and exec_over["realised"] == pytest.approx(0.3, abs=0.01)
    reverse = next(o for o in d["overlaps"] if (o["account"], o["other"]) == ("official", "exec"))
    assert reverse["declared"] is None and reverse["reverse_declared"]
    relays = {(g["source"], g["target"]): g for g in d["relays"]}
    per_item = {k: {s["item"]: s for s in g["items"]} for k, g in relays.items()}
    # official -> exec: the story is on-topic (general), the tea item off-topic for the executives
    assert per_item[("official", "exec")]["story"] == {"item": "story", "on": 2, "off": 0, "never": 0}
    assert per_item[("official", "exec")]["tea"] == {"item": "tea", "on": 0, "off": 2, "never": 0}
    assert relays[("official", "exec")]["off_topic_probability"] == pytest.approx(0.05)
    # exec -> official: official posted both items itself, so these edges never decide on them
    assert per_item[("exec", "official")]["story"]["never"] == 2
    # the tea shop is on-topic for tea; idle never publishes anything, so its edge never decides
    assert per_item[("official", "shop")]["tea"]["on"] == 1
    assert per_item[("idle", "shop")]["tea"]["never"] == 1
    codes = {w["code"] for w in d["warnings"]}
    assert "relay_off_topic" not in codes  # the executives get the story on-topic
    json.dumps(d)  # plain data


def test_explain_never_builds_the_follower_graph(twin, monkeypatch):
    import simulator.world.build as build

    def refuse(*a, **k):
        raise AssertionError("the follower graph was materialised")

    monkeypatch.setattr(build, "materialize", refuse)
    assert explain(twin)["world_for_run"] == "explicit"  # what a run would build, not what explain built


def test_explain_text(twin):
    text = format_explain(explain(twin))
    for heading in ("accounts (5)", "audience ", "overlaps ", "items", "relay edges", "warnings"):
        assert heading in text
    assert "official -> exec (2 edges, commentary" in text
    assert "tea: off x2" in text and "story: on x2" in text
    assert re.search(r"^\s+exec\s+executive\s+2\s+@exec_1 \.\.\.", text, re.M)  # a group: one row, its size


def test_run_explain_cli_writes_nothing(twin, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", twin.source, "--explain"]) == 0
    out = capsys.readouterr().out
    assert "relay edges" in out and "accounts (5)" in out
    assert main(["run", twin.source, "--explain", "--json", "--scale", "0.5"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["population"] == 150000 and d["population_full"] == 300000 and d["scale"] == 0.5
    assert os.listdir(tmp_path) == ["scenario.yaml"]  # no results folder


def test_bundled_scenario_explains(capsys):
    assert main(["run", str(SCENARIOS / "honeycomb.yaml"), "--explain", "--scale", "0.1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s+employee\s+employee\s+200\s", out, re.M)
    assert "official -> employee (200 edges, commentary" in out and "employee -> employee (1,200 edges" in out


# --- realised overlaps and full-size figures in the run summary --------------------------------------------------
SMALL = TWIN.replace("size: 300000", "size: 40000").replace("followers: 12000", "followers: 4000")


def test_run_summary_has_overlaps_and_full_size(scenario_file, capsys, tmp_path):
    path = scenario_file(SMALL)
    out = tmp_path / "run"
    assert main(["run", str(path), "-o", str(out), "--scale", "0.5"]) == 0
    printed = capsys.readouterr().out
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["scale"] == 0.5 and s["population"] == 20000 and s["population_full"] == 40000
    full = s["full_size"]
    assert full["population"] == 40000
    for k, v in s.items():
        if scaled_metric(k):
            assert full[k] == round(v / 0.5), k
    for k in ("reach_share", "fatigue_share", "mean_frequency", "max_depth", "account_relays", "account_posts"):
        assert k not in full  # shares, ratios, depths and the matrix's own posts do not scale
    assert {"reach", "impressions", "follower_reposts", "unfollows"} <= set(full)
    assert full["depth_distribution"] == {k: round(v / 0.5) for k, v in s["depth_distribution"].items()}
    rows = {(o["account"], o["other"]): o for o in s["overlaps"]}
    assert rows[("exec", "official")]["declared"] == pytest.approx(0.3)
    assert rows[("exec", "official")]["realised"] == pytest.approx(0.3, abs=0.01)
    assert "of the simulated population" in printed and "full size   reach ~" in printed
    assert "exec -> official: 0.300 / 0.3" in printed and "reverse of a declared overlap" in printed


def test_full_size_without_scale():
    s = {"population": 1000, "reach": 10, "reach_share": 0.01}
    assert full_size(s, None, None) == {"scale": 1.0, "population_full": 1000, "full_size": None}
    got = full_size(s, 0.25, 4000)
    assert got["full_size"] == {"population": 4000, "reach": 40}


def test_api_summary_has_the_new_keys(scenario_file):
    result = simulator.run(simulator.load(scenario_file(SMALL)))
    assert isinstance(result.summary["overlaps"], list) and isinstance(result.summary["warnings"], list)
    # the sweeps' runs table takes scalar metrics only: the new keys add no column
    from simulator.sweeps.tasks import scalar_metrics

    assert not {"overlaps", "warnings"} & set(scalar_metrics(result.summary))
    assert np.isfinite(result.summary["reach_share"])
