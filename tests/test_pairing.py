"""Decision-grade comparisons: pairing replicates removes the noise two matrices share.

Hub and dandelion at one budget (the bundled ``compare_topologies`` scenario: same population, same
total audience, accounts and posts), at the default repost probability: replicate k of both matrices
sees the same population, follower graph, official-account audience, content appeal and repost
thresholds (one keyed uniform per (item, person), met by every delivery of the item whoever posts it),
so the paired interval of the reach difference is narrower than the unpaired one. How much narrower
depends on how much of the reach variance the two matrices share: the official account holds 40% of
the budget, and most of the variance comes from rare large cascades (second-level reach sd ~75k of a
~370k reach) seeded through the 30 accounts the matrices do not share, whose audiences are different
people. Measured (paired / unpaired CI width, 20 replicates): reach 0.79, direct reach 0.73,
second-level reach 0.80 (with a uniform per delivery, before the shared thresholds: 0.87 / 0.73 /
0.86). Across the scenario's p0 grid (0.001-0.006, 10 replicates) the reach ratio runs 0.71-1.09, and
0.53 at p0 0.006 with 20: the issue's 0.5 is not reached (see the closing notes).
"""

from __future__ import annotations

import numpy as np
import pytest

import simulator


@pytest.mark.slow
def test_paired_interval_of_hub_vs_dandelion_is_narrower_than_the_unpaired_one():
    res = simulator.sweep(
        "scenarios/compare_topologies.yaml",
        {"topology.preset": ["hub", "dandelion"], "behaviour.p0": [0.0032]},
        replicates=20,
        progress=False,
    )
    assert (res.runs["status"] == "ok").all()
    ratios = {}
    for metric in ("reach", "direct_reach", "second_level_reach"):
        row = res.differences[res.differences["metric"] == metric].iloc[0]
        paired = row["diff_ci_high"] - row["diff_ci_low"]
        unpaired = row["unpaired_ci_high"] - row["unpaired_ci_low"]
        ratios[metric] = paired / unpaired
        assert np.isclose(res.manifest["differences"]["ci_width_ratio"][metric], ratios[metric])
    print("paired / unpaired CI width:", {k: round(v, 2) for k, v in ratios.items()})
    assert ratios["reach"] < 0.85 and ratios["direct_reach"] <= 0.8 and ratios["second_level_reach"] < 0.85
