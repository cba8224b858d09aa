"""Decision-grade comparisons: pairing replicates removes the noise two matrices share.

Hub and dandelion at one budget (the bundled ``compare_topologies`` scenario: same population, same
total audience, accounts and posts), at the default repost probability: replicate k of both matrices
sees the same population, follower graph, official-account audience, content appeal and follower
decisions (keyed random streams), so the paired interval of the reach difference is narrower than
the unpaired one. How much narrower depends on how much of the reach variance the two matrices share:
here the official account holds 40% of the budget, and most of the variance comes from cascades
seeded by the accounts the matrices do not share. Shared cascades also drift apart: a follower who
gets the item from a relay too has a different exposure memory, so the same uniform decides against
a different hazard (r(x)), and a flipped repost changes everything below it. With the fitted weibo
profile's small appeal spread (sigma 0.2: little variance shared through the item's appeal) the
measured ratios are reach 0.87, direct reach 0.73, second-level reach 0.86 at 20 replicates (0.86,
0.59, 0.92 at 10): pairing helps, but far less than the issue's 0.5 (see the closing notes).
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
    assert ratios["reach"] < 0.95 and ratios["direct_reach"] <= 0.8 and ratios["second_level_reach"] < 0.95
