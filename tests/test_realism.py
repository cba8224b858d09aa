"""Realism of the defaults (issue 10, item 1): the bundled scenarios, run with NO overrides over 5 seeds
each, produce cascades like Weibo's.

How each statistic is measured is in :mod:`simulator.calibration.realism` (one item's follower reposts
= one cascade; relayed copies stay in the item's cascade; promotional items are left out). Tolerances:
the acceptance bands of issue 10 for the four targets; each test also checks that the replicate
standard error (sd over seeds / sqrt(seeds)) is small against its band, so that passing is not luck of
a noisy estimate. Latency quantiles: within 20% of the data (the calibration tolerance) plus 3 replicate
standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulator.calibration import realism as R
from simulator.calibration.profile_fit import TOL_QUARTILE
from simulator.calibration.targets import builtin_target

SEEDS = [1, 2, 3, 4, 5]
SCENARIOS = [p.stem for p in R.bundled_scenarios()]


def _tiny(tmp_path, p0: float, followees: float, relays: bool = True, followers: int = 2_000):
    import simulator
    from simulator.engine.model import PropagationModel

    doc = {
        "name": "tiny",
        "seed": 3,
        "population": {"size": 20_000},
        "graph": {"mean_followees": followees, "tail_exponent": None},
        "accounts": [
            {"id": "official", "followers": followers},
            *([{"id": "relay", "count": 2, "followers": 1_000}] if relays else []),
        ],
        "relays": [{"source": "official", "target": "relay", "probability": 1.0}] if relays else [],
        "campaign": [{"account": "official", "at": 0.0, "appeal": 1.0}],
        "behaviour": {"p0": p0},
        "fatigue": {"enabled": False, "churn_per_day": 0.0},
        "time": {"horizon": 500.0},
    }
    loaded = simulator.load_document(doc, "<tiny>")
    return PropagationModel(loaded, record_reposts=True).run()


def test_item_cascades_counts_relayed_copies_in_the_items_cascade(tmp_path):
    model = _tiny(tmp_path, p0=0.02, followees=20)
    df, delays = R.item_cascades(model)
    row = df.iloc[0]
    table = model.repost_table()
    assert row["reposts"] == len(table) == model.counters["repost_decisions"]
    assert row["relays"] == 2
    # follower view: any repost of an account's delivery is depth 1
    assert row["depth1_share"] == pytest.approx((table["depth"] == 1).mean())
    assert row["max_depth"] == table["depth"].max()
    # tree view: a repost of a relayed copy sits below the relay, and the relays are reposts themselves
    own = ((table["depth"] == 1) & (table["origin"] == "official")).sum()
    assert row["tree_depth1_share"] == pytest.approx((own + 2) / (len(table) + 2))
    assert row["tree_depth1_share"] < row["depth1_share"]
    assert row["direct_per_follower"] == pytest.approx(own / 2_000)
    assert len(delays[0]) == own and np.all(delays[0] > 0)


def test_direct_reposts_per_follower_is_the_per_exposure_hazard(tmp_path):
    """No follower graph, appeal 1: direct reposts per follower = p0 (binomial, 4 sd); nothing is viral."""
    model = _tiny(tmp_path, p0=0.01, followees=0, relays=False, followers=20_000)
    row = R.item_cascades(model)[0].iloc[0]
    sd = math.sqrt(0.01 * 0.99 / 20_000)
    assert abs(row["direct_per_follower"] - 0.01) < 4 * sd
    assert row["depth1_share"] == 1.0 and row["max_depth"] == 1
    assert row["follower_reach_share"] == 0.0 and not row["viral"]


def test_a_supercritical_post_is_viral(tmp_path):
    """R = p0 z = 0.1 x 20 = 2: the post spreads through follower reposts to most of the world."""
    model = _tiny(tmp_path, p0=0.1, followees=20, relays=False)
    row = R.item_cascades(model)[0].iloc[0]
    assert row["viral"] and row["follower_reach_share"] > 0.5


def test_vertical_posts_are_told_apart():
    """A post's audience share is the population share its topic and scope fit; below one half it is a
    vertical post, reported apart from the ordinary ones compared with Weibo."""
    import simulator
    from simulator.engine.model import PropagationModel

    loaded = simulator.load(R._path("case_sports_brand"), scale=0.01)
    model = PropagationModel(loaded)
    sc = loaded.scenario.population
    w = sc.interests
    assert R.audience_share(model, "general", "national") == 1.0
    assert R.audience_share(model, "running", "national") == pytest.approx(w["running"] / sum(w.values()), abs=0.005)
    region, weight = next(iter(sc.regions.items()))
    total = sum(sc.regions.values())
    share = R.audience_share(model, "running", region)
    assert share == pytest.approx(weight / total * w["running"] / sum(w.values()), abs=0.005)
    assert R.audience_share(model, "running", "national") < R.VERTICAL_SHARE


@pytest.fixture(scope="module")
def results() -> dict[str, R.ScenarioRealism]:
    return {name: R.scenario_realism(name, SEEDS) for name in SCENARIOS}


def _mean_se(values: np.ndarray) -> tuple[float, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v))) if len(v) > 1 else math.inf


def _check_band(res: R.ScenarioRealism, stat: str) -> None:
    _, lo, hi = R.WEIBO_BANDS[stat]
    m, se = _mean_se(res.per_seed()[stat].to_numpy())
    assert lo <= m <= hi, f"{res.scenario}: {stat} {m:.4g} (se {se:.2g}) outside {lo:g}-{hi:g}"
    # The band is wider than the replicate noise: 5 seeds resolve the statistic to within the band.
    assert 2 * se < (hi - lo) / 2, f"{res.scenario}: {stat} too noisy over {len(SEEDS)} seeds (se {se:.2g})"


@pytest.mark.slow
def _fake(name: str, viral: list[bool]) -> R.ScenarioRealism:
    """Cascades inside every band but the viral one, one per seed."""
    n = len(viral)
    rows = pd.DataFrame(
        {
            "seed": range(n),
            "promotional": [False] * n,
            "vertical": [False] * n,
            "depth1_share": [0.64] * n,
            "max_depth": [5] * n,
            "tree_depth1_share": [0.4] * n,
            "direct_per_follower": [0.002] * n,
            "viral": viral,
            "reposts": [100] * n,
        }
    )
    return R.ScenarioRealism(name, 1000, list(range(n)), rows, {}, 0.0)


def test_viral_posts_are_judged_pooled_not_per_scenario():
    """One viral post in a scenario's five is 20% there but 1 in 45 over nine scenarios: inside the band;
    three in 45 (6.7%) are not."""
    quiet = [_fake(f"s{i}", [False] * 5) for i in range(8)]
    assert R.within_bands([*quiet, _fake("one", [True, False, False, False, False])])
    assert not R.within_bands([*quiet[:7], _fake("three", [True, True, True, False, False]), quiet[7]])


def test_every_bundled_scenario_is_checked():
    assert "compare_topologies" not in SCENARIOS and len(SCENARIOS) >= 9


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_depth1_share_near_weibo(results, name):
    """Per-cascade depth-1 share of follower reposts: Weibo median 0.64, accepted 0.50-0.78."""
    _check_band(results[name], "depth1_share_median")


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_max_depth_3_to_7(results, name):
    """Median deepest follower generation of a post's cascade: Weibo 5, accepted 3-7."""
    _check_band(results[name], "max_depth_median")


@pytest.mark.slow
@pytest.mark.parametrize("name", SCENARIOS)
def test_direct_reposts_per_brand_follower_in_weibo_range(results, name):
    """Direct reposts of the posting account's own delivery per follower: Weibo 0.018%-1.8%."""
    _check_band(results[name], "direct_per_follower_median")


@pytest.mark.slow
def test_viral_posts_rare(results):
    """Posts whose follower reposts reach > 10% of the population: well under 5% over all cascades
    (and never most of a scenario's posts). Every non-promotional post counts (vertical ones too), plus
    ten more seeds of organic, the scenario with the most posts and the one viral post of seeds 1-5:
    80-90 posts cannot show a rate below 5% with one viral post among them."""
    extra = R.scenario_realism("organic", list(range(6, 16)))
    frames = [r.cascades[~r.cascades["promotional"]] for r in [*results.values(), extra]]
    viral = np.concatenate([f["viral"].to_numpy() for f in frames]).astype(bool)
    n, k = len(viral), int(viral.sum())
    # Binomial check: were the true rate 5%, seeing at most k viral posts of n would have probability < 5%.
    p_at_most_k = sum(math.comb(n, i) * 0.05**i * 0.95 ** (n - i) for i in range(k + 1))
    assert p_at_most_k < 0.05, f"{k} of {n} posts viral (P[X <= k | 5%] = {p_at_most_k:.2f})"
    for r in results.values():
        assert r.ordinary()["viral"].mean() <= 0.4, r.scenario


@pytest.mark.slow
def test_latency_quantiles_as_the_data(results):
    """Direct-repost delays pooled over every scenario: quantiles within 20% of Weibo's + 3 se."""
    target = builtin_target("weibo")
    for key, p in (("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
        per_seed = []
        for seed in SEEDS:
            d = np.concatenate([r.delays_of_seed(seed) for r in results.values()])
            obs = d[np.isfinite(d)]
            per_seed.append(R.quantile_censored(obs, len(d) - len(obs), p))
        m, se = _mean_se(np.array(per_seed))
        want = target.latency_quantile(p)
        assert abs(m / want - 1) <= 0.20 + 3 * se / want, f"{key}: {m:.3g} h vs {want:.3g} h (se {se:.2g})"


@pytest.mark.slow
def test_spread_of_depth1_share_centred_on_the_data(results):
    """Pooled over every ordinary cascade of every scenario and seed, the per-cascade depth-1 share's
    interquartile range lies inside the data's (43%-81%) and its median within the accepted band."""
    p = R.pooled(list(results.values()))
    per = builtin_target("weibo").reference["per_cascade_depth1_share"]
    assert p["measured"] >= 50, p
    assert per["p25"] - TOL_QUARTILE <= p["depth1_share_p25"] < p["depth1_share_p75"] <= per["p75"] + TOL_QUARTILE, p
    assert 0.50 <= p["depth1_share_median"] <= 0.78, p


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="known gap (calibration report): the default appeal_sigma is held down so that few posts go viral, "
    "which leaves the spread of the depth-1 share narrower than the data's",
)
def test_spread_of_depth1_share_as_wide_as_the_data(results):
    """The quartiles of the per-cascade depth-1 share within the fit tolerance (0.05) of the data's."""
    p = R.pooled(list(results.values()))
    per = builtin_target("weibo").reference["per_cascade_depth1_share"]
    assert abs(p["depth1_share_p25"] - per["p25"]) <= TOL_QUARTILE, p
    assert abs(p["depth1_share_p75"] - per["p75"]) <= TOL_QUARTILE, p
