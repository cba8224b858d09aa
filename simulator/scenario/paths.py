"""Where scenario files are: a path as given, or the name of a bundled scenario."""

from __future__ import annotations

from pathlib import Path


def bundled_dir() -> Path:
    """The folder of the bundled scenarios (``scenarios/`` beside the package, or inside it when
    installed as a wheel)."""
    here = Path(__file__).resolve().parents[1]
    for cand in (here / "scenarios", here.parent / "scenarios"):
        if cand.is_dir():
            return cand
    return here.parent / "scenarios"


def resolve_scenario_path(name: str) -> Path:
    """A path as given, or the name of a bundled scenario (``hub`` -> scenarios/hub.yaml)."""
    p = Path(name)
    if p.exists() or p.suffix:
        return p
    cand = bundled_dir() / f"{name}.yaml"
    return cand if cand.exists() else p
