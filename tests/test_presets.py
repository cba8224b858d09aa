"""The six account-matrix presets expand into the structures the source deck describes."""

from __future__ import annotations

import itertools

import pytest

import simulator
from simulator.scenario import presets

from .conftest import ROOT


def load_preset(name: str, params: dict | None = None, size: int = 2_000_000):
    doc = {"name": name, "topology": {"preset": name, "params": params or {}}, "population": {"size": size}}
    return simulator.load_document(doc, "<test>", check_memory=False)


@pytest.mark.parametrize(
    "alias,canon",
    [
        ("centralized", "centralized"),
        ("集权式", "centralized"),
        ("organic", "organic"),
        ("distributed", "organic"),
        ("分布式", "organic"),
        ("hub", "hub"),
        ("hub_and_spoke", "hub"),
        ("Hub-and-Spoke", "hub"),
        ("hub式", "hub"),
        ("HUB式", "hub"),
        ("dandelion", "dandelion"),
        ("multiple_hub_and_spoke", "dandelion"),
        ("蒲公英式", "dandelion"),
        ("honeycomb", "honeycomb"),
        ("holistic", "honeycomb"),
        ("蜂巢式", "honeycomb"),
        ("twin_star", "twin_star"),
        ("双子星式", "twin_star"),
    ],
)
def test_aliases(alias, canon):
    assert presets.canonical_name(alias) == canon


def test_unknown_alias():
    with pytest.raises(ValueError, match="use one of"):
        presets.canonical_name("starfish")


def edges(loaded):
    m = loaded.matrix
    return {(m.accounts[e.source].id, m.accounts[e.target].id): e for e in m.relays}


def test_hub_spokes_never_relay_each_other():
    ld = load_preset("hub", {"regional": 12})
    e = edges(ld)
    kinds = {a.id: a.kind for a in ld.matrix.accounts}
    assert len(e) == 12
    assert all(kinds[s] == "official" and kinds[t] == "regional" for s, t in e)
    # each regional account has its own city and a local audience
    regions = [a.region for a in ld.matrix.accounts if a.kind == "regional"]
    assert len(set(regions)) == 12


def test_dandelion_sub_brands_relay_laterally_and_feed_their_spokes():
    ld = load_preset("dandelion")
    e = edges(ld)
    subs = [a.id for a in ld.matrix.accounts if a.kind == "sub_brand"]
    assert len(subs) == 4
    for a, b in itertools.permutations(subs, 2):
        assert (a, b) in e and e[(a, b)].probability == pytest.approx(0.2)
    for s in subs:
        assert e[("official", s)].probability == pytest.approx(0.8)
        assert e[("official", s)].off_topic_probability == pytest.approx(0.1)
        brand = s.removeprefix("sub_")
        spokes = [t for (src, t) in e if src == s and t.startswith(f"spokes_{brand}.")]
        assert len(spokes) == 5
    # spokes never relay anything themselves
    assert not [s for (s, _) in e if s.startswith("spokes_")]


def test_twin_star_executives_add_commentary():
    ld = load_preset("twin_star")
    e = edges(ld)
    execs = [a.id for a in ld.matrix.accounts if a.kind == "executive"]
    assert len(execs) == 2
    for x in execs:
        assert e[("official", x)].variation == "commentary"
        assert "official" in {t for (s, t) in e if s == x}
    assert e[(execs[0], execs[1])].variation == "commentary"
    verticals = [a for a in ld.matrix.accounts if a.kind == "vertical"]
    assert {v.interest for v in verticals} == {"finance", "auto", "retail"}


def test_centralized_is_a_star_of_verbatim_reposts():
    ld = load_preset("centralized", {"controlled": 4})
    e = edges(ld)
    assert len(e) == 4 and all(s == "official" and v.variation == "verbatim" for (s, _), v in e.items())
    assert all(v.probability == pytest.approx(0.9) for v in e.values())


def test_organic_has_no_relays_and_every_unit_posts():
    ld = load_preset("organic")
    assert ld.matrix.relays == []
    assert len(ld.matrix.items) == 8 == len({i.account for i in ld.matrix.items})


def test_honeycomb_ring_lattice():
    ld = load_preset("honeycomb", {"employees": 10, "neighbours": 2})
    e = edges(ld)
    lateral = [(s, t) for (s, t) in e if s.startswith("employee.") and t.startswith("employee.")]
    assert len(lateral) == 10 * 4  # each employee -> 2 neighbours on each side
    assert e[("official", "employee.1")].variation == "commentary"


def test_overrides_by_id_merge_over_preset():
    doc = {
        "name": "x",
        "topology": "hub",
        "population": {"size": 500_000},
        "accounts": [{"id": "official", "handle": "@万达电影生活", "followers": 123}],
        "relays": [{"source": "official", "target": "regional", "probability": 0.25}],
    }
    ld = simulator.load_document(doc, "<test>")
    off = ld.matrix.accounts[0]
    assert off.handle == "@万达电影生活" and off.followers.median == 123
    assert {e.probability for e in ld.matrix.relays} == {0.25}


# --- equal budgets ------------------------------------------------------------------------------------

BUDGET = {"audience": 60_000, "accounts": 16, "posts_per_week": 7}


def budget_doc(preset: str, budget: dict | None = None, size: int = 50_000, **params) -> dict:
    return {
        "name": f"{preset}-budget",
        "population": {"size": size},
        "topology": {"preset": preset, "params": {"budget": budget or BUDGET, **params}},
    }


@pytest.mark.parametrize("preset", presets.PRESETS)
def test_a_budget_fixes_audience_accounts_and_posts(preset):
    ld = simulator.load_document(budget_doc(preset), "<test>", check_memory=False)
    accs = ld.matrix.accounts
    assert len(accs) == BUDGET["accounts"]
    # fixed sizes (sigma 0) that add up to the audience exactly: every replicate spends the same
    assert all(a.followers.sigma == 0 for a in accs)
    assert all(float(a.followers.median).is_integer() and a.followers.median >= 1 for a in accs)
    assert sum(a.followers.median for a in accs) == BUDGET["audience"]
    officials = [a for a in accs if a.kind == "official"]
    if preset == "organic":
        assert officials == []
    else:
        # official_share of the audience, up to the other accounts' rounding (< 1 person each)
        assert len(officials) == 1
        assert abs(officials[0].followers.median - 0.4 * BUDGET["audience"]) < len(accs)
    # 7 originals a week over the default 72 h horizon: at 0, 24 and 48 h
    assert [i.at for i in ld.matrix.items] == [0.0, 24.0, 48.0]


def test_presets_at_one_budget_differ_only_in_structure():
    loaded = [simulator.load_document(budget_doc(p), "<test>", check_memory=False) for p in presets.PRESETS]
    totals = {sum(a.followers.median for a in ld.matrix.accounts) for ld in loaded}
    counts = {len(ld.matrix.accounts) for ld in loaded}
    times = {tuple(i.at for i in ld.matrix.items) for ld in loaded}
    assert totals == {BUDGET["audience"]} and counts == {BUDGET["accounts"]} and len(times) == 1
    # ... while the structures differ: relay edges per preset
    relays = {ld.scenario.topology.preset: len(ld.matrix.relays) for ld in loaded}
    assert relays["organic"] == 0 and relays["hub"] == 15 and relays["centralized"] == 15
    assert relays["dandelion"] > relays["hub"]  # sub-brands relay each other and feed spokes


def test_budget_rules_per_preset():
    def kinds(preset, size=50_000, **params):
        ld = simulator.load_document(budget_doc(preset, size=size, **params), "<test>", check_memory=False)
        out: dict[str, list[float]] = {}
        for a in ld.matrix.accounts:
            out.setdefault(a.kind, []).append(a.followers.median)
        return out, ld

    k, _ = kinds("hub")
    assert len(k["regional"]) == 15 and len(set(k["regional"])) == 1  # equal regional accounts
    k, ld = kinds("dandelion")
    subs, spokes = k["sub_brand"], k["regional"]
    assert len(subs) == 4 and len(spokes) == 11  # 4 sub-brands, 11 spokes split 3/3/3/2
    assert sorted(len(v) for v in ld.matrix.groups.values()) == [2, 3, 3, 3]
    assert subs[0] / spokes[0] == pytest.approx(10, rel=0.01)  # a sub-brand weighs 10 spokes
    k, _ = kinds("twin_star")
    assert len(k["executive"]) == 2 and len(k["vertical"]) == 13
    assert k["executive"][0] / k["vertical"][0] == pytest.approx(50 / 15, rel=0.01)
    k, ld = kinds("organic")
    units = k["other"]
    assert units == sorted(units, reverse=True) and units[0] > 10 * units[-1]  # uneven, largest first
    # the three originals go to three different units, largest first
    assert [ld.matrix.accounts[i.account].id for i in ld.matrix.items] == ["unit_1", "unit_2", "unit_3"]
    k, _ = kinds("centralized", budget={**BUDGET, "accounts": 1}, size=100_000)
    assert k == {"official": [float(BUDGET["audience"])]}


def test_budget_posting_rate_follows_the_scenario_horizon():
    doc = budget_doc("hub", budget={**BUDGET, "posts_per_week": 14}, post_at=6)
    doc["time"] = {"horizon": 48}
    ld = simulator.load_document(doc, "<test>", check_memory=False)
    assert [i.at for i in ld.matrix.items] == [6.0, 18.0, 30.0, 42.0]


def test_the_realised_world_spends_exactly_the_budget():
    doc = budget_doc("dandelion", budget={"audience": 3_000, "accounts": 9, "posts_per_week": 7}, size=10_000)
    doc["time"] = {"horizon": 6}
    result = simulator.run(simulator.load_document(doc, "<test>"))
    assert int(result.accounts["followers_initial"].sum()) == 3_000


@pytest.mark.parametrize(
    "params,where,message",
    [
        ({"budget": {**BUDGET, "accounts": 1}}, "topology.params.budget.accounts", "hub needs at least 2 accounts"),
        ({"budget": {**BUDGET, "audience": 10}}, "topology.params.budget", "cannot give each of 16 accounts"),
        ({"budget": {**BUDGET, "posts_per_week": 0}}, "topology.params.budget.posts_per_week", "greater than 0"),
        ({"budget": {**BUDGET, "official_share": 1}}, "topology.params.budget.official_share", "less than 1"),
        ({"budget": {**BUDGET, "reach": 5}}, "topology.params.budget.reach", "expected one of: audience"),
        ({"budget": BUDGET, "regional": 12}, "topology.params.regional", "set by topology.params.budget"),
        ({"budget": BUDGET, "posts": 3}, "topology.params.posts", "set by topology.params.budget"),
    ],
)
def test_impossible_budgets_are_located(scenario_file, params, where, message):
    import yaml

    text = yaml.safe_dump(
        {"name": "x", "population": {"size": 50_000}, "topology": {"preset": "hub", "params": params}},
        sort_keys=False,
    )
    path = scenario_file(text)
    with pytest.raises(simulator.ScenarioError) as e:
        simulator.load(path)
    (p,) = e.value.problems
    assert p.source == str(path) and p.line is not None and p.line > 1
    assert p.path == where and message in p.message


def test_organic_budget_too_small_for_uneven_units():
    doc = budget_doc("organic", budget={"audience": 40, "accounts": 30, "posts_per_week": 7})
    with pytest.raises(simulator.ScenarioError, match="smallest of 30 uneven organic units"):
        simulator.load_document(doc, "<test>")


# --- per-preset parameters and sweeping presets ------------------------------------------------------


def test_per_preset_sections_apply_only_to_their_preset():
    params = {"official_followers": 50_000, "hub": {"regional": 4}, "dandelion": {"spokes_per_sub": 1}}
    hub = load_preset("hub", params)
    dan = load_preset("dandelion", params)
    assert sum(a.kind == "regional" for a in hub.matrix.accounts) == 4
    assert sum(a.kind == "regional" for a in dan.matrix.accounts) == 4  # 4 sub-brands x 1 spoke
    assert hub.matrix.accounts[0].followers.median == dan.matrix.accounts[0].followers.median == 50_000


def test_a_bad_value_in_another_presets_section_is_reported_at_its_line(scenario_file):
    path = scenario_file(
        """
        name: x
        population: {size: 50000}
        topology:
          preset: hub
          params:
            dandelion: {spokes_per_sub: -1}
        """
    )
    with pytest.raises(simulator.ScenarioError) as e:
        simulator.load(path)
    (p,) = e.value.problems
    assert (p.line, p.path) == (6, "topology.params.dandelion.spokes_per_sub")


def test_a_parameter_of_another_preset_says_how_to_scope_it():
    with pytest.raises(simulator.ScenarioError, match=r"a parameter of hub, not of dandelion.*\{hub: \{regional"):
        load_preset("dandelion", {"regional": 3})


def test_scope_params_moves_what_the_swept_presets_lack():
    doc, locs, _, _ = simulator.scenario.loading.read_scenario("scenarios/hub.yaml")
    before = simulator.load_document(doc, "<test>", check_memory=False)
    moved = presets.scope_params(doc, ["hub", "dandelion"], locs)
    assert moved == {"regional": ["dandelion"], "regional_followers": ["dandelion"]}
    assert set(doc["topology"]["params"]) == {"official_followers", "hub"}
    assert locs[("topology", "params", "hub", "regional")] == locs[("topology", "params", "regional")]
    # the file's own preset is unchanged; the other preset keeps the shared parameters
    after = simulator.load_document(doc, "<test>", check_memory=False)
    assert [a.followers for a in after.matrix.accounts] == [a.followers for a in before.matrix.accounts]
    doc["topology"]["preset"] = "dandelion"
    dan = simulator.load_document(doc, "<test>", check_memory=False)
    assert dan.matrix.accounts[0].followers.median == 200_000
    note = presets.describe_scoped(moved, "hub")
    assert "regional, regional_followers apply to hub only" in note and "dandelion has no" in note
    # nothing to move when every swept preset has the parameters
    assert presets.scope_params(doc, ["dandelion"]) == {}


@pytest.mark.slow
def test_the_readme_preset_sweep_runs_as_printed(tmp_path, monkeypatch, capsys):
    """README 'Sweeps': `--set topology.preset=hub,dandelion` on scenarios/hub.yaml, whose file sets
    hub-only parameters, runs every point (the test adds a smaller --scale and --replicates)."""
    import shutil

    from simulator.cli.entry import main
    from simulator.sweeps.runner import read_sweep

    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "hub.yaml", tmp_path / "scenarios" / "hub.yaml")
    monkeypatch.chdir(tmp_path)
    printed = (
        "propsim sweep scenarios/hub.yaml --set behaviour.p0=log:1e-3:3e-2:8 --set topology.preset=hub,dandelion "
        "--replicates 20 --scale 0.2 --workers 2 -o results/p0"
    )
    argv = printed.split()[1:] + ["--scale", "0.004", "--replicates", "2", "--quiet"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "regional, regional_followers apply to hub only" in err and "{hub: {regional: ...}" in err
    res = read_sweep(tmp_path / "results" / "p0")
    assert len(res.runs) == 8 * 2 * 2 and (res.runs["status"] == "ok").all()
    accounts = res.runs.groupby("topology.preset")["accounts"].unique()
    assert list(accounts["hub"]) == [31] and list(accounts["dandelion"]) == [25]  # 1 + 4 sub-brands x (1 + 5)
    assert res.manifest["notes"][0].startswith("scenarios/hub.yaml:8: topology.params regional")
