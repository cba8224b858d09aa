"""Shared test helpers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    """Write dedented YAML text to a file and return its path."""
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return p


@pytest.fixture
def scenario_file(tmp_path):
    def make(text: str, name: str = "scenario.yaml") -> Path:
        return write(tmp_path, text, name)

    return make


def pytest_configure(config: pytest.Config) -> None:
    """numpy's floating-point warnings (a NaN or an overflow in the making) fail the test that
    raises them: no silent NaN passes. Code that means to compute one says so with np.errstate."""
    for message in ("invalid value encountered", "divide by zero encountered", "overflow encountered"):
        config.addinivalue_line("filterwarnings", f"error:{message}:RuntimeWarning")


# The platform-scale case (580M people, 150 originals over 30 days) is minutes per run at full size and
# at the small scales the other bundled scenarios use in tests; tests run it at a scale of its own
# (benchmarks/platform.py measures it at full size).
PLATFORM_TEST_SCALE = 0.0005


def bundled_scale(path: Path, scale: float | None, platform: float = PLATFORM_TEST_SCALE) -> float | None:
    """The scale a test runs bundled scenario ``path`` at: ``scale``, or the platform case's own
    (``platform``: a test of audiences needs enough followers per city account for round(s x F) to be
    within 0.01 of s)."""
    return platform if path.stem == "platform_brand" else scale
