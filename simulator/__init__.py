"""propsim: simulate how a company's posts spread through its matrix of social-media accounts.

>>> import simulator
>>> loaded = simulator.load("scenarios/hub.yaml", overrides=["population.size=20000"])  # doctest: +SKIP
>>> result = simulator.run(loaded)  # doctest: +SKIP
>>> result.summary["reach"]  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

from .config import Scenario  # noqa: E402
from .model import PropagationModel  # noqa: E402
from .presets import PRESETS, canonical_name  # noqa: E402
from .results import RunResult, collect  # noqa: E402
from .scenario_io import LoadedScenario, ScenarioError, load, load_document, load_text  # noqa: E402


def run(loaded: LoadedScenario) -> RunResult:
    """Build the world, run the model to the horizon and return its result tables."""
    return collect(PropagationModel(loaded).run())


__all__ = ["LoadedScenario", "PRESETS", "PropagationModel", "RunResult", "Scenario", "ScenarioError",
           "canonical_name", "collect", "load", "load_document", "load_text", "run", "__version__"]
