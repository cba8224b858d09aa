"""The loader's delivery estimate (:mod:`simulator.scenario.delivery_estimate`) against runs and arithmetic.

The cost model sizes the touched state and the run time from the expected deliveries, so an estimate far
below the run lets a user start a run that cannot fit (the platform month), and one far above refuses runs
that would fit. Measured here: within a factor 0.8-2 of the run (mean of six seeds) on bundled scenarios of every kind
(hub, dandelion, a case study, the platform case), the neglected effects (duplicates, fatigue exits,
reposts after the horizon) all making the estimate the larger.
"""

from __future__ import annotations

import pytest

import simulator
import simulator.scenario.loading as L
from simulator.cli.entry import main
from simulator.engine.model import PropagationModel
from simulator.results.collect import collect
from simulator.scenario.delivery_estimate import estimate_deliveries, publication_chances
from simulator.scenario.errors import ScenarioError
from simulator.scenario.estimates import estimate_audiences

CASES = [
    ("hub", 0.05, None, []),
    ("dandelion", 0.05, None, []),
    ("case_cinema_chain", 0.05, None, []),
    ("hub", 0.05, None, ["behaviour.p0=0.006"]),
    ("platform_brand", 0.002, 168, []),
]


@pytest.mark.parametrize(("name", "scale", "until", "over"), CASES)
def test_the_estimate_is_near_the_run(name, scale, until, over):
    loaded = simulator.load(f"scenarios/{name}.yaml", scale=scale, until=until, overrides=over, check_memory=False)
    est = estimate_deliveries(loaded.scenario, loaded.matrix, estimate_audiences(loaded.scenario, loaded.matrix).union)
    got, pairs = [], []
    for seed in range(1, 7):
        model = PropagationModel(
            simulator.load(
                f"scenarios/{name}.yaml", scale=scale, until=until, overrides=over, seed=seed, check_memory=False
            )
        )
        model.run()
        got.append(collect(model).summary["impressions"])
        pairs.append(model.delivered_pairs())
    mean, mean_pairs = sum(got) / len(got), sum(pairs) / len(pairs)
    assert 0.8 <= est.total / mean <= 2.0, (est.total, got)
    assert 0.8 <= est.pairs / mean_pairs <= 2.0, (est.pairs, pairs)


MATRIX = """
name: chain
population: {{size: 100000, interests: {{general: 1, sport: 1, food: 1}}}}
accounts:
  - {{id: a, kind: official, followers: 1000}}
  - {{id: b, kind: sub_brand, followers: 1000, topics: [sport]}}
  - {{id: c, kind: sub_brand, followers: 1000, topics: [sport]}}
relays:
  - {{source: a, target: b, probability: 0.5, off_topic_probability: 0.1}}
  - {{source: b, target: c, probability: 0.4, off_topic_probability: 0.2}}
  - {{source: a, target: c, probability: 0.3, off_topic_probability: 0.3}}
campaign:
  - {{account: a, at: 0, topic: {topic}}}
behaviour: {{p0: {p0}}}
"""


def test_publication_chances_follow_the_relay_edges():
    on = simulator.load_text(MATRIX.format(topic="sport", p0=0.001)).matrix
    assert publication_chances(on, 0) == pytest.approx([1.0, 0.5, 1 - (1 - 0.3) * (1 - 0.4 * 0.5)])
    off = simulator.load_text(MATRIX.format(topic="general", p0=0.001).replace("[sport]", "[food]")).matrix
    assert publication_chances(off, 0) == pytest.approx(
        [1.0, 0.5, 1 - (1 - 0.3) * (1 - 0.4 * 0.5)]
    )  # general is on-topic
    off_topic = simulator.load_text(MATRIX.format(topic="sport", p0=0.001).replace("[sport]", "[food]")).matrix
    assert publication_chances(off_topic, 0) == pytest.approx([1.0, 0.1, 1 - (1 - 0.3) * (1 - 0.2 * 0.1)])


def test_a_supercritical_item_reaches_at_most_everyone():
    loaded = simulator.load_text(MATRIX.format(topic="general", p0=0.5))
    est = estimate_deliveries(loaded.scenario, loaded.matrix)
    assert est.pairs <= 100_000 and est.people <= 100_000 and est.follower > 100_000


def test_validate_warns_and_run_refuses_what_this_machine_cannot_hold(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(L, "available_memory", lambda: 8_000_000_000)
    # validity does not depend on the machine: validate says it and exits 0
    assert main(["validate", "scenarios/platform_brand.yaml"]) == 0
    err = capsys.readouterr().err
    assert "warning: a run needs about" in err and "--scale" in err and "[machine]" in err
    # the run is refused before anything is built, naming the campaign and the deliveries
    with pytest.raises(ScenarioError) as e:
        simulator.load("scenarios/platform_brand.yaml")
    (p,) = e.value.problems
    assert p.path == "campaign" and "million deliveries" in p.message and "--until" in p.message
    # its first week needs far less: the state follows the posts
    week = simulator.load("scenarios/platform_brand.yaml", until=168, check_memory=False)
    month = simulator.load("scenarios/platform_brand.yaml", check_memory=False)
    assert week.estimated_bytes < month.estimated_bytes / 2.5
