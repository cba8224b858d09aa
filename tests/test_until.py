"""``--until HOURS`` (``load(..., until=)``): the first hours of a longer campaign without editing its file.

The loader refuses a horizon shorter than a file's repeated posts (a file with posts after its end is a
mistake), so a week of the month-long ``platform_brand`` needs the cut as its own option: the horizon
becomes ``until`` and every repeated post keeps the repeats before it.
"""

from __future__ import annotations

import json

import pytest

import simulator
from simulator.cli.entry import main
from simulator.scenario.errors import ScenarioError
from simulator.scenario.yaml_io import parse_yaml, read_text

PLATFORM = "scenarios/platform_brand.yaml"
SCALE = 0.0005  # a 290k-person platform: the shape of the bundled case, seconds per run


def _expected_originals(path: str, until: float) -> int:
    """Originals of the file's campaign that start before ``until``, counted from the raw YAML."""
    doc, _ = parse_yaml(read_text(path), path)
    n = 0
    for post in doc["campaign"]:
        at, every = float(post.get("at", 0.0)), float(post.get("every", 24.0))
        n += sum(1 for k in range(int(post.get("repeat", 1))) if at + k * every < until)
    return n


def test_until_keeps_the_repeats_before_it_and_sets_the_horizon():
    loaded = simulator.load(PLATFORM, until=168, scale=SCALE, check_memory=False)
    sc = loaded.scenario
    assert sc.time.horizon == 168
    assert all(p.at + (p.repeat - 1) * p.every < 168 for p in sc.campaign)
    assert len(loaded.matrix.items) == _expected_originals(PLATFORM, 168) < _expected_originals(PLATFORM, 720)
    assert loaded.horizon_full == 720 and loaded.originals_full == _expected_originals(PLATFORM, 720)
    # at the file's own horizon nothing is cut
    whole = simulator.load(PLATFORM, until=720, scale=SCALE, check_memory=False)
    assert len(whole.matrix.items) == 150 and whole.scenario.time.horizon == 720


CUT = """
name: cut
seed: 5
time: {horizon: 96}
population: {size: 20000}
accounts:
  - {id: official, kind: official, followers: 3000}
  - {id: city, kind: regional, count: 3, followers: 800, region: "*"}
relays:
  - {source: official, target: city, probability: 0.7}
campaign:
  - {account: official, at: 2, repeat: 8, every: 12}
  - {account: city.2, at: 30, repeat: 3, every: 20}
LAST
behaviour: {p0: 0.02}
"""


def test_a_run_until_h_equals_the_file_cut_by_hand(tmp_path):
    full = tmp_path / "full.yaml"
    full.write_text(CUT.replace("LAST", "  - {account: official, at: 60}"), encoding="utf-8")
    short = tmp_path / "short.yaml"
    short.write_text(CUT.replace("LAST\n", ""), encoding="utf-8")
    cut = simulator.run(simulator.load(full, until=40)).summary
    # by hand: the horizon, 4 repeats (2-38 h) of the first post, 1 of the second, no post at 60 h
    manual = simulator.run(
        simulator.load(short, overrides=["time.horizon=40", "campaign.0.repeat=4", "campaign.1.repeat=1"])
    ).summary
    assert cut["items"] == manual["items"] == 5
    assert cut["follower_reposts"] > 0 and cut["account_relays"] > 0  # the comparison has something to compare
    for key in ("reach", "direct_reach", "impressions", "follower_reposts", "account_relays", "unfollows", "churned"):
        assert cut[key] == manual[key], key


@pytest.mark.parametrize(
    ("until", "said"),
    [
        (1000.0, "until (1000 h) must lie between one tick (1 h) and the horizon (720 h)"),
        (0.5, "until (0.5 h) must lie between one tick"),
        (-3.0, "greater than 0"),
        (5.0, "no campaign post starts before hour 5 (the first is at 10 h)"),
    ],
)
def test_bad_until_is_one_clear_message(until, said):
    with pytest.raises(ScenarioError) as e:
        simulator.load(PLATFORM, until=until, scale=SCALE, check_memory=False)
    (p,) = e.value.problems
    assert p.path == "time.until" and said in p.message, str(e.value)


def test_until_in_the_file_is_located(scenario_file):
    path = scenario_file(CUT.replace("LAST", "").replace("time: {horizon: 96}", "time: {horizon: 96, until: 200}"))
    with pytest.raises(ScenarioError) as e:
        simulator.load(path)
    assert str(e.value).startswith(f"{path}:3:21: time.until: until (200 h) must lie between")


def test_until_can_be_swept(tmp_path):
    """``time.until`` is a field: a sweep over it shows how reach builds up over the campaign."""
    full = tmp_path / "full.yaml"
    full.write_text(CUT.replace("LAST", "").replace("p0: 0.02", "p0: 0.002"), encoding="utf-8")
    res = simulator.sweep(full, {"time.until": [24, 48, 96]}, replicates=2, progress=False)
    assert (res.runs["status"] == "ok").all()
    reach = res.runs.groupby("time.until")["reach"].mean()
    assert reach.is_monotonic_increasing and reach.iloc[0] < reach.iloc[-1]
    assert sorted(res.runs["horizon_h"].unique()) == [24, 48, 96]


def test_cli_until_runs_the_first_week_and_says_so(tmp_path, capsys):
    out = tmp_path / "week"
    assert main(["run", PLATFORM, "--until", "168", "--scale", str(SCALE), "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert "until       the first 168 h of the file's 720 h:" in printed.out
    assert "run with --until at least" in printed.err  # the late-posts advice names the flag, not the file
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["horizon_h"] == 168 and s["horizon_full_h"] == 720 and s["originals_full"] == 150
    assert s["items_original"] == _expected_originals(PLATFORM, 168)
    assert main(["validate", PLATFORM, "--until", "168"]) == 0
    # a shortened horizon in --set is still refused, and the message points at --until
    assert main(["validate", PLATFORM, "--set", "time.horizon=168"]) == 1
    assert "use --until HOURS" in capsys.readouterr().err
