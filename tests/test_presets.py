"""The six account-matrix presets expand into the structures the source deck describes."""

from __future__ import annotations

import itertools

import pytest

import simulator
from simulator.scenario import presets


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
