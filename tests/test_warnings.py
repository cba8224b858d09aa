"""Warnings before a scenario misleads: each is produced by a scenario built to trigger it, is absent from
the bundled scenarios (or explained), names the field to change, and is never fatal. Also the commentary
rule: ``commentary_appeal`` multiplies the commentary of personal voices (executive, employee) only."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import simulator
from simulator.cli.entry import main
from simulator.results.diagnostics import saturation_warnings, world_warnings
from simulator.scenario import warnings as W
from simulator.scenario.errors import ScenarioError
from simulator.scenario.estimates import estimate_audiences
from simulator.scenario.profiles import plausible_ranges
from simulator.world.build import build_world

from .conftest import SCENARIOS, bundled_scale

TEA = """
name: tea
population:
  size: 200000
  regions: {north: 1, south: 1, east: 1, west: 1}
  interests: {general: 2, tea: 1}
graph: {mean_followees: 5}
accounts:
  - id: official
    kind: official
    followers: 8000
  - id: city
    kind: regional
    count: 12
    region: "*"
    followers: 1000
    overlap: {official: 0.2}
  - id: founder
    kind: executive
    followers: 4000
relays:
  - {source: official, target: city, probability: 0.6}
  - {source: official, target: founder, probability: 0.5, variation: commentary}
campaign:
  - {account: official, at: 0, topic: tea, label: tea}
"""


def codes(found) -> list[str]:
    return [w.code for w in found]


def warnings_of(scenario_file, text: str, **kw):
    loaded = simulator.load(scenario_file(text), **kw)
    return loaded, W.loaded_warnings(loaded)


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(f"{needle!r} not in {path}")


# --- relay_off_topic ---------------------------------------------------------------------------------------
def test_relay_off_topic_names_the_edges_the_item_and_the_fix(scenario_file):
    loaded, found = warnings_of(scenario_file, TEA)
    off = [w for w in found if w.code == "relay_off_topic"]
    assert len(off) == 2
    city, founder = off
    assert "12 of 12 relays from official to city.*" in city.message
    assert "'tea'" in city.message and "add tea to the topics of city" in city.message
    assert "0.06 instead of 0.6" in city.message
    path = Path(loaded.source)
    assert city.where == f"{path}:{line_of(path, '- id: city')}"  # the account entry: it has no topics yet
    assert city.field == "accounts.1.topics"
    assert "1 of 1 relays from official to founder" in founder.message


def test_relay_off_topic_absent_when_on_topic_for_some_item_or_unreached(scenario_file):
    fixed = TEA.replace("overlap: {official: 0.2}", "overlap: {official: 0.2}\n    topics: [general, tea]")
    _, found = warnings_of(scenario_file, fixed)
    assert [w.message for w in found if w.code == "relay_off_topic"] == [
        next(w.message for w in warnings_of(scenario_file, TEA)[1] if "founder" in w.message)
    ]
    # a general item reaches the same edges on-topic: they are not off-topic for *every* item
    both = TEA + "  - {account: official, at: 24, label: story}\n"
    assert "relay_off_topic" not in codes(warnings_of(scenario_file, both)[1])
    # an explicit off-topic probability equal to the on-topic one: the topic does not matter
    same = TEA.replace("probability: 0.6}", "probability: 0.6, off_topic_probability: 0.6}")
    assert [w for w in warnings_of(scenario_file, same)[1] if "city" in w.message and w.code == "relay_off_topic"] == []
    # an edge whose source never publishes the item does not decide on it
    unreached = TEA.replace(
        "  - {source: official, target: founder, probability: 0.5, variation: commentary}\n",
        "  - {source: founder, target: city, probability: 0.5}\n",
    )
    found = [w for w in warnings_of(scenario_file, unreached)[1] if w.code == "relay_off_topic"]
    assert len(found) == 1 and "from official to city.*" in found[0].message


# --- commentary_no_appeal ------------------------------------------------------------------------------------
COMMENTARY = """
name: commentary
population: {size: 200000}
graph: {mean_followees: 5}
behaviour: {commentary_appeal: APPEAL}
accounts:
  - {id: official, kind: official, followers: 5000}
  - {id: sub, kind: KIND, count: 3, followers: 2000}
relays:
  - {source: official, target: sub, probability: 0.5, variation: commentary}
campaign:
  - {account: official, at: 0}
"""


@pytest.mark.parametrize(
    ("kind", "appeal", "warns"),
    [("sub_brand", 2.0, True), ("other", 2.0, True), ("sub_brand", 1.0, False), ("executive", 2.0, False),
     ("employee", 2.0, False)],
)  # fmt: skip
def test_commentary_without_appeal_warns_for_brand_kinds_only(scenario_file, kind, appeal, warns):
    loaded, found = warnings_of(scenario_file, COMMENTARY.replace("KIND", kind).replace("APPEAL", str(appeal)))
    got = [w for w in found if w.code == "commentary_no_appeal"]
    assert bool(got) == warns
    if warns:
        assert got[0].field == "accounts.1.kind"
        assert "3 commentary relays by sub.*" in got[0].message and "executive or employee" in got[0].message


def test_constants_match_the_engine_and_the_world():
    from simulator.engine.model import PERSONAL_VOICES
    from simulator.engine.reference import PERSONAL_VOICES as REFERENCE_VOICES
    from simulator.world.audiences import UNDECLARED_OVERLAP_WARN

    assert W.PERSONAL_VOICES == PERSONAL_VOICES == REFERENCE_VOICES
    assert W.RANDOM_OVERLAP_WARN == UNDECLARED_OVERLAP_WARN


# --- outside_plausible, branching_implausible, relay_implausible ---------------------------------------------
def _with_behaviour(text: str) -> str:
    return TEA.replace("graph: {mean_followees: 5}\n", text).replace("topic: tea, ", "")


def test_p0_far_outside_the_profile_range(scenario_file):
    lo, hi = plausible_ranges("weibo")["behaviour.p0"]
    for p0, side in ((hi * W.FAR * 1.2, "above"), (lo / W.FAR / 1.2, "below")):
        loaded, found = warnings_of(scenario_file, _with_behaviour(f"behaviour: {{p0: {p0:.6g}}}\n"))
        got = [w for w in found if w.code == "outside_plausible"]
        assert len(got) == 1 and f"far {side}" in got[0].message and got[0].field == "behaviour.p0"
        assert got[0].where == f"{loaded.source}:{line_of(Path(loaded.source), 'behaviour:')}"
    for p0 in (lo, hi, math.sqrt(lo * hi), hi * W.FAR * 0.99):
        found = warnings_of(scenario_file, _with_behaviour(f"behaviour: {{p0: {p0:.6g}}}\n"))[1]
        assert "outside_plausible" not in codes(found)
    none = _with_behaviour(f"behaviour: {{profile: none, p0: {hi * 10:.6g}}}\n")
    assert "outside_plausible" not in codes(warnings_of(scenario_file, none)[1])


def test_branching_far_from_the_profile_on_another_graph(scenario_file):
    # the case: p0 fitted at 120 followees on a 20-followee graph gives R ~ 0.06, a broadcast
    found = warnings_of(scenario_file, _with_behaviour("graph: {mean_followees: 20}\n"))[1]
    got = [w for w in found if w.code == "branching_implausible"]
    assert len(got) == 1 and got[0].field == "graph.mean_followees" and "broadcasts" in got[0].message
    lo, hi = plausible_ranges("weibo")["behaviour.p0"]
    p0 = math.sqrt(lo * hi) * 120 / 20  # R kept at the profile's: no warning
    ok = _with_behaviour(f"graph: {{mean_followees: 20}}\nbehaviour: {{p0: {p0:.6g}}}\n")
    assert "branching_implausible" not in codes(warnings_of(scenario_file, ok)[1])


def test_relay_probabilities_outside_the_sanity_range(scenario_file):
    tiny = TEA.replace("probability: 0.6}", "probability: 0.005}")
    loaded, found = warnings_of(scenario_file, tiny)
    got = [w for w in found if w.code == "relay_implausible"]
    assert len(got) == 1 and got[0].field == "relays.0.probability"
    assert got[0].where == f"{loaded.source}:{line_of(Path(loaded.source), 'probability: 0.005')}"
    for p in ("0", str(W.RELAY_PLAUSIBLE[0]), "1"):
        ok = TEA.replace("probability: 0.6}", f"probability: {p}}}")
        assert "relay_implausible" not in codes(warnings_of(scenario_file, ok)[1])
    swapped = TEA.replace("probability: 0.6}", "probability: 0.3, off_topic_probability: 0.9}")
    got = [w for w in warnings_of(scenario_file, swapped)[1] if w.code == "relay_implausible"]
    assert len(got) == 1 and got[0].field == "relays.0.off_topic_probability" and "swapped" in got[0].message


# --- horizon_short, late_posts --------------------------------------------------------------------------------
def test_latency_quantile():
    assert abs(W.Z90 - statistics.NormalDist().inv_cdf(W.LATENCY_QUANTILE)) < 1e-12
    draws = np.random.default_rng(0).lognormal(np.log(2.2), 2.35, 400_000)
    assert np.quantile(draws, 0.9) == pytest.approx(W.latency_quantile(2.2, 2.35), rel=0.02)


def test_horizon_shorter_than_the_latency_tail(scenario_file):
    loaded = simulator.load(scenario_file(TEA))
    lat = loaded.scenario.behaviour.latency
    q = W.latency_quantile(lat.median, lat.sigma)
    short = TEA + f"time: {{horizon: {math.floor(q * 0.8)}}}\n"
    found = warnings_of(scenario_file, short)[1]
    assert codes(found).count("horizon_short") == 1 and "late_posts" not in codes(found)
    assert next(w for w in found if w.code == "horizon_short").field == "time.horizon"
    # a slow relay: its tail is longer than the horizon even though the organic one fits
    slow = TEA.replace("probability: 0.6}", "probability: 0.6, latency: {median: 30, sigma: 1}}")
    slow += f"time: {{horizon: {math.ceil(q * 1.2)}}}\n"
    got = [w for w in warnings_of(scenario_file, slow)[1] if w.code == "horizon_short"]
    assert len(got) == 1 and "slowest relay latency" in got[0].message
    ok = TEA + f"time: {{horizon: {math.ceil(q * 1.2)}}}\n"
    assert not {"horizon_short", "late_posts"} & set(codes(warnings_of(scenario_file, ok)[1]))


def test_late_posts(scenario_file):
    loaded = simulator.load(scenario_file(TEA))
    lat = loaded.scenario.behaviour.latency
    q = W.latency_quantile(lat.median, lat.sigma)
    horizon = math.ceil(q) + 48
    late = TEA + f"  - {{account: official, at: {horizon - q / 2:.1f}, label: late}}\ntime: {{horizon: {horizon}}}\n"
    got = [w for w in warnings_of(scenario_file, late)[1] if w.code == "late_posts"]
    assert len(got) == 1 and "1 of 2 posts ('late')" in got[0].message and got[0].field == "time.horizon"
    early = TEA + f"  - {{account: official, at: {horizon - q * 1.1:.1f}}}\ntime: {{horizon: {horizon}}}\n"
    assert "late_posts" not in codes(warnings_of(scenario_file, early)[1])


# --- audiences: estimated before building, measured after ------------------------------------------------------
UNION = """
name: union
population: {size: 10000}
graph: {mean_followees: 5}
accounts:
  - {id: a, followers: 6000}
  - {id: b, followers: 4000}
campaign:
  - {account: a, at: 0}
"""


def test_union_audience_estimated_and_measured(scenario_file):
    loaded, found = warnings_of(scenario_file, UNION)
    assert "audience_union_large" in codes(found)
    w = next(w for w in found if w.code == "audience_union_large")
    assert w.field == "population.size" and "expected" in w.message
    est = estimate_audiences(loaded.scenario, loaded.matrix)
    assert est.union_share == pytest.approx(1 - 0.4 * 0.6, abs=1e-9)  # independent draws, exact counts
    world = build_world(loaded.scenario, loaded.matrix, mode="implicit")
    realised = np.unique(world.audience.indices).size / world.n
    # the union of two fixed-size random subsets: hypergeometric, SE ~ sqrt(0.24 * 0.6 * 0.4 / 6000) < 0.005
    assert realised == pytest.approx(est.union_share, abs=0.02)
    measured = world_warnings(loaded.scenario, loaded.matrix, world)
    assert "audience_union_large" in codes(measured)
    bigger = UNION.replace("size: 10000", "size: 40000")
    assert "audience_union_large" not in codes(warnings_of(scenario_file, bigger)[1])


CHANCE = """
name: chance
population:
  size: 100000
  regions: {n: 1, s: 3}
graph: {mean_followees: 5}
accounts:
  - {id: a, followers: 5000, region: n, region_share: 0.9}
  - {id: b, followers: 5000, region: n, region_share: 0.9}
  - {id: c, followers: 2000, region: s, region_share: 0.9}
campaign:
  - {account: a, at: 0}
"""


def test_chance_overlaps_estimated_match_the_built_world(scenario_file):
    loaded, found = warnings_of(scenario_file, CHANCE)
    est = estimate_audiences(loaded.scenario, loaded.matrix)
    world = build_world(loaded.scenario, loaded.matrix, mode="implicit")
    realised = {(o.account, o.other): o.realised for o in world.overlaps}
    for pair, share in est.chance.items():
        got = realised.get(pair, 0.0)  # the world lists pairs above 1%
        se = math.sqrt(max(share, 0.01) * (1 - share) / 2000)
        assert abs(got - share) < 4 * se + 0.002, (pair, got, share)
    # a and b share the north: ~16% of each other's followers by chance
    assert est.chance[("a", "b")] > 0.1
    chance = [w for w in found if w.code == "random_overlap"]
    assert {w.message.split(" and ")[0] for w in chance} >= {"a", "b"}
    assert all(w.field.endswith(".overlap") for w in chance)
    measured = [w for w in world_warnings(loaded.scenario, loaded.matrix, world) if w.code == "random_overlap"]
    assert any("realised" in w.message for w in measured) and len(measured) >= 2


def test_declared_overlaps_and_their_reverse_are_not_chance(scenario_file):
    declared = CHANCE.replace("region_share: 0.9}\n  - {id: b", "region_share: 0.9, overlap: {b: 0.3}}\n  - {id: b")
    loaded, found = warnings_of(scenario_file, declared)
    assert [w for w in found if w.code == "random_overlap" and {"a", "b"} <= set(w.message.split())] == []
    world = build_world(loaded.scenario, loaded.matrix, mode="implicit")
    measured = world_warnings(loaded.scenario, loaded.matrix, world)
    assert not [w for w in measured if w.code == "random_overlap" and w.message.startswith(("a and b", "b and a"))]


def test_hub_like_reverse_overlap_is_not_reported_as_chance(scenario_file):
    hub = """
    name: hublike
    population: {size: 200000}
    graph: {mean_followees: 5}
    accounts:
      - {id: core, followers: 20000}
      - {id: city, count: 10, followers: 1000, overlap: {core: 0.4}}
    campaign:
      - {account: core, at: 0}
    """
    loaded = simulator.load(scenario_file(hub))
    world = build_world(loaded.scenario, loaded.matrix, mode="implicit")
    reverse = next(o for o in world.overlaps if (o.account, o.other) == ("core", "city"))
    # implied by the declared 0.4: each city's 400 shared followers are a random subset of core's 20,000
    assert reverse.realised == pytest.approx(1 - (1 - 400 / 20000) ** 10, abs=0.01)
    assert "random_overlap" not in codes(world_warnings(loaded.scenario, loaded.matrix, world))
    assert "random_overlap" not in codes(W.loaded_warnings(loaded))


def test_chance_overlap_counts_followers_declared_inside_a_third_audience(scenario_file):
    """The founder declares nothing: its followers meet the cities' free followers and the cities' followers
    declared inside the official account's audience alike, all by chance (~10% of a 120k world). Two city
    groups that both declare the official account share followers through it: implied, not chance."""
    text = TEA.replace("size: 200000", "size: 120000").replace(
        "    overlap: {official: 0.2}\n",
        "    overlap: {official: 0.2}\n  - {id: town, count: 4, followers: 1000, overlap: {official: 0.5}}\n",
    )
    loaded, found = warnings_of(scenario_file, text)
    est = estimate_audiences(loaded.scenario, loaded.matrix)
    world = build_world(loaded.scenario, loaded.matrix, mode="implicit")
    realised = {(o.account, o.other): o.realised for o in world.overlaps}
    assert est.chance[("founder", "city")] == pytest.approx(realised[("founder", "city")], abs=0.02)
    assert W.chance_exceeds(est.chance[("founder", "city")])
    assert any(w.code == "random_overlap" and w.message.startswith("founder and city") for w in found)
    measured = world_warnings(loaded.scenario, loaded.matrix, world)
    assert any(w.code == "random_overlap" and w.message.startswith("founder and city") for w in measured)
    assert "world_build" not in codes(measured)  # the build's own chance warnings are not repeated
    # city and town both draw their declared followers from official's audience: that part is implied
    assert est.chance[("town", "city")] < realised[("town", "city")] - 0.01
    assert not any(w.message.startswith(("town and city", "city and town")) for w in found + measured)
    assert not W.chance_exceeds(W.RANDOM_OVERLAP_WARN + W.CHANCE_SLACK)


def test_unrealisable_overlap_reported_by_the_world_build(scenario_file):
    text = """
    name: unrealisable
    population: {size: 100000}
    graph: {mean_followees: 5}
    accounts:
      - {id: small, followers: 1000}
      - {id: big, followers: 10000, overlap: {small: 0.9}}
    campaign:
      - {account: big, at: 0}
    """
    try:
        loaded = simulator.load(scenario_file(text))
    except ScenarioError as e:  # refusing it at validation is the better outcome: then it must say where
        assert "overlap" in str(e)
        return
    world = build_world(loaded.scenario, loaded.matrix, mode="implicit")
    found = W.located(world_warnings(loaded.scenario, loaded.matrix, world), loaded.locate)
    got = [w for w in found if w.code == "overlap_unrealised"]
    assert len(got) == 1 and got[0].field == "accounts.1.overlap"
    assert got[0].where == f"{loaded.source}:{line_of(Path(loaded.source), 'id: big')}"


def test_other_world_build_warnings_pass_through(scenario_file):
    loaded = simulator.load(scenario_file(UNION.replace("size: 10000", "size: 100000")))
    fake = SimpleNamespace(
        n=100_000, overlaps=[], warnings=["something new"], audience=SimpleNamespace(indices=np.arange(10))
    )
    found = world_warnings(loaded.scenario, loaded.matrix, fake)  # type: ignore[arg-type]
    assert [(w.code, w.message) for w in found] == [("world_build", "something new")]


# --- saturated_reach ---------------------------------------------------------------------------------------------
def test_saturated_run_warns_in_its_summary(scenario_file):
    text = """
    name: saturated
    population: {size: 2000}
    graph: {mean_followees: 0}
    behaviour: {p0: 0.0}
    fatigue: {enabled: false}
    accounts:
      - {id: a, followers: 1900}
    campaign:
      - {account: a, at: 0}
    """
    result = simulator.run(simulator.load(scenario_file(text)))
    s = result.summary
    assert s["reach_share"] > W.SATURATION_WARN
    got = {w["code"]: w for w in s["warnings"]}
    assert {"saturated_reach", "audience_union_large"} <= set(got)
    assert got["saturated_reach"]["field"] == "behaviour.p0" and got["saturated_reach"]["where"] is None
    assert saturation_warnings({"reach_share": W.SATURATION_WARN}) == []  # at the threshold: no warning


# --- where ------------------------------------------------------------------------------------------------------
def test_where_for_overrides_defaults_and_preset_fields(scenario_file):
    loaded, found = warnings_of(scenario_file, TEA, overrides=["behaviour.p0=0.5"])
    assert next(w for w in found if w.code == "outside_plausible").where == "--set"
    # time.horizon is not written in the file: the warning names the file and the field, no line
    loaded, found = warnings_of(scenario_file, TEA + "  - {account: official, at: 70}\n")
    late = next(w for w in found if w.code == "late_posts")
    assert (late.where, late.field) == (loaded.source, "time.horizon")
    preset = """
    name: preset
    topology: {preset: twin_star, params: {executives: 2}}
    population: {size: 2000000}
    behaviour: {commentary_appeal: 2}
    relays:
      - {source: official, target: vertical_finance, probability: 0.5, variation: commentary}
    """
    loaded, found = warnings_of(scenario_file, preset)
    got = next(w for w in found if w.code == "commentary_no_appeal")
    topology_line = line_of(Path(loaded.source), "topology:")  # the account only the preset defines
    assert got.where == f"{loaded.source}:{topology_line}"


# --- the bundled scenarios --------------------------------------------------------------------------------------
BUNDLED = sorted(SCENARIOS.glob("*.yaml"))
# compare_topologies posts at 0, 24 and 48 h of a 72 h horizon (the equal-budget schedule, 7 posts a week):
# the 48 h post leaves 24 h, less than the 90th percentile of the organic latency (~45 h at the weibo
# profile), so about 15% of its direct reposts fall after the horizon. True, and said.
# platform_brand's 30-day campaign posts until its last days: its last 10 of 150 posts leave less than
# that before the horizon. Also true, and said.
EXPECTED = {"compare_topologies": ["late_posts"], "platform_brand": ["late_posts"]}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenarios_have_no_scenario_warnings(path):
    # at full size (the warnings are about the file, not this machine's memory)
    assert codes(W.loaded_warnings(simulator.load(path, check_memory=False))) == EXPECTED.get(path.stem, [])


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_worlds_have_no_world_warnings(path):
    loaded = simulator.load(path, scale=bundled_scale(path, None, platform=0.01))
    world = build_world(loaded.scenario, loaded.matrix, mode="implicit")
    assert world_warnings(loaded.scenario, loaded.matrix, world) == []
    for o in world.overlaps:
        if o.declared is not None:
            assert o.realised == pytest.approx(o.declared, abs=0.01)


@pytest.mark.slow
@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_runs_do_not_saturate(path):
    result = simulator.run(simulator.load(path, scale=bundled_scale(path, 0.1)))
    assert "saturated_reach" not in [w["code"] for w in result.summary["warnings"]]


# --- the command line: printed, stored, never fatal ---------------------------------------------------------------
def test_validate_and_run_print_warnings_and_succeed(scenario_file, capsys, tmp_path):
    path = scenario_file(TEA.replace("size: 200000", "size: 20000").replace("followers: 8000", "followers: 1500"))
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert f"{path}:{line_of(path, '- id: city')}: warning: 12 of 12 relays" in err and "[relay_off_topic]" in err
    out = tmp_path / "run"
    assert main(["run", str(path), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("[relay_off_topic]") == 2  # printed once each, before the run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    stored = [w for w in summary["warnings"] if w["code"] == "relay_off_topic"]
    assert len(stored) == 2 and stored[0]["where"] == f"{path}:{line_of(path, '- id: city')}"
    assert set(stored[0]) == {"code", "message", "where", "field"}


# --- the commentary rule -----------------------------------------------------------------------------------------
RULE = """
name: commentary_rule
seed: 3
population: {size: 1000000}
graph: {mean_followees: 0}
time: {horizon: 6, tick: 1}
behaviour: {profile: none, p0: 0.02, commentary_appeal: 3.0, alpha: 0, beta: 0, appeal_sigma: 0}
fatigue: {enabled: false, churn_per_day: 0}
accounts:
  - {id: src, followers: 0.001}
  - {id: off, kind: official, followers: 15000}
  - {id: exe, kind: executive, followers: 15000}
  - {id: emp, kind: employee, followers: 15000}
  - {id: exv, kind: executive, followers: 15000}
relays:
  - {source: src, target: off, probability: 1, variation: commentary, latency: 1}
  - {source: src, target: exe, probability: 1, variation: commentary, latency: 1}
  - {source: src, target: emp, probability: 1, variation: commentary, latency: 1}
  - {source: src, target: exv, probability: 1, variation: verbatim, latency: 1}
campaign:
  - {account: src, at: 0, appeal: 1}
"""


@pytest.mark.slow
def test_commentary_appeal_applies_to_personal_voices_only(scenario_file):
    """A source with no followers hands one item to four accounts: an official account and an executive
    adding commentary, an employee adding commentary, an executive relaying verbatim. With the exposure
    response flat (alpha = beta = 0), no fatigue and appeal fixed at 1, each delivery's repost decision is
    Bernoulli(p0 x mult): mult = commentary_appeal for the personal voices' commentary only."""
    loaded = simulator.load(scenario_file(RULE))
    b = loaded.scenario.behaviour
    model = simulator.PropagationModel(loaded, record_reposts=True).run()
    reposts = model.repost_table()
    direct = reposts[reposts["depth"] == 1].groupby("origin").size()
    deliveries = model.account_stats["deliveries"]
    expected = {"off": b.p0, "exe": b.p0 * b.commentary_appeal, "emp": b.p0 * b.commentary_appeal, "exv": b.p0}
    rates = {}
    for name, p in expected.items():
        n = int(deliveries[loaded.matrix.by_id[name]])
        assert n == 15000
        rates[name] = int(direct.get(name, 0)) / n
        z = (rates[name] - p) / math.sqrt(p * (1 - p) / n)
        assert abs(z) < 4, (name, rates[name], p, z)
    # the executive's commentary vs the official account's: separated by many binomial SEs
    se = math.sqrt(sum(rates[k] * (1 - rates[k]) / 15000 for k in ("exe", "off")))
    assert (rates["exe"] - rates["off"]) / se > 4
    # and the scenario says so before it runs
    assert "commentary_no_appeal" in codes(W.loaded_warnings(loaded))
