"""Calibration (simulator.calibration.fit, ``propsim calibrate``): targets, closed-form pieces, the fit
of the default (hub) scenario to the Weibo profile, user-observed targets and the written file.

Acceptance (issue #7): the calibrated default scenario matches the Weibo depth-1 share within
10 percentage points and the direct-repost delay median within 20%.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator import calibration as C
from simulator.cli.entry import main
from simulator.scenario.errors import ScenarioError

from .conftest import SCENARIOS, write

HUB = SCENARIOS / "hub.yaml"
SCALE = 0.04  # 20,000 followers: shares and delays do not depend on the population size


# --- targets ----------------------------------------------------------------------------------------


def test_builtin_weibo_target_comes_from_the_measured_profiles():
    from simulator.calibration.profiles import load_profiles

    t = C.builtin_target("weibo")
    prof = load_profiles()["weibo"]
    assert t.depth1_share == pytest.approx(prof["depth"]["per_cascade_depth1_share"]["median"])
    assert t.latency_quantile(0.5) == pytest.approx(prof["latency_h"]["depth1"]["median"])
    assert (0.380048, 1.0) in [(round(p, 6), h) for p, h in t.latency_points]
    assert t.reference["pooled_depth_shares"]["1"] == pytest.approx(0.616, abs=1e-3)
    assert C.builtin_target("TWITTER").name == "twitter"
    with pytest.raises(ValueError, match="unknown target"):
        C.builtin_target("facebook")


def test_user_target_file_is_parsed(tmp_path):
    p = write(
        tmp_path,
        """
        name: our brand, March
        depth1_share: 0.7
        latency_median_h: 1.5
        latency_quantiles_h: {p25: 0.4, p75: 6}
        exposure_response: {1: 1.0, 2: 1.3, 3: 1.2}
        relays_per_month: 1735
        accounts: 30
        source_posts_per_month: 90
        """,
        "target.yaml",
    )
    t = C.load_target(p)
    assert t.name == "our brand, March"
    assert t.depth1_share == 0.7
    assert t.latency_points == [(0.25, 0.4), (0.5, 1.5), (0.75, 6.0)]
    assert t.exposure_response == {1: 1.0, 2: 1.3, 3: 1.2}
    assert t.relays.probability == pytest.approx(1735 / (30 * 90))
    # JSON works too (YAML 1.2 is a superset)
    j = tmp_path / "t.json"
    j.write_text('{"depth1_share": 0.6, "latency_median_h": 2.0}', encoding="utf-8")
    assert C.load_target(j).latency_points == [(0.5, 2.0)]


@pytest.mark.parametrize(
    "text, message",
    [
        ("depth1_share: 1.2\n", "depth1_share: Input should be less than 1 (got 1.2)"),
        ("depth1_share: 0.6\nlatency_medain_h: 2\n", "latency_medain_h: unknown field 'latency_medain_h'; expected"),
        ("depth1_share: .inf\n", "depth1_share: Input should be a finite number"),
        ("exposure_response: {1: 1.0, two: 1.2, 3: 1}\n", "exposure_response.two: exposure counts must be whole"),
        ("exposure_response: {1: 1.0, 2: 1.2, 2: 1}\n", "duplicate key 2"),
        ("relays: {count: 10, accounts: 2.5, source_posts: 9}\n", "relays.accounts: Input should be a valid integer"),
        ("relays: {count: 10, accounts: 2, source_posts: 9, sorce: a}\n", "relays.sorce: unknown field"),
        ("latency_sigma: 1\n", "latency_sigma: needs latency_median_h too"),
        ("accounts: 3\ndepth1_share: 0.5\n", "accounts: only used with relays_per_month"),
        ("name: !!binary aGk=\ndepth1_share: 0.5\n", "unsupported YAML tag '!!binary'"),
        ("latency_median_h: 2\nlatency_share_lt_1h: 0.7\n", "contradict"),
        ("relays_per_month: 1735\naccounts: 30\nsource_posts_per_month: 20\n", "need at least 58 posts"),
        ("relays_per_month: 1735\naccounts: 30\n", "source_posts_per_month: required"),
        ("exposure_response: {1: 1.0, 2: 1.2}\n", "at least two counts above 1"),
        ("name: nothing\n", "nothing to fit"),
        ("- 1\n- 2\n", "must be a mapping"),
    ],
)
def test_bad_target_files_are_reported_with_their_line(tmp_path, text, message):
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        C.load_target(p)
    assert message in str(e.value)
    assert str(p) in str(e.value)


def test_bad_target_line_numbers(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\ndepth1_share: -0.1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        C.load_target(p)
    assert f"{p}:2:" in str(e.value)
    # nested fields and integer keys are located too; JSON writes exposure counts as strings
    p.write_text("depth1_share: 0.5\nexposure_response:\n  1: 1.0\n  2: -1\n  3: 1.1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        C.load_target(p)
    assert str(e.value).startswith(f"{p}:4:3: exposure_response.2: Input should be greater than 0")
    j = tmp_path / "t.json"
    j.write_text('{"exposure_response": {"1": 1.0, "2": 1.5, "3": 1.2}}', encoding="utf-8")
    assert C.load_target(j).exposure_response == {1: 1.0, 2: 1.5, 3: 1.2}


def test_target_file_shares_the_scenario_reader_limits(tmp_path):
    """Target files go through the hardened scenario reader: an alias bomb is refused at once."""
    p = tmp_path / "bomb.yaml"
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as e:
        C.load_target(p)
    assert f"{p}:4:" in str(e.value) and "aliases repeat more than 10,000 values" in str(e.value)


# --- closed-form pieces -----------------------------------------------------------------------------


def test_fit_lognormal_recovers_median_and_sigma():
    from statistics import NormalDist

    m, s = 2.2, 2.4
    pts = [(p, m * math.exp(s * NormalDist().inv_cdf(p))) for p in (0.1, 0.25, 0.5, 0.75, 0.9)]
    fm, fs, fitted = C.fit_lognormal(pts, 1.0)
    assert (fm, fs, fitted) == (pytest.approx(m), pytest.approx(s), True)
    # one probability only: sigma kept, median solved through it
    fm, fs, fitted = C.fit_lognormal([(0.38, 1.0)], 2.5)
    assert not fitted and fs == 2.5
    assert fm * math.exp(2.5 * NormalDist().inv_cdf(0.38)) == pytest.approx(1.0)


def test_fit_response_recovers_alpha_beta():
    from simulator.validation.theory import response

    curve = {k: float(response(k, 1.0, 0.5)) for k in (1, 2, 3, 4)}
    a, b = C.fit_response(curve)
    assert (a, b) == (pytest.approx(1.0), pytest.approx(0.5))


# --- the acceptance fit: default (hub) scenario vs Weibo -----------------------------------------------


@pytest.fixture(scope="module")
def weibo_fit():
    loaded = simulator.load(HUB, scale=SCALE)
    return loaded, C.calibrate(loaded, C.builtin_target("weibo"), cascades=100, scenario_name=str(HUB))


@pytest.mark.slow
def test_calibrated_hub_matches_weibo_depth1_share_and_latency(weibo_fit):
    _, cal = weibo_fit
    err = cal.errors()
    assert abs(err["depth1_share"]["error"]) <= 0.10
    assert abs(err["latency_median_h"]["error"]) <= 0.20
    assert cal.ok
    # The defaults are the fitted weibo profile (120 followees): already near the target, so the
    # fit moves p0 by less than a factor of 2 (with 20 followees it had to raise p0 twenty-fold).
    assert abs(cal.stats_before.depth1_share - 0.638) <= 0.10
    assert 0.5 < cal.fitted["behaviour.p0"] / cal.before["behaviour.p0"] < 2.0
    assert 1.5 < cal.fitted["behaviour.latency.median"] < 3.0
    assert 2.0 < cal.fitted["behaviour.latency.sigma"] < 2.8


@pytest.mark.slow
def test_fit_holds_out_of_sample(weibo_fit):
    """Fresh seeds (not the common random numbers of the search) still match the target."""
    loaded, cal = weibo_fit
    runner = C.OrganicCascades(loaded, cascades=100, seed=12345)
    st = runner.run(
        {
            "p0": cal.fitted["behaviour.p0"],
            "latency": {
                "median": cal.fitted["behaviour.latency.median"],
                "sigma": cal.fitted["behaviour.latency.sigma"],
            },
        }
    )
    assert abs(st.depth1_share - 0.638) <= 0.10
    assert abs(st.latency["median"] / 2.242 - 1) <= 0.20


def test_written_scenario_keeps_the_file_and_adds_the_fit(weibo_fit, tmp_path):
    _, cal = weibo_fit
    out = C.write_calibrated(HUB, cal, tmp_path / "hub.weibo.yaml")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Calibrated by `propsim calibrate` against target 'weibo'")
    assert "# Hub-and-spoke (HUB式)" in text  # the user's own comment survives
    assert "regional_followers: {median: 8000, sigma: 0.5}" in text  # and their formatting
    fitted = simulator.load(out)
    assert fitted.scenario.behaviour.p0 == cal.fitted["behaviour.p0"]
    assert fitted.scenario.behaviour.latency.median == cal.fitted["behaviour.latency.median"]
    assert fitted.scenario.population.size == 4_000_000  # the file keeps its own size


# --- user-observed targets ------------------------------------------------------------------------------


def test_relay_counts_fit_the_relay_probability(tmp_path):
    """The deck's HUB example: 1,735 regional reposts of the core account in a month."""
    t = C.target_from_document({"relays_per_month": 1735, "accounts": 30, "source_posts_per_month": 90}, "<t>")
    loaded = simulator.load(HUB, scale=SCALE)
    cal = C.calibrate(loaded, t)
    p = 1735 / (30 * 90)
    assert cal.fitted == {"relays[official->regional].probability": pytest.approx(p, rel=1e-3)}
    out = C.write_calibrated(HUB, cal, tmp_path / "hub.relays.yaml")
    sc = simulator.load(out, scale=SCALE)
    edges = [e for e in sc.matrix.relays if sc.matrix.accounts[e.source].id == "official"]
    assert len(edges) == 30 and all(e.probability == pytest.approx(p, rel=1e-3) for e in edges)
    # The preset's other relay settings are kept on the replaced edge.
    assert edges[0].variation == "cosmetic" and edges[0].latency.median == 1.0
    # Matrix oracle: E[relays per core post] = accounts x p.
    doc = sc.scenario.model_dump(mode="json")
    doc.update(topology=None)
    doc["campaign"] = [{"account": "official", "at": 0.0, "repeat": 40, "every": 1.0}]
    doc["time"] = {"tick": 1.0, "horizon": 60.0}
    doc["graph"]["mean_followees"] = 0
    relays = simulator.run(simulator.load_document(doc, "<t>")).summary["account_relays"]
    expected = 40 * 30 * p
    assert abs(relays - expected) < 4 * math.sqrt(40 * 30 * p * (1 - p))


def test_user_depth_and_latency_target(tmp_path):
    t = C.target_from_document({"depth1_share": 0.85, "latency_median_h": 1.0}, "<t>")
    loaded = simulator.load(HUB, scale=SCALE)
    cal = C.calibrate(loaded, t, cascades=60)
    e = cal.errors()
    assert abs(e["depth1_share"]["error"]) <= 0.10
    assert abs(e["latency_median_h"]["error"]) <= 0.20
    assert "behaviour.latency.sigma" not in cal.fitted  # one latency number: sigma kept
    assert any("sigma kept" in n for n in cal.notes)
    # A shallower profile than Weibo's needs a smaller p0 than the weibo profile's.
    assert cal.fitted["behaviour.p0"] < loaded.scenario.behaviour.p0


def test_exposure_response_fitted_when_given():
    t = C.target_from_document({"exposure_response": {1: 1.0, 2: 1.5, 3: 1.6, 4: 1.4}}, "<t>")
    cal = C.calibrate(simulator.load(HUB, scale=SCALE), t)
    a, b = cal.fitted["behaviour.alpha"], cal.fitted["behaviour.beta"]
    assert a > 0 and b > 0 and 2.0 < a / b < 4.0  # peak between the 2nd and 4th exposure


# --- CLI ----------------------------------------------------------------------------------------------------


def test_cli_calibrate_relays_target(tmp_path, capsys):
    target = write(tmp_path, "relays: {count: 1735, accounts: 30, source_posts: 90, days: 30}\n", "obs.yaml")
    out = tmp_path / "hub.obs.yaml"
    rc = main(["calibrate", str(HUB), "--target", str(target), "--scale", str(SCALE), "-o", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "relays[official->regional].probability" in text and out.exists()
    # refuses to overwrite without --force, and never the input file
    assert main(["calibrate", str(HUB), "--target", str(target), "--scale", str(SCALE), "-o", str(out)]) == 1
    assert "exists" in capsys.readouterr().err
    assert main(["calibrate", str(HUB), "--target", str(target), "-o", str(HUB)]) == 1
    assert "refusing" in capsys.readouterr().err


def test_cli_calibrate_bad_target(tmp_path, capsys):
    target = write(tmp_path, "depth1_share: 2\n", "bad.yaml")
    rc = main(["calibrate", "hub", "--target", str(target), "--dry-run"])
    assert rc == 1
    err = capsys.readouterr().err
    assert f"{target}:1:" in err and "depth1_share" in err and "Traceback" not in err
    assert main(["calibrate", "hub", "--target", "nosuchfile.yaml", "--dry-run"]) == 1
    assert "built-in targets: weibo" in capsys.readouterr().err


def test_cli_calibrate_json_dry_run(tmp_path, capsys):
    target = write(tmp_path, "depth1_share: 0.85\nlatency_median_h: 1.0\n", "t.yaml")
    rc = main(
        ["calibrate", "hub", "--target", str(target), "--scale", str(SCALE), "--cascades", "40", "--dry-run", "--json"]
    )
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["written"] is None
    assert set(data["fitted"]) == {"behaviour.p0", "behaviour.latency.median"}
    assert rc in (0, 3) and data["ok"] == (rc == 0)
    assert not list(Path.cwd().glob("hub.t.yaml"))


# --- behaviour profiles: the fit pieces (issue 10) ----------------------------------------------------------


def _stats(**kw):
    from simulator.calibration.cascades import CascadeStats

    base = dict(
        cascades=200,
        used=200,
        depth1_share=0.64,
        depth1_share_se=0.015,
        depth1_share_iqr=(0.45, 0.78),
        pooled={"1": 0.6, "2": 0.25, "3+": 0.15},
        pooled_nonviral={"1": 0.6, "2": 0.23, "3+": 0.17},
        latency={
            "p10": 0.12,
            "p25": 0.43,
            "median": 2.2,
            "p75": 12.0,
            "p90": 46.0,
            "share_lt_1h": 0.38,
            "share_lt_24h": 0.85,
        },
        latency_all_median_h=5.0,
        mean_reposters=900.0,
        viral=0.01,
        censored=0.0,
        max_depth_median=5.0,
        direct_per_follower=0.003,
    )
    base.update(kw)
    return CascadeStats(**base)


def test_cascade_stats_per_cascade_measures():
    """Depth-1 share per cascade, its quartiles, median max depth, direct reposts per follower and the
    viral flag (reach beyond the account > 10% of the population) from hand-made cascades."""
    from simulator.calibration.cascades import cascade_stats

    dec = np.zeros((4, 8), dtype=np.int64)
    dec[0, 1:4] = [60, 30, 10]  # share 0.6, max depth 3
    dec[1, 1:3] = [80, 20]  # 0.8, depth 2
    dec[2, 1:6] = [40, 20, 20, 10, 10]  # 0.4, depth 5
    dec[3, 1] = 5  # too small for a share (< MIN_REPOSTERS)
    reach = np.array([1000, 500, 20_000, 0])  # population 100k: only cascade 2 is viral
    st = cascade_stats(dec, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), 100_000, 10_000, reach)
    assert st.used == 3 and st.depth1_share == pytest.approx(0.6)
    assert st.depth1_share_iqr == (pytest.approx(0.5), pytest.approx(0.7))
    assert st.max_depth_median == 3.0
    assert st.direct_per_follower == pytest.approx(np.median([60, 80, 40, 5]) / 10_000)
    assert st.viral == pytest.approx(0.25)
    assert st.pooled_nonviral["1"] == pytest.approx((60 + 80 + 5) / (100 + 100 + 5))


def test_choose_sigma_fits_the_spread_within_the_viral_limit():
    from simulator.calibration.profile_fit import _choose_sigma

    scan = [
        {"appeal_sigma": 0.0, "p25": 0.62, "p75": 0.72, "viral": 0.0},
        {"appeal_sigma": 0.3, "p25": 0.55, "p75": 0.74, "viral": 0.01},
        {"appeal_sigma": 0.5, "p25": 0.46, "p75": 0.76, "viral": 0.06},
    ]
    # the widest spread (0.5) is closest to the data's 0.38 but too viral: 0.3 is chosen
    assert _choose_sigma(scan, 0.38, 0.025)["appeal_sigma"] == 0.3
    assert _choose_sigma(scan, 0.38, 0.10)["appeal_sigma"] == 0.5
    assert _choose_sigma(scan, 0.05, 0.10)["appeal_sigma"] == 0.0  # closest width wins
    # nothing within the limit: the least viral
    assert _choose_sigma(scan, 0.38, -1.0)["appeal_sigma"] == 0.0


def test_fit_table_rows_and_tolerances():
    from simulator.calibration.profile_fit import fit_table

    t = C.builtin_target("weibo")
    rows = fit_table(t, _stats(), 0.025)
    assert rows["depth1_share_median"]["ok"] and rows["depth1_share_median"]["role"] == "fitted"
    assert rows["depth1_share_p25"]["target"] == pytest.approx(0.4311, abs=1e-4)
    assert rows["viral_share"] == {**rows["viral_share"], "kind": "upper", "ok": True}
    assert rows["latency_median_h"]["ok"]  # 2.2 h vs 2.242 h, within 20%
    assert rows["max_depth_median"]["role"] == "check" and rows["max_depth_median"]["ok"]
    assert rows["direct_reposts_per_follower"]["ok"]  # 0.3% inside 0.018%-1.8%
    bad = fit_table(t, _stats(depth1_share=0.70, viral=0.04, direct_per_follower=0.03), 0.025)
    assert not bad["depth1_share_median"]["ok"] and not bad["viral_share"]["ok"]
    assert not bad["direct_reposts_per_follower"]["ok"]
    # Twitter has no reposts-per-follower data: no such row
    assert "direct_reposts_per_follower" not in fit_table(C.builtin_target("twitter"), _stats(), 0.025)


def test_implicit_world_graph_moments():
    """An implicit world has no CSR: z from the generator, <jk> = z^2 (followees independent of followers)."""
    from simulator.calibration.cascades import graph_moments
    from simulator.world.build import build_world

    loaded = simulator.load(HUB, scale=SCALE, overrides=["graph.world=implicit"])
    w = build_world(loaded.scenario, loaded.matrix)
    assert w.graph is None
    assert graph_moments(w) == (pytest.approx(120.0), pytest.approx(120.0**2))
    explicit = build_world(loaded.scenario, loaded.matrix, mode="explicit")
    z, jk = graph_moments(explicit)
    # the materialised graph loses a few repeated draws (~3% at this size): the implicit figures are nominal
    assert z == pytest.approx(120.0, rel=0.05) and jk / z == pytest.approx(z, rel=0.02)


def test_shipped_profiles_carry_their_fit(tmp_path):
    """Every shipped profile has values, a plausible p0 band around its p0, a fit table and provenance,
    and scenarios that set nothing use the weibo profile's values."""
    from simulator.scenario import profiles as P

    for name in ("weibo", "twitter"):
        p = P.profile(name)
        lo, hi = p.plausible["behaviour.p0"]
        assert lo < p.values["behaviour.p0"] < hi
        assert {"depth1_share_median", "latency_median_h", "viral_share"} <= set(p.fit)
        prov = p.provenance
        assert prov["target"]["name"] == name and prov["target"]["n_cascades"] > 500
        assert prov["cascades"] >= 100 and prov["seeds"] and prov["date"] and prov["propsim_version"]
        assert prov["world"]["mean_followees"] == 120.0
    b = simulator.load(HUB).scenario.behaviour
    w = P.profile("weibo").values
    assert (b.p0, b.appeal_sigma, b.latency.median, b.latency.sigma) == (
        w["behaviour.p0"],
        w["behaviour.appeal_sigma"],
        w["behaviour.latency.median"],
        w["behaviour.latency.sigma"],
    )


def test_write_profile_keeps_the_other_profiles(tmp_path):
    import json

    from simulator.calibration.profile_fit import ProfileFit, write_profile
    from simulator.scenario.profiles import parse_profiles, profile_path

    path = tmp_path / "profiles.json"
    path.write_text(profile_path().read_text(encoding="utf-8"), encoding="utf-8")
    fit = ProfileFit(
        "weibo",
        C.builtin_target("weibo"),
        {
            "behaviour.p0": 0.004,
            "behaviour.appeal_sigma": 0.3,
            "behaviour.latency.median": 2.1,
            "behaviour.latency.sigma": 2.3,
        },
        {"behaviour.p0": (0.002, 0.006)},
        {
            "depth1_share_median": {
                "target": 0.638,
                "simulated": 0.64,
                "tolerance": 0.03,
                "kind": "absolute",
                "role": "fitted",
                "ok": True,
            }
        },
        {"target": {"name": "weibo", "n_cascades": 3387}, "scenario": "hub"},
        [{"appeal_sigma": 0.3, "p0": 0.004}],
    )
    write_profile(fit, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    got = parse_profiles(data)
    assert got["weibo"].values["behaviour.p0"] == 0.004 and got["weibo"].plausible["behaviour.p0"] == (0.002, 0.006)
    assert got["twitter"].values == parse_profiles(json.loads(profile_path().read_text("utf-8")))["twitter"].values
    assert got["weibo"].sigma_scan == [{"appeal_sigma": 0.3, "p0": 0.004}]
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically


def test_cli_profile_defaults_match_the_fit_module():
    from simulator.calibration import profile_fit
    from simulator.cli import model_check

    assert [float(x) for x in model_check.PROFILE_SIGMAS.split(",")] == list(profile_fit.DEFAULT_SIGMAS)
    assert model_check.PROFILE_VIRAL == profile_fit.VIRAL_LIMIT


@pytest.mark.parametrize(
    "argv, message",
    [
        (["calibrate", "hub"], "needs a scenario FILE and --target"),
        (["calibrate", "--profile", "weibo", "--target", "ours.yaml"], "needs a built-in target"),
        (["calibrate", "--profile", "weibo", "--sigmas", "0,x"], "--sigmas: expected comma-separated"),
        (["calibrate", "--profile", "weibo", "--viral-limit", "2"], "--viral-limit must be in"),
        (["calibrate", "--check-defaults", "--replicates", "0"], "--replicates must be in"),
    ],
)
def test_cli_calibrate_profile_bad_usage(argv, message, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_calibrate_profile_small_run(tmp_path, capsys):
    """--profile at a small scale writes a profiles file that loads (the numbers are not checked here)."""
    out = tmp_path / "profiles.json"
    argv = [
        "calibrate",
        "--profile",
        "twitter",
        "--scale",
        "0.02",
        "--cascades",
        "10",
        "--sigmas",
        "0,0.5",
        "--max-iter",
        "1",
        "-o",
        str(out),
    ]
    rc = main(argv)
    text = capsys.readouterr().out
    assert rc in (0, 3), text
    assert "appeal_sigma" in text and "plausible behaviour.p0" in text
    import json

    from simulator.scenario.profiles import parse_profiles

    prof = parse_profiles(json.loads(out.read_text(encoding="utf-8")))["twitter"]
    assert prof.provenance["scenario"].startswith("hub (--scale 0.02")
    assert set(prof.values) == {
        "behaviour.p0",
        "behaviour.appeal_sigma",
        "behaviour.latency.median",
        "behaviour.latency.sigma",
    }
    assert [s["appeal_sigma"] for s in prof.sigma_scan][0] == 0.0
