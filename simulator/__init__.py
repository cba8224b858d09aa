"""propsim: simulate how a company's posts spread through its matrix of social-media accounts.

>>> import simulator
>>> loaded = simulator.load("scenarios/hub.yaml", overrides=["behaviour.p0=0.002"], scale=0.05)  # doctest: +SKIP
>>> result = simulator.run(loaded)  # doctest: +SKIP
>>> result.summary["reach"]  # doctest: +SKIP

Names are imported lazily (PEP 562) so that ``propsim --help`` does not pay for Mesa and pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Scenario": "config", "PropagationModel": "model", "PRESETS": "presets", "canonical_name": "presets",
    "RunResult": "results", "collect": "results", "LoadedScenario": "scenario_io",
    "ScenarioError": "scenario_io", "load": "scenario_io", "load_document": "scenario_io",
    "load_text": "scenario_io", "read_sweep": "sweep_runner", "sweep": "sweep_runner",
}

if TYPE_CHECKING:
    from .config import Scenario
    from .model import PropagationModel
    from .presets import PRESETS, canonical_name
    from .results import RunResult, collect
    from .scenario_io import LoadedScenario, ScenarioError, load, load_document, load_text
    from .sweep_runner import read_sweep, sweep


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


def run(loaded: LoadedScenario) -> RunResult:
    """Build the world, run the model to the horizon and return its result tables."""
    from .model import PropagationModel
    from .results import collect

    return collect(PropagationModel(loaded).run())


__all__ = ["LoadedScenario", "PRESETS", "PropagationModel", "RunResult", "Scenario", "ScenarioError",
           "canonical_name", "collect", "load", "load_document", "load_text", "read_sweep", "run", "sweep",
           "__version__"]
