"""The IC benchmark's 10k smoke run, for correctness only (timings are printed, never asserted).

Runs the documented command in a subprocess, as CI would: ``python -m benchmarks.ic --size 10k``.
It fails if propsim and cynetdiff disagree: mean final sizes beyond 3 standard errors, any
difference on shared edge uniforms, or a reach curve that differs from step-by-step runs.
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
    out = tmp_path / "ic10k.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.ic",
            "--size",
            "10k",
            "--rounds",
            "3",
            "--curve-rounds",
            "2",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(out.read_text())
    failed = [c for c in report["checks"] if not c["passed"]]
    assert not failed, failed
    names = " ".join(c["name"] for c in report["checks"])
    assert "shared uniforms p=0.1" in names and "curve ==" in names and "mean size p=0.01 tiny" in names
    assert all(c["identical"] for c in report["curve"])
    assert "| 0.1 " in proc.stdout  # the table was printed
