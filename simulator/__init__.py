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
    "Scenario": "scenario.schema",
    "PropagationModel": "engine.model",
    "PRESETS": "scenario.presets",
    "canonical_name": "scenario.presets",
    "RunResult": "results.collect",
    "collect": "results.collect",
    "compare": "sweeps.compare",
    "LoadedScenario": "scenario.loading",
    "ScenarioError": "scenario.errors",
    "load": "scenario.loading",
    "load_document": "scenario.loading",
    "load_text": "scenario.loading",
    "read_sweep": "sweeps.runner",
    "sweep": "sweeps.runner",
}

if TYPE_CHECKING:
    from .engine.model import PropagationModel
    from .results.collect import RunResult, collect
    from .scenario.errors import ScenarioError
    from .scenario.loading import LoadedScenario, load, load_document, load_text
    from .scenario.presets import PRESETS, canonical_name
    from .scenario.schema import Scenario
    from .sweeps.runner import read_sweep, sweep


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")


def run(loaded: LoadedScenario) -> RunResult:
    """Build the world, run the model to the horizon and return its result tables."""
    from .results.collect import simulate

    return simulate(loaded)


__all__ = [
    "LoadedScenario",
    "PRESETS",
    "PropagationModel",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "canonical_name",
    "collect",
    "load",
    "load_document",
    "load_text",
    "read_sweep",
    "run",
    "sweep",
    "__version__",
]
