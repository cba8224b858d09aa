"""The ``ic`` sweep engine: whole reach-vs-p0 curves per replicate (simulator.sweeps.ic_engine)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.cli.entry import main
from simulator.scenario.errors import ScenarioError
from simulator.sweeps.runner import read_sweep, sweep

from .conftest import write

# One post, fatigue and churn off, r(x) = 1: reduces to plain IC. The horizon (200 h, latency 1 h)
# lets every cascade finish, so the ABM's reach at the horizon is the final size.
REDUCIBLE = """
name: ic_engine
seed: 3
time: {tick: 1, horizon: 200}
population: {size: 3000}
graph: {mean_followees: 8, tail_exponent: null, locality: 0.5}
accounts:
  - {id: brand, kind: official, followers: 300}
campaign:
  - {account: brand, at: 0, appeal: 1.0, topic: general}
behaviour: {p0: 0.06, alpha: 0, beta: 0, appeal_sigma: 0, latency: {median: 1, sigma: 0}}
fatigue: {enabled: false, churn_per_day: 0}
"""
P0S = [0.03, 0.08, 0.12]


def test_curve_equals_separate_ic_runs_and_agrees_with_the_abm(tmp_path):
    import simulator
    from simulator.engine import reduction
    from simulator.engine.model import PropagationModel
    from simulator.sweeps.ic_engine import curve_rng

    f = write(tmp_path, REDUCIBLE)
    reps = 30
    fast = sweep(f, {"behaviour.p0": P0S}, replicates=reps, engine="ic", progress=False)
    assert fast.manifest["sweep"]["engine"] == "ic"
    assert (fast.runs["status"] == "ok").all() and len(fast.runs) == reps * len(P0S)
    assert fast.runs["t50_h"].isna().all() and fast.runs["pending_at_horizon"].isna().all()
    assert (fast.runs["follower_reposts"] == fast.runs["repost_decisions"]).all()
    assert (fast.runs["second_level_reach"] == fast.runs["reach"] - fast.runs["direct_reach"]).all()

    # exact: every point equals a separate IC run on the same uniforms (replicates 0 and 7)
    for k in (0, 7):
        rows = fast.runs[fast.runs["replicate"] == k].sort_values("behaviour.p0")
        seed = int(rows["seed"].iloc[0])
        problem = reduction.reduce_model(PropagationModel(simulator.load_text(REDUCIBLE, seed=seed)))
        for p0, reach, reposts in zip(rows["behaviour.p0"], rows["reach"], rows["follower_reposts"]):
            single = problem.run(float(p0), rng=curve_rng(seed))
            assert (int(reach), int(reposts)) == (single.n_exposed, single.n_activated)

    # statistical: the ABM on the same replicate worlds; paired differences, |z| < 4
    abm = sweep(f, {"behaviour.p0": P0S[1:]}, replicates=reps, progress=False)
    assert (abm.runs["pending_at_horizon"] == 0).all()  # cascades finished: final sizes comparable
    for p0 in P0S[1:]:
        a = abm.runs[np.isclose(abm.runs["behaviour.p0"], p0)].set_index("replicate")
        b = fast.runs[np.isclose(fast.runs["behaviour.p0"], p0)].set_index("replicate")
        for m in ("reach", "follower_reposts"):
            d = (b[m] - a[m]).astype(float)
            z = d.mean() / (d.std(ddof=1) / math.sqrt(len(d)))
            assert abs(z) < 4, (p0, m, a[m].mean(), b[m].mean(), z)
        assert (a["direct_reach"] == b["direct_reach"]).all()  # same world, all followers reached


def test_batching_does_not_change_the_curve(tmp_path):
    f = write(tmp_path, REDUCIBLE)
    one = sweep(f, {"behaviour.p0": P0S}, replicates=2, engine="ic", progress=False)
    split = sweep(f, {"behaviour.p0": P0S}, replicates=2, engine="ic", batch_size=1, progress=False)
    cols = ["run_id", "reach", "follower_reposts"]
    assert one.runs[cols].equals(split.runs[cols])


@pytest.mark.parametrize(
    "change, expect",
    [
        ("fatigue: {enabled: false, churn_per_day: 0}|fatigue: {enabled: true, churn_per_day: 0}", "fatigue is on"),
        ("alpha: 0, beta: 0|alpha: 0.5, beta: 0", r"r\(x\) is not constant"),
        ("topic: general}|topic: general, promotional: true}", "promotional"),
    ],
)
def test_non_reducible_scenarios_are_refused_before_running(tmp_path, change, expect):
    old, new = change.split("|")
    text = REDUCIBLE.replace(old, new)
    assert text != REDUCIBLE
    f = write(tmp_path, text)
    out = tmp_path / "out"
    with pytest.raises(ScenarioError, match=expect) as e:
        sweep(f, {"behaviour.p0": P0S}, engine="ic", output=out, progress=False)
    assert "engine 'ic' cannot run this sweep" in str(e.value)
    assert not (out / "manifest.json").exists()  # nothing ran


def test_a_swept_parameter_that_breaks_the_reduction_names_the_point(tmp_path):
    f = write(tmp_path, REDUCIBLE)
    with pytest.raises(
        ScenarioError, match=r"churn is on \(.*\) \(at 3 of 6 sweep points, e\.g\. .*fatigue\.churn_per_day=0\.01"
    ):
        sweep(f, {"behaviour.p0": P0S, "fatigue.churn_per_day": [0, 0.01]}, engine="ic", progress=False)


def test_cli_runs_the_ic_engine_and_plot_draws_the_reach_chart(tmp_path, capsys):
    f = write(tmp_path, REDUCIBLE)
    out = tmp_path / "sw"
    code = main(
        [
            "sweep",
            str(f),
            "--engine",
            "ic",
            "--set",
            "behaviour.p0=lin:0.02:0.12:6",
            "--replicates",
            "3",
            "-o",
            str(out),
            "-q",
            "--format",
            "csv",
        ]
    )
    assert code == 0, capsys.readouterr().err
    res = read_sweep(out)
    assert res.manifest["sweep"]["engine"] == "ic" and len(res.runs) == 18 and res.timeseries.empty
    assert res.points["reach_mean"].is_monotonic_increasing
    plots = tmp_path / "plots"
    code = main(["plot", str(out), "-o", str(plots), "--kind", "reach", "--format", "png"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert sorted(p.name for p in plots.iterdir()) == ["01_reach.png"]

    bad = write(tmp_path, REDUCIBLE.replace("enabled: false", "enabled: true"), "bad.yaml")
    capsys.readouterr()
    assert main(["sweep", str(bad), "--engine", "ic", "-o", str(tmp_path / "bad")]) == 1
    err = capsys.readouterr().err
    assert "fatigue is on" in err and "Traceback" not in err
