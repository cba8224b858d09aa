"""Sweeps: declaration, seeds (common random numbers), determinism across executors, resume,
failures, confidence intervals (issue #3)."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from simulator.cli.entry import main
from simulator.scenario.errors import ScenarioError
from simulator.scenario.sweep_spec import parse_set, parse_values, replicate_seed, run_id
from simulator.sweeps.plan import prepare
from simulator.sweeps.runner import SweepInterrupted, read_sweep, sweep
from simulator.sweeps.store import SweepError, points_table, t_quantile

from .conftest import ROOT, write

TINY = """
name: tiny_hub
seed: 5
topology:
  preset: hub
  params: {official_followers: 3000, regional: 5, regional_followers: {median: 800, sigma: 0.5}}
population: {size: 8000}
sweep:
  parameters:
    behaviour.p0: [0.002, 0.01]
    topology.params.relay_probability: [0.3, 0.9]
  replicates: 3
  seed: 11
"""

# No relays, no fatigue: direct reach depends on the world (audiences) only.
ORGANIC = """
name: tiny_organic
topology:
  preset: organic
  params: {accounts: 4, followers: {median: 1500, sigma: 0.8}}
population: {size: 6000}
fatigue: {enabled: false}
sweep:
  parameters:
    behaviour.p0: [0.001, 0.01, 0.05]
  replicates: 4
"""


@pytest.fixture
def tiny(tmp_path):
    return write(tmp_path, TINY, "tiny.yaml")


def same_tables(a, b) -> None:
    """Every table equal, except the wall-clock duration of runs."""
    pd.testing.assert_frame_equal(a.runs.drop(columns="duration_s"), b.runs.drop(columns="duration_s"))
    for name in ("timeseries", "frequency", "points", "differences"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.manifest["differences"] == b.manifest["differences"]


# --- declaring a sweep ------------------------------------------------------------------------------


def test_value_specs():
    assert parse_values([0.001, 0.002]) == [0.001, 0.002]
    assert parse_values({"linear": [0, 1, 5]}) == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert parse_values({"linear": [10, 50, 5]}) == [10, 20, 30, 40, 50]  # integer endpoints: ints
    assert parse_values({"log": [1e-3, 1e-1, 3]}) == [0.001, 0.01, 0.1]
    assert parse_values("log:1e-3:1e-1:3") == [0.001, 0.01, 0.1]
    assert parse_values(0.5) == [0.5]
    assert parse_values({"values": ["hub", "dandelion"]}) == ["hub", "dandelion"]
    assert parse_set("behaviour.p0=0.001,0.002") == ("behaviour.p0", [0.001, 0.002])
    assert parse_set("topology=hub, dandelion") == ("topology", ["hub", "dandelion"])
    assert parse_set("fatigue.kappa=log:1e-3:1e-1:3") == ("fatigue.kappa", [0.001, 0.01, 0.1])
    assert parse_set("x.y=lin:0:1:3") == ("x.y", [0.0, 0.5, 1.0])
    assert parse_set("topology.params.regional_followers={median: 800, sigma: 0.5},{median: 900}") == (
        "topology.params.regional_followers",
        [{"median": 800, "sigma": 0.5}, {"median": 900}],
    )
    assert parse_set("topology.params.sub_brands=[a,b]") == ("topology.params.sub_brands", [["a", "b"]])
    for bad, msg in [
        ({"log": [0, 1, 3]}, "must be > 0"),
        ({"linear": [0, 1]}, "start, stop"),
        ({"linear": [0, 1, 0]}, "from 1 to"),
        ([1, 1], "listed twice"),
        ([], "no values"),
        ({"median": 5}, "list the mappings"),
    ]:
        with pytest.raises(ValueError, match=msg):
            parse_values(bad)
    with pytest.raises(ValueError, match="seed cannot be swept"):
        parse_set("seed=1,2")


def test_sweep_section_errors_point_at_file_lines(tmp_path):
    f = write(
        tmp_path,
        """
        name: x
        topology: hub
        sweep:
          parameters:
            behaviour.p0: {log: [0, 0.1, 3]}
            fatigue.kappa: [1, 2]
          replicate: 3
        """,
    )
    with pytest.raises(ScenarioError) as e:
        prepare(f)
    lines = str(e.value).splitlines()
    assert f"{f}:5:5: sweep.parameters.behaviour.p0: log range: start and stop must be > 0, got 0 and 0.1" in lines
    assert any(
        line.startswith(f"{f}:7:3: sweep.replicate: unknown field 'replicate'; expected one of: parameters, mode")
        for line in lines
    )


def test_every_point_is_validated_before_any_run(tmp_path):
    f = write(tmp_path, TINY.replace("[0.002, 0.01]", "[0.002, 1.5]"), "bad.yaml")
    out = tmp_path / "out"
    with pytest.raises(ScenarioError) as e:
        sweep(f, output=out, progress=False)
    msg = str(e.value)
    assert f"{f}:9:5: behaviour.p0: Input should be less than or equal to 1" in msg
    assert "(at sweep point behaviour.p0=1.5, topology.params.relay_probability=0.3)" in msg
    assert not out.exists()  # nothing ran, nothing written
    assert main(["sweep", str(f), "-o", str(out), "--dry-run"]) == 1


def test_dry_run_and_cli_set(tiny, capsys):
    assert main(["sweep", str(tiny), "--set", "behaviour.p0=lin:0.001:0.003:3", "--replicates", "2", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "6 points x 2 replicates = 12 runs" in out and "behaviour.p0: 0.001, 0.002, 0.003" in out
    assert main(["sweep", str(tiny), "--set", "behaviour.p0=log:0:1:3", "--dry-run"]) == 1
    assert "--set: behaviour.p0: log range: start and stop must be > 0" in capsys.readouterr().err


# --- seeds and common random numbers ------------------------------------------------------------------


def test_seeds_derive_from_root_and_replicate_only(tiny, tmp_path):
    small = sweep(tiny, {"behaviour.p0": [0.01]}, replicates=2, progress=False)
    big = sweep(tiny, {"behaviour.p0": [0.004, 0.01]}, replicates=3, progress=False)
    assert [replicate_seed(11, k) for k in range(3)] == sorted(set(big.runs["seed"]), key=list(big.runs["seed"]).index)
    # the same (point, replicate) is the same run, whatever else the sweep contains
    cols = [c for c in small.runs.columns if c != "duration_s"]
    common = big.runs[big.runs["run_id"].isin(small.runs["run_id"])][cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(small.runs[cols], common)
    assert run_id(["a"], [1], 0) == run_id(["a"], [1], 0) != run_id(["a"], [1], 1)


def test_common_random_numbers_same_world_across_p(tmp_path):
    f = write(tmp_path, ORGANIC, "organic.yaml")
    res = sweep(f, progress=False)
    runs = res.runs
    assert (runs["status"] == "ok").all() and len(runs) == 12
    by_rep = runs.groupby("replicate")
    # replicate k: one seed and one world (same audiences -> same direct reach) at every p ...
    assert (by_rep["seed"].nunique() == 1).all()
    assert (by_rep["direct_reach"].nunique() == 1).all()
    assert (by_rep["reach"].nunique() > 1).any()  # ... while p still changes the outcome
    # ... and different replicates are different worlds
    assert runs.groupby("behaviour.p0")["direct_reach"].nunique().min() == 4


def test_world_cache_is_bit_identical(tiny):
    plan = prepare(tiny)
    assert len(set(plan.world_groups)) == 1  # p and relay probability do not change the world
    a = sweep(tiny, progress=False, cache_worlds=True)
    b = sweep(tiny, progress=False, cache_worlds=False, batch_size=1)
    same_tables(a, b)
    c = sweep(tiny, progress=False, format="csv")  # CSV tables hold the same values
    pd.testing.assert_frame_equal(a.points, c.points)
    pd.testing.assert_frame_equal(
        a.runs.drop(columns=["duration_s", "error", "traceback"]),
        c.runs.drop(columns=["duration_s", "error", "traceback"]),
        check_dtype=False,
    )


# --- executors --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_one_vs_two_workers_identical_with_notebook_function(tiny):
    threshold = 0.005  # a closure: plain pickle cannot send it to a process pool, cloudpickle can

    def extra(result):
        return {"relay_count": len(result.relays), "p_high": int(result.summary["reach"] > threshold)}

    one = sweep(tiny, progress=False, metrics=extra)
    two = sweep(tiny, progress=False, metrics=extra, workers=2)
    same_tables(one, two)
    assert (one.runs["status"] == "ok").all()
    assert "relay_count" in one.runs.columns and "relay_count_mean" in one.points.columns
    assert (one.runs["relay_count"] == one.runs["account_relays"]).all()


@pytest.mark.slow
def test_dask_local_cluster_identical(tiny):
    pytest.importorskip("distributed")
    one = sweep(tiny, progress=False)
    dask = sweep(tiny, progress=False, workers=2, cluster="local")
    same_tables(one, dask)
    assert "dask LocalCluster" in dask.manifest["backend"]


# --- faults and resume --------------------------------------------------------------------------------


def fail_on_high_p(result):
    """Raises in one run (p0 = 0.01, relay probability 0.9, replicate 1): after the model ran."""
    if result.summary["seed"] == replicate_seed(11, 1):
        sc = result.meta["scenario"]
        if sc["behaviour"]["p0"] == 0.01 and sc["relays"][0]["probability"] == 0.9:
            raise RuntimeError("deliberate failure")
    return {}


def test_failing_run_is_recorded_and_the_rest_complete(tiny, tmp_path):
    out = tmp_path / "out"
    res = sweep(tiny, output=out, progress=False, metrics=fail_on_high_p, workers=2)
    failed = res.failed
    assert len(failed) == 1 and len(res.runs) == 12
    row = failed.iloc[0]
    assert row["error"] == "RuntimeError: deliberate failure"
    assert "Traceback" in row["traceback"] and "fail_on_high_p" in row["traceback"]
    assert (row["behaviour.p0"], row["topology.params.relay_probability"], row["replicate"]) == (0.01, 0.9, 1)
    assert pd.isna(row["reach"])
    assert res.runs["reach"].notna().sum() == 11
    assert str(res.runs["reach"].dtype) == "Int64"  # integers despite the failed row
    assert list(res.points["n"]) == [3, 3, 3, 2]
    assert res.manifest["status"] == "complete_with_failures"
    assert res.timeseries["run_id"].nunique() == 11


def test_cli_exit_code_3_when_runs_fail(tiny, tmp_path, monkeypatch, capsys):
    import simulator.results.collect as ex

    real = ex.simulate

    def flaky(loaded, world=None):
        if loaded.scenario.behaviour.p0 == 0.01:
            raise ValueError("model blew up")
        return real(loaded, world)

    monkeypatch.setattr(ex, "simulate", flaky)
    out = tmp_path / "out"
    assert main(["sweep", str(tiny), "-o", str(out), "-q"]) == 3
    err = capsys.readouterr().err
    assert "6 runs ok, 6 failed" in err and "ValueError: model blew up" in err
    # failed runs run again on resume; once the cause is gone the sweep completes
    monkeypatch.setattr(ex, "simulate", real)
    assert main(["sweep", str(tiny), "-o", str(out), "-q"]) == 0
    assert (read_sweep(out).runs["status"] == "ok").all()


def test_interrupt_and_resume_equals_uninterrupted(tiny, tmp_path):
    full = sweep(tiny, output=tmp_path / "full", progress=False, batch_size=2)
    out = tmp_path / "cut"
    calls = []

    def ctrl_c_after_two_tasks(progress):
        calls.append(progress.done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with pytest.raises(SweepInterrupted) as e:
        sweep(tiny, output=out, progress=False, batch_size=2, callback=ctrl_c_after_two_tasks)
    assert e.value.done == 4 and e.value.total == 12
    partial = read_sweep(out)
    assert partial.manifest["status"] == "interrupted" and len(partial.runs) == 4
    resumed_ids = []
    resumed = sweep(tiny, output=out, progress=False, batch_size=2, callback=lambda p: resumed_ids.append(p.task))
    assert len(resumed_ids) == 4  # only the 4 unfinished tasks ran
    assert resumed.manifest["status"] == "complete"
    same_tables(full, resumed)


@pytest.mark.slow
def test_cli_sigint_then_resume_equals_uninterrupted(tmp_path):
    text = TINY.replace("replicates: 3", "replicates: 6").replace("size: 8000", "size: 20000")
    f = write(tmp_path, text, "many.yaml")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "simulator.cli",
        "sweep",
        str(f),
        "-o",
        str(out),
        "--workers",
        "2",
        "--batch-size",
        "1",
        "-q",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    parts = out / "parts"
    while time.monotonic() < deadline and proc.poll() is None:
        if parts.is_dir() and len(list(parts.glob("task-*.json"))) >= 3:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err
    kept = len(read_sweep(out).runs)
    assert 3 <= kept < 24
    resume = [c if c != "2" else "1" for c in cmd]  # resume in-process: the same tables either way
    again = subprocess.run(resume, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    full = sweep(f, progress=False)
    same_tables(full, read_sweep(out))


def test_resume_with_changed_scenario_or_sweep_is_refused(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    sweep(tiny, output=out, progress=False, replicates=2)
    with pytest.raises(SweepError, match=r"holds a different sweep \(sweep replicates 2 -> 3\)"):
        sweep(tiny, output=out, progress=False)
    tiny.write_text(tiny.read_text().replace("size: 8000", "size: 9000"), encoding="utf-8")
    assert main(["sweep", str(tiny), "-o", str(out), "--replicates", "2", "-q"]) == 1
    assert "holds a different sweep (the scenario changed); refusing to resume" in capsys.readouterr().err
    stale = out / "parts" / "runs-000099.parquet"
    stale.write_bytes(b"old")
    assert main(["sweep", str(tiny), "-o", str(out), "--replicates", "2", "-q", "--no-resume"]) == 0
    assert not stale.exists()
    assert (read_sweep(out).runs["population"] == 9000).all()


# --- statistics --------------------------------------------------------------------------------------


def test_confidence_intervals_known_case():
    np.testing.assert_allclose(
        t_quantile(np.array([1, 2, 4, 9, 29])), [12.706205, 4.302653, 2.776445, 2.262157, 2.045230], rtol=1e-6
    )
    runs = pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(9)],
            "x": [1, 1, 1, 1, 1, 1, 2, 2, 2],
            "replicate": [0, 1, 2, 3, 4, 5, 0, 1, 2],
            "seed": 0,
            "status": ["ok"] * 5 + ["failed", "ok", "ok", "ok"],
            "error": None,
            "duration_s": 0.1,
            "reach": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan, 7.0, np.nan, np.nan],
            "t90_h": [2.0, 2.0, 2.0, 2.0, 2.0, np.nan, 1.0, 3.0, np.nan],
            "traceback": None,
        }
    )
    pts = points_table(runs, ["x"], [[1], [2]], {f"r{i}": int(i >= 6) for i in range(9)})
    a, b = pts.iloc[0], pts.iloc[1]
    assert list(pts["n"]) == [5, 3]  # the failed run is left out
    sd = math.sqrt(2.5)  # values 1..5
    half = 2.776445 * sd / math.sqrt(5)
    assert a["reach_mean"] == 3 and a["reach_sd"] == pytest.approx(sd)
    assert (a["reach_ci_low"], a["reach_ci_high"]) == pytest.approx((3 - half, 3 + half), rel=1e-6)
    assert (a["t90_h_sd"], a["t90_h_ci_low"], a["t90_h_ci_high"]) == (0, 2, 2)  # no spread: zero width
    # one defined value: a mean but no interval; two: t with 1 degree of freedom
    assert b["reach_mean"] == 7 and math.isnan(b["reach_sd"]) and math.isnan(b["reach_ci_low"])
    assert b["t90_h_mean"] == 2 and b["t90_h_ci_high"] == pytest.approx(2 + 12.706205 * math.sqrt(2) / math.sqrt(2))
    stats = pytest.importorskip("scipy.stats")
    x = np.random.default_rng(0).normal(size=7)
    lo, hi = stats.t.interval(0.95, 6, loc=x.mean(), scale=stats.sem(x))
    got = points_table(
        pd.DataFrame(
            {
                "run_id": list("abcdefg"),
                "replicate": range(7),
                "seed": 0,
                "status": "ok",
                "error": None,
                "duration_s": 0.0,
                "m": x,
                "traceback": None,
            }
        ),
        [],
        [[]],
        {k: 0 for k in "abcdefg"},
    ).iloc[0]
    assert (got["m_ci_low"], got["m_ci_high"]) == pytest.approx((lo, hi))


# --- other shapes -------------------------------------------------------------------------------------


def test_topology_sweep_zip_mode_from_a_mapping():
    doc = {"name": "topo", "topology": "hub", "population": {"size": 300000}}
    res = sweep(
        doc,
        {"topology": ["hub", "centralized"], "behaviour.p0": [0.002, 0.004]},
        mode="zip",
        replicates=2,
        scale=0.02,
        progress=False,
    )
    assert list(res.points["topology"]) == ["hub", "centralized"]
    assert list(res.points["behaviour.p0"]) == [0.002, 0.004]
    assert (res.runs["status"] == "ok").all()
    assert res.runs.groupby("topology")["accounts"].first().to_dict() == {"centralized": 6, "hub": 31}


@pytest.mark.slow
def test_a_killed_worker_is_retried_and_the_sweep_completes(tiny, tmp_path):
    marker = tmp_path / "killed-once"

    def kill_once(result):  # the worker process dies (as if out of memory), only the first time
        if result.summary["seed"] == replicate_seed(11, 1) and not marker.exists():
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return {}

    out = tmp_path / "out"
    first = sweep(tiny, output=out, progress=False, workers=2, metrics=kill_once, batch_size=2)
    assert marker.exists()
    assert (first.runs["status"] == "ok").all() and first.manifest["progress"]["lost"] == 0
    same_tables(sweep(tiny, progress=False, batch_size=2), first)


def kill_replicate_2(result):
    """The worker process dies whenever it runs replicate 2 (as if that world did not fit in memory)."""
    if result.summary["seed"] == replicate_seed(11, 2):
        os.kill(os.getpid(), signal.SIGKILL)
    return {}


@pytest.mark.slow
def test_a_task_that_always_kills_its_worker_is_lost_after_retries(tiny, tmp_path, monkeypatch, capsys):
    from simulator.sweeps import runner
    from simulator.sweeps.dispatch import MAX_LOST_RETRIES

    out = tmp_path / "out"
    res = sweep(tiny, output=out, progress=False, workers=2, metrics=kill_replicate_2, batch_size=4)
    lost = res.runs[res.runs["replicate"] == 2]
    assert len(lost) == 4 and (lost["status"] == "failed").all()
    assert (
        lost["error"]
        .str.startswith(f"WorkerLost: the worker process running this task died {MAX_LOST_RETRIES + 1} times")
        .all()
    )
    # the tasks that shared the broken pool with it were retried alone and completed
    assert (res.runs[res.runs["replicate"] != 2]["status"] == "ok").all()
    assert res.manifest["progress"]["lost"] == 4 and res.manifest["status"] == "complete_with_failures"
    assert "retrying its tasks one at a time" in capsys.readouterr().err
    # the CLI reports it with its own exit code (4), distinct from failed runs (3) and bad input (1)
    monkeypatch.setattr(runner, "run_plan", lambda *a, **k: read_sweep(out).manifest)
    assert main(["sweep", str(tiny), "-o", str(out), "-q"]) == 4
    assert "4 runs lost their worker process on every try" in capsys.readouterr().err

    def give_up(*a, **k):
        raise runner.WorkersLost("the workers stopped (BrokenProcessPool): 3 runs were not run")

    monkeypatch.setattr(runner, "run_plan", give_up)
    assert main(["sweep", str(tiny), "-o", str(out), "-q"]) == 4
    assert "3 runs were not run" in capsys.readouterr().err


def test_replicates_only_sweep_has_one_point(tmp_path):
    f = write(tmp_path, TINY.split("sweep:")[0], "plain.yaml")
    res = sweep(f, replicates=3, progress=False)
    assert len(res.runs) == 3 and res.runs["seed"].nunique() == 3
    assert list(res.points.columns[:2]) == ["n", "population_mean"] and res.points["n"].tolist() == [3]
