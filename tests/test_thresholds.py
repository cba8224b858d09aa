"""Repost decisions are thresholds per (item, person), whoever delivers the item (Sellke's construction).

A person ``v`` reposts item ``c`` at the first delivery where the survival ``prod (1 - h_k)`` of its
deliveries falls to or below ``U(c, v)``, the uniform keyed by (item, person). So:

* for someone who received the item exactly once, with chance ``h``: reposted <=> ``U >= 1 - h``, whether
  the delivery came from a matrix account or from a follower's repost;
* two matrices that reach the same person with the same chance make the same decision for them, even
  through different accounts (the coupling that makes paired comparisons of matrices tight);
* the construction gives each delivery exactly its chance: the share of once-reached people who repost
  is ``h`` (binomial, 4 sd).
"""

from __future__ import annotations

import numpy as np

import simulator
from simulator import streams as S
from simulator.engine.model import PropagationModel

P0 = 0.02
TEXT = """
name: thresholds
seed: 11
time: {{horizon: 48}}
population: {{size: 40000}}
graph: {{mean_followees: 30}}
accounts:
  - {{id: {first}, kind: official, followers: 6000}}
  - {{id: {second}, kind: sub_brand, followers: 6000}}
relays:
  - {{source: {first}, target: {second}, probability: 1.0}}
campaign:
  - {{account: {first}, at: 0, appeal: 1.0}}
behaviour: {{p0: {p0}}}
fatigue: {{enabled: false}}
"""


def _run(first: str = "brand", second: str = "sub") -> PropagationModel:
    model = PropagationModel(simulator.load_text(TEXT.format(first=first, second=second, p0=P0)))
    model.run()
    return model


def test_a_person_reached_once_reposts_exactly_when_the_threshold_says():
    model = _run()
    once = np.flatnonzero(model.exposures == 1)
    assert len(once) > 5000  # people reached by one delivery: from an account or a follower
    u = S.uniforms(S.derive(S.kind_key(11, S.REPOST), 0), once)
    reposted = model.reposts_per_person()[once] > 0
    assert np.array_equal(reposted, u >= 1.0 - P0)
    # each delivery's chance is exactly h: binomial share, 4 sd
    sd = np.sqrt(P0 * (1 - P0) / len(once))
    assert abs(reposted.mean() - P0) < 4 * sd


def test_the_same_person_decides_the_same_whoever_delivers():
    """Renaming the accounts changes their audiences (keyed by id) and so who is reached through whom;
    everyone reached once in both runs makes the same decision in both."""
    a, b = _run("brand", "sub"), _run("other_brand", "other_sub")
    once_both = np.flatnonzero((a.exposures == 1) & (b.exposures == 1))
    assert len(once_both) > 500
    ra, rb = a.reposts_per_person()[once_both] > 0, b.reposts_per_person()[once_both] > 0
    assert np.array_equal(ra, rb) and ra.sum() > 5
