"""The IC benchmark's 10k smoke run, for correctness only (timings are printed, never asserted).

Runs the documented command in a subprocess, as CI would: ``python -m benchmarks.ic --size 10k``.
It fails if propsim and cynetdiff disagree (mean final sizes beyond 3 standard errors, any
difference on shared edge uniforms, a reach curve that differs from step-by-step runs), if the
three propsim entry points (public function, Cascader.run, run_many) disagree on the same random
numbers, or if the results file cannot be rendered back into the report.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # statistical / subprocess tests: full suite only (CI)

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(300)
def test_ic_benchmark_smoke_is_correct(tmp_path):
    pytest.importorskip("cynetdiff")
    cmd = [sys.executable, "-m", "benchmarks.ic", "--size", "10k", "--rounds", "2", "--curve-rounds", "2"]
    proc = subprocess.run([*cmd, "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=280)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "ic-10k.json").read_text())
    failed = [c for c in report["checks"] if not c["passed"]]
    assert not failed, failed
    rows = {(r["graph"], r["row"]) for r in report["rows"]}
    assert {("heavy", "0.1"), ("heavy", "0.01 tiny"), ("poisson", "0.05")} <= rows
    names = " ".join(c["name"] for c in report["checks"])
    for expected in ("public == run == batched", "shared uniforms p=0.1", "poisson shared uniforms", "curve =="):
        assert expected in names
    assert all(c["identical"] for c in report["curve"])
    for row in report["rows"]:  # every cell has its samples: rounds x cascades, and a spread
        assert row["rounds"] == 2 and row["cascades_per_round"] >= 1
        for impl in ("public", "run", "batched", "cynetdiff"):
            cell = row["cpu_per_cascade_s"][impl]
            assert cell["n"] == 2 and 0 < cell["min"] <= cell["median"] <= cell["max"]
    assert report["load"]["start"] and 0 < report["load"]["cpu_share"] <= 1.05
    # the markdown written beside the JSON is what benchmarks.report renders from the JSON
    rendered = subprocess.run(
        [sys.executable, "-m", "benchmarks.report", str(tmp_path / "ic-10k.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.strip() == (tmp_path / "ic-10k.md").read_text().strip()
    assert "| heavy   | 0.1 " in rendered.stdout and "IC one tiny cascade per call" in rendered.stdout


@pytest.mark.timeout(900)
def test_model_benchmark_smoke_is_correct(tmp_path):
    """``benchmarks.model --size 10k``: every section runs and its correctness checks pass (the two worlds
    give identical heavy-campaign summaries, ``propsim run`` equals the in-process run, the tiny commands
    succeed, the sweep finishes every run); the markdown is what ``--render`` makes of the JSON."""
    cmd = [sys.executable, "-m", "benchmarks.model", "--size", "10k", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=880)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "model-10k.json").read_text())
    failed = [c for c in report["checks"] if not c["passed"]]
    assert not failed, failed
    names = " ".join(c["name"] for c in report["checks"])
    for expected in ("explicit world == implicit world", "`propsim run` summary == in-process run", "sweep at 10k"):
        assert expected in names, names
    assert set(report["sections"]) == {"build", "heavy", "cli", "startup", "rss", "sweep"}
    for t in report["targets"]:  # every target row carries a measured value (met or not: never asserted)
        assert t["value"] is not None and t["value"] > 0, t
    heavy = report["sections"]["heavy"]["auto"]
    assert heavy["run_cpu_s"]["n"] == 1 and heavy["deliveries"][0] > 0
    rendered = subprocess.run(
        [sys.executable, "-m", "benchmarks.model", "--render", str(tmp_path / "model-10k.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout.strip() == (tmp_path / "model-10k.md").read_text().strip()
    assert "heavy campaign run phase" in rendered.stdout and "deliveries / CPU s" in rendered.stdout


@pytest.mark.timeout(600)
def test_platform_benchmark_smoke_is_correct(tmp_path):
    """``benchmarks.platform --scale 0.001``: the platform case study at 1/1000 of its size (a 580k-person
    implicit world, the full 30-day campaign) runs, publishes every original and passes its checks."""
    cmd = [sys.executable, "-m", "benchmarks.platform", "--scale", "0.001", "--populations", "580m"]
    proc = subprocess.run([*cmd, "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=580)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "platform-580k-scale0.001.json").read_text())
    assert report["checks"] and all(c["passed"] for c in report["checks"]), report["checks"]
    (row,) = report["rows"]
    assert row["failed"] is None and row["world"]["mode"] == "implicit" and row["population"] == 580_000
    assert len(row["timeseries"]["reach"]) == 31  # one sample a day over 30 days
