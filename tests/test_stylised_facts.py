"""Stylised facts of the source deck, as directional tests of the full model.

Each fact compares two small, comparable scenarios (same population size and seeds, so the same
random streams: common random numbers) over replicate seeds, and asserts the direction of the
effect with a margin of more than 3 standard errors of the difference. Populations of 20-40k
followers keep each test to a few seconds.

1. With localized regional audiences, HUB gives more unique reach per relay than dandelion with
   overlapping sub-brand audiences (relaying accounts of equal size, core of equal size).
2. Verbatim cross-reposting among sub-brands raises duplicate exposures and exits (vs none, and
   vs the same cross-reposting with the accounts' own commentary).
3. Executive commentary raises reposts per delivery (vs verbatim relays of the same post).
4. Content scoped to one vertical spreads less than general content.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import simulator
from simulator.engine.model import PropagationModel
from simulator.results.reposts import executed_reposts

pytestmark = pytest.mark.slow  # statistical / subprocess tests: full suite only (CI)


def run(doc: dict, seed: int) -> dict:
    d = copy.deepcopy(doc)
    d["seed"] = seed
    return simulator.run(simulator.load_document(d, "<fact>"))


def independent(a: list[float], b: list[float]) -> tuple[float, float]:
    """Difference of means b - a and its standard error (independent samples)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return b.mean() - a.mean(), math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))


def paired(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean paired difference b - a and its standard error (same seeds: common random numbers)."""
    d = np.asarray(b, float) - np.asarray(a, float)
    return d.mean(), d.std(ddof=1) / math.sqrt(len(d))


# --- 1. HUB vs dandelion: unique reach per relay ----------------------------------------------------------

RELAYER = {"median": 1000, "sigma": 0.0}  # every relaying account has 1,000 followers in both designs


def test_hub_gives_more_unique_reach_per_relay_than_dandelion():
    common = {"population": {"size": 40_000}, "graph": {"mean_followees": 0}}
    hub = {
        "name": "hub",
        **common,
        "topology": {
            "preset": "hub",
            "params": {"official_followers": 4000, "regional": 20, "regional_followers": RELAYER},
        },
    }
    dandelion = {
        "name": "dandelion",
        **common,
        "topology": {
            "preset": "dandelion",
            "params": {
                "official_followers": 4000,
                "spokes_per_sub": 4,
                "sub_followers": RELAYER,
                "spoke_followers": RELAYER,
            },
        },
    }
    per_relay: dict[str, list[float]] = {"hub": [], "dandelion": []}
    new_share: dict[str, list[float]] = {"hub": [], "dandelion": []}
    for name, doc in (("hub", hub), ("dandelion", dandelion)):
        for seed in range(8):
            rel = run(doc, seed).relays
            assert len(rel) > 0
            per_relay[name].append(rel["reach_added"].sum() / len(rel))
            new_share[name].append(rel["reach_added"].sum() / rel["deliveries"].sum())
    diff, se = independent(per_relay["dandelion"], per_relay["hub"])
    assert diff > 3 * se, (np.mean(per_relay["hub"]), np.mean(per_relay["dandelion"]), se)
    diff, se = independent(new_share["dandelion"], new_share["hub"])
    assert diff > 3 * se


# --- 2. verbatim cross-reposting: duplicates and exits -----------------------------------------------------------

SUBS = ["sub_running", "sub_basketball", "sub_football", "sub_lifestyle"]


def dandelion_campaign(lateral: float, variation: str = "verbatim") -> dict:
    """Two weeks of two posts a day; sub-brands cross-repost each other with ``lateral``."""
    doc = {
        "name": "dandelion",
        "population": {"size": 20_000},
        "time": {"horizon": 24 * 14},
        "topology": {
            "preset": "dandelion",
            "params": {
                "official_followers": 4000,
                "sub_followers": {"median": 1500, "sigma": 0.3},
                "spoke_followers": {"median": 150, "sigma": 0.7},
                "lateral_probability": 0.0,
            },
        },
        "campaign": [{"account": "official", "at": 0, "repeat": 28, "every": 12}],
    }
    if lateral > 0:
        doc["relays"] = [
            {
                "source": a,
                "target": b,
                "probability": lateral,
                "variation": variation,
                "latency": {"median": 2.5, "sigma": 1.0},
            }
            for a in SUBS
            for b in SUBS
            if a != b
        ]
    return doc


def test_verbatim_cross_reposting_raises_duplicates_and_exits():
    seeds = range(14)
    none = [run(dandelion_campaign(0.0), s).summary for s in seeds]
    verbatim = [run(dandelion_campaign(0.5), s).summary for s in seeds]
    varied = [run(dandelion_campaign(0.5, "commentary"), s).summary for s in seeds]
    for key in ("duplicate_exposures", "exits"):
        diff, se = paired([x[key] for x in none], [x[key] for x in verbatim])
        assert diff > 3 * se, (key, diff, se)
    # The same cross-reposting with the accounts' own take (exposure weight 0.4 instead of 1)
    # builds less load from duplicates, so fewer people leave.
    diff, se = paired([x["exits"] for x in varied], [x["exits"] for x in verbatim])
    assert diff > 3 * se, (diff, se)


# --- 3. executive commentary: reposts per delivery ------------------------------------------------------------------


def twin_star(variation: str, topic: str = "general") -> dict:
    return {
        "name": "twin_star",
        "population": {"size": 20_000},
        "time": {"horizon": 24 * 12},
        "topology": {
            "preset": "twin_star",
            "params": {
                "official_followers": 4000,
                "executive_followers": {"median": 3000, "sigma": 0.3},
                "vertical_followers": {"median": 1000, "sigma": 0.3},
            },
        },
        "relays": [
            {
                "source": "official",
                "target": "executive",
                "probability": 0.5,
                "latency": {"median": 1, "sigma": 1},
                "variation": variation,
            }
        ],
        "campaign": [{"account": "official", "at": 0, "repeat": 20, "every": 12, "topic": topic}],
    }


def executive_reposts_per_delivery(doc: dict, seed: int) -> float:
    """Direct reposts triggered by executives' deliveries / executives' deliveries."""
    d = copy.deepcopy(doc)
    d["seed"] = seed
    model = PropagationModel(simulator.load_document(d, "<fact>"), record_reposts=True).run()
    execs = [a.index for a in model.accounts if a.data.kind == "executive"]
    log = executed_reposts(model.repost_table(), [it.at for it in model.matrix.items])
    reposts = int(((log["depth"] == 1) & log["origin"].isin([model.accounts[i].data.id for i in execs])).sum())
    return reposts / max(1, int(model.account_stats["deliveries"][execs].sum()))


def test_executive_commentary_raises_reposts_per_delivery():
    seeds = range(16)
    verbatim = [executive_reposts_per_delivery(twin_star("verbatim"), s) for s in seeds]
    commentary = [executive_reposts_per_delivery(twin_star("commentary"), s) for s in seeds]
    diff, se = paired(verbatim, commentary)
    assert diff > 3 * se, (np.mean(verbatim), np.mean(commentary), se)


# --- 4. vertical content spreads less ---------------------------------------------------------------------


def test_content_scoped_to_one_vertical_spreads_less_than_general_content():
    seeds = range(8)
    general = [run(twin_star("commentary", "general"), s).summary for s in seeds]
    vertical = [run(twin_star("commentary", "finance"), s).summary for s in seeds]
    for key in ("reach", "follower_reposts", "account_relays"):
        diff, se = paired([x[key] for x in vertical], [x[key] for x in general])
        assert diff > 3 * se, (key, diff, se)
