"""Sweep paired differences against a baseline, clipped unpaired intervals, and sweep metadata
(labels, plausible ranges) in the manifest (issue 11, items 3 and 5)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulator.cli.entry import main
from simulator.scenario.errors import ScenarioError
from simulator.scenario.sweep_spec import parse_baseline
from simulator.sweeps.differences import ci_width_ratio, paired_differences
from simulator.sweeps.plan import prepare
from simulator.sweeps.runner import SweepInterrupted, read_sweep, sweep
from simulator.sweeps.store import points_table

from .conftest import write

# No relays, no fatigue: follower audiences differ a lot between replicate worlds (sigma 0.8), and
# replicate k has the same world at every p0 (common random numbers), so the paired difference of
# reach removes the between-world variance that dominates the unpaired interval.
ORGANIC = """
name: tiny_organic
topology:
  preset: organic
  params: {accounts: 4, followers: {median: 1500, sigma: 0.8}}
population: {size: 6000}
graph: {mean_followees: 20}  # subcritical at every swept p0: reach is not saturated
fatigue: {enabled: false}
sweep:
  parameters:
    behaviour.p0: [0.002, 0.006, 0.02]
  replicates: 8
  seed: 3
"""

HANDLES = """
name: handles
seed: 2
population: {size: 4000}
accounts:
  - {id: official, handle: 官方号, kind: official, followers: 1500}
  - {id: city, kind: regional, count: 3, followers: 300}
  - {id: boss, handle: CEO, kind: executive, followers: 200}
relays:
  - {source: official, target: city, probability: 0.5}
  - {source: official, target: boss, probability: 0.3}
campaign:
  - {account: official, at: 0}
sweep:
  parameters:
    relays.1.probability: [0.1, 0.9]
    relays.0.probability: [0.2, 0.8]
    behaviour.p0: {values: [0.002, 0.004]}
    fatigue.kappa: {values: [0.01, 0.02], label: Kappa (ours), label_zh: 我们的 kappa}
"""


def _runs(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {"run_id": [f"r{i}" for i in range(n)], "seed": 0, "error": None, "duration_s": 0.0}
    df = pd.DataFrame({**base, **cols})
    return df[["run_id", *[c for c in cols if c not in ("m", "k")], "seed", "error", "duration_s", "m", "k"]]


def test_ci_math_against_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    base = rng.normal(100, 10, size=7)
    point = base + rng.normal(3, 2, size=7)
    point[2] = np.nan  # undefined at the point: pair 2 dropped
    status = ["ok"] * 7 + ["ok"] * 6 + ["failed"]  # the point's replicate 6 failed: pair 6 dropped
    runs = _runs(
        x=[1] * 7 + [2] * 7,
        replicate=list(range(7)) * 2,
        status=status,
        m=list(base) + list(point[:6]) + [np.nan],
        k=[5.0] * 14,  # constant metric: every difference 0
    )
    diff = paired_differences(runs, ["x"], {"x": 1})
    assert list(diff["metric"]) == ["m", "k"] and (diff["x"] == 2).all()
    row = diff.iloc[0]
    keep = [0, 1, 3, 4, 5]
    x, y = point[keep], base[keep]
    assert row["n_pairs"] == 5
    assert row["baseline_mean"] == pytest.approx(y.mean()) and row["point_mean"] == pytest.approx(x.mean())
    assert row["diff_mean"] == pytest.approx((x - y).mean())
    assert row["diff_se"] == pytest.approx(stats.sem(x - y))
    lo, hi = stats.t.interval(0.95, 4, loc=(x - y).mean(), scale=stats.sem(x - y))
    assert (row["diff_ci_low"], row["diff_ci_high"]) == pytest.approx((lo, hi))
    assert row["p_value"] == pytest.approx(stats.ttest_rel(x, y).pvalue)
    assert row["significant"] == (lo > 0 or hi < 0)
    assert row["rel_diff"] == pytest.approx((x - y).mean() / y.mean())
    welch = stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.95)
    assert (row["unpaired_ci_low"], row["unpaired_ci_high"]) == pytest.approx((welch.low, welch.high))
    k = diff.iloc[1]  # all differences 0
    assert (k["n_pairs"], k["diff_mean"], k["diff_ci_low"], k["diff_ci_high"]) == (6, 0, 0, 0)
    assert k["p_value"] == 1.0 and not k["significant"] and k["rel_diff"] == 0
    # ratio of paired to unpaired width; undefined (None) when neither has any spread
    ratio = ci_width_ratio(diff)
    assert ratio["m"] == pytest.approx((hi - lo) / (welch.high - welch.low), rel=1e-5)
    assert ratio["k"] is None


def test_small_samples_and_constant_shifts():
    runs = _runs(
        x=["a", "a", "b", "b", "c", "c"],
        replicate=[0, 1, 0, 1, 0, 1],
        status=["ok", "ok", "ok", "failed", "ok", "ok"],
        m=[1.0, 2.0, 4.0, np.nan, 3.0, 4.0],
        k=[0.0, 0.0, 1.0, 1.0, 2.0, 2.0],
    )
    diff = paired_differences(runs, ["x"], {"x": "a"}).set_index(["x", "metric"])
    one = diff.loc[("b", "m")]  # one pair: a mean difference, no interval, no test
    assert one["n_pairs"] == 1 and one["diff_mean"] == 3 and math.isnan(one["diff_ci_low"])
    assert math.isnan(one["p_value"]) and not one["significant"]
    shift = diff.loc[("c", "m")]  # +2 in both replicates: zero spread, certain
    assert (shift["diff_ci_low"], shift["diff_ci_high"], shift["p_value"]) == (2, 2, 0.0) and shift["significant"]
    assert math.isnan(diff.loc[("c", "k"), "rel_diff"])  # baseline mean 0
    assert paired_differences(runs, [], {}).empty
    with pytest.raises(ValueError, match="not swept parameters"):
        paired_differences(runs, ["x"], {"y": 1})


def test_grid_partner_is_the_same_point_at_the_baseline_value(tmp_path):
    f = write(tmp_path, ORGANIC.replace("replicates: 8", "replicates: 3"))
    res = sweep(f, {"fatigue.kappa": [0.01, 0.05]}, baseline={"fatigue.kappa": 0.05}, progress=False)
    assert res.baseline == {"fatigue.kappa": 0.05}
    d = res.differences
    assert set(d["fatigue.kappa"]) == {0.01} and list(d["behaviour.p0"].unique()) == [0.002, 0.006, 0.02]
    ok = res.runs.set_index(["behaviour.p0", "fatigue.kappa", "replicate"])["reach"].astype(float)
    for p0 in (0.002, 0.006, 0.02):
        row = d[(d["behaviour.p0"] == p0) & (d["metric"] == "reach")].iloc[0]
        assert row["baseline_mean"] == pytest.approx(ok.loc[(p0, 0.05)].mean())
        assert row["point_mean"] == pytest.approx(ok.loc[(p0, 0.01)].mean())


def test_paired_interval_is_tighter_on_a_crn_sweep(tmp_path):
    res = sweep(write(tmp_path, ORGANIC), progress=False)
    assert res.baseline == {"behaviour.p0": 0.002}
    reach = res.differences[res.differences["metric"] == "reach"]
    assert list(reach["behaviour.p0"]) == [0.006, 0.02] and (reach["n_pairs"] == 8).all()
    paired = reach["diff_ci_high"] - reach["diff_ci_low"]
    unpaired = reach["unpaired_ci_high"] - reach["unpaired_ci_low"]
    assert (paired < unpaired).all()
    ratio = res.manifest["differences"]["ci_width_ratio"]["reach"]
    assert ratio == pytest.approx(float((paired / unpaired).median()), rel=1e-5) and ratio < 1
    # the same world at every p0: the direct reach does not change, so its difference is exactly 0
    direct = res.differences[res.differences["metric"] == "direct_reach"]
    assert (direct["diff_mean"] == 0).all() and (direct["p_value"] == 1.0).all() and not direct["significant"].any()
    assert res.manifest["differences"]["confidence"] == 0.95


def test_identical_points_differ_by_zero(tmp_path):
    f = write(tmp_path, ORGANIC.replace("replicates: 8", "replicates: 3"))
    res = sweep(f, {"description": ["one", "two"]}, baseline={"description": "one"}, progress=False)  # never read
    d = res.differences
    defined = d[d["n_pairs"] >= 2]
    assert len(defined) > 20 and set(d["metric"]) >= {"reach", "exits", "follower_reposts"}
    assert (defined["diff_mean"] == 0).all() and (defined["diff_ci_low"] == 0).all()
    assert (defined["p_value"] == 1.0).all() and not d["significant"].any()


def test_baseline_is_validated_up_front(tmp_path, capsys):
    f = write(tmp_path, ORGANIC)
    with pytest.raises(ScenarioError, match=r"--baseline: behaviour\.p0: 0\.5 is not one of its values"):
        prepare(f, baseline={"behaviour.p0": 0.5})
    with pytest.raises(ScenarioError, match=r"--baseline: fatigue\.kappa: not a swept parameter"):
        prepare(f, baseline={"fatigue.kappa": 1})
    assert prepare(f, baseline=parse_baseline(["behaviour.p0=0.02"])).baseline == {"behaviour.p0": 0.02}
    out = tmp_path / "out"
    assert main(["sweep", str(f), "-o", str(out), "--baseline", "behaviour.p0=7", "-q"]) == 1
    assert "--baseline: behaviour.p0: 7 is not one of its values (0.002, 0.006, 0.02)" in capsys.readouterr().err
    assert not out.exists()
    assert main(["sweep", str(f), "--baseline", "behaviour.p0", "--dry-run"]) == 1
    assert main(["sweep", str(f), "--baseline", "behaviour.p0=0.006", "--dry-run"]) == 0
    assert "differences against: behaviour.p0=0.006" in capsys.readouterr().out


def test_zip_baseline_is_one_point(tmp_path):
    f = write(tmp_path, ORGANIC.replace("replicates: 8", "replicates: 2"))
    params = {"fatigue.kappa": [0.01, 0.02, 0.03]}
    plan = prepare(f, params, mode="zip", baseline={"fatigue.kappa": 0.02})
    assert plan.baseline == {"behaviour.p0": 0.006, "fatigue.kappa": 0.02}
    res = sweep(f, params, mode="zip", baseline={"fatigue.kappa": 0.02}, progress=False)
    assert sorted(res.differences["fatigue.kappa"].unique()) == [0.01, 0.03]


def test_points_intervals_stay_in_the_feasible_range():
    runs = _runs(
        replicate=[0, 1, 2],
        status="ok",
        m=[1.0, 2.0, 3.0],
        k=[1.0, 2.0, 3.0],
    ).rename(columns={"m": "reach", "k": "reach_share"})
    runs["population"] = 100
    runs["reach"] = [2.0, 60.0, 98.0]  # mean 53.3, sd 48: the raw t interval spans about -66..173
    runs["reach_share"] = runs["reach"] / 100
    pts = points_table(runs, [], [[]], {f"r{i}": 0 for i in range(3)})
    assert (pts["reach_ci_low"][0], pts["reach_ci_high"][0]) == (0, 100)
    assert (pts["reach_share_ci_low"][0], pts["reach_share_ci_high"][0]) == (0, 1)
    assert pts["reach_mean"][0] == pytest.approx(160 / 3)


def test_labels_and_plausible_ranges_in_the_manifest(tmp_path):
    plan = prepare(write(tmp_path, HANDLES))
    labels = plan.metadata["parameter_labels"]
    assert labels["relays.0.probability"] == {
        "en": "官方号 → city relay probability",
        "zh": "官方号 → city 接力转发概率",
    }
    assert labels["relays.1.probability"]["en"] == "官方号 → CEO relay probability"
    assert labels["behaviour.p0"] == {"en": "Repost probability p0", "zh": "转发概率 p0"}
    assert labels["fatigue.kappa"] == {"en": "Kappa (ours)", "zh": "我们的 kappa"}
    assert plan.metadata["plausible"]["profile"] == "weibo"
    lo, hi = plan.metadata["plausible"]["ranges"]["behaviour.p0"]
    assert 0 < lo < hi < 1 and list(plan.metadata["plausible"]["ranges"]) == ["behaviour.p0"]
    topo = prepare({"name": "t", "topology": "hub"}, {"topology": ["hub", "dandelion"]}, scale=0.01)
    assert topo.metadata["parameter_labels"]["topology"] == {"en": "Matrix", "zh": "矩阵结构"}
    assert topo.metadata["plausible"]["ranges"] == {}
    # labels are not part of the sweep's identity: relabelling does not block a resume
    assert plan.fingerprint == prepare(write(tmp_path, HANDLES.replace("Kappa (ours)", "k"), "b.yaml")).fingerprint


def test_label_errors_point_at_the_file(tmp_path):
    f = write(tmp_path, ORGANIC.replace("[0.002, 0.006, 0.02]", "{values: [0.002], label: 3}"))
    line = next(i for i, t in enumerate(f.read_text().splitlines(), 1) if "behaviour.p0:" in t)
    with pytest.raises(ScenarioError) as e:
        prepare(f)
    assert f"scenario.yaml:{line}:5: sweep.parameters.behaviour.p0: label: expected a non-empty text" in str(e.value)


def test_resume_gives_identical_differences(tmp_path):
    f = write(tmp_path, ORGANIC.replace("replicates: 8", "replicates: 4"))
    full = sweep(f, output=tmp_path / "full", progress=False, batch_size=2)
    calls = []

    def stop_after_two(progress):
        calls.append(progress)
        if len(calls) == 2:
            raise KeyboardInterrupt

    out = tmp_path / "cut"
    with pytest.raises(SweepInterrupted):
        sweep(f, output=out, progress=False, batch_size=2, callback=stop_after_two)
    resumed = sweep(f, output=out, progress=False, batch_size=2)
    pd.testing.assert_frame_equal(full.differences, resumed.differences)
    assert full.manifest["differences"] == resumed.manifest["differences"]
    again = read_sweep(out)  # and as read back from disk (csv too)
    pd.testing.assert_frame_equal(again.differences, full.differences)
    csv = sweep(f, output=tmp_path / "csv", progress=False, format="csv")
    pd.testing.assert_frame_equal(csv.differences, full.differences, check_dtype=False)
    assert csv.differences["significant"].dtype == bool
