"""Package-level behaviour: lazy public names, light CLI start-up, the console script."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

import simulator
import simulator.plotting

from .conftest import ROOT


def test_lazy_names_do_not_clash_with_submodules():
    # a submodule with the same name as a public function would replace it once imported
    for pkg in (simulator, simulator.plotting):
        clashes = [n for n in pkg._LAZY if importlib.util.find_spec(f"{pkg.__name__}.{n}") is not None]
        assert clashes == [], clashes
    assert callable(simulator.sweep) and callable(simulator.plotting.render)


def test_cli_parser_does_not_import_heavy_libraries():
    code = (
        "import sys, simulator.cli.entry as c; c.build_parser(); "
        "print(sorted(m for m in ('mesa', 'pandas', 'matplotlib', 'numba') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


@pytest.mark.slow
def test_console_script_runs_a_bundled_scenario(tmp_path):
    exe = ROOT / ".venv" / "bin" / "propsim"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "simulator.cli"]
    out = subprocess.run(
        cmd + ["run", "hub", "--scale", "0.02", "-o", str(tmp_path / "r")], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stderr
    assert "reach" in out.stdout and (tmp_path / "r" / "summary.json").exists()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ntopology: hub\npopulation: {size: -1}\n", encoding="utf-8")
    out = subprocess.run(cmd + ["run", str(bad)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 1 and f"{bad}:3:" in out.stderr and "Traceback" not in out.stderr
