"""Calibration: fit follower behaviour so that simulated organic cascades match real profiles.

Stages: :mod:`~simulator.calibration.targets` (what to reproduce), :mod:`~simulator.calibration.cascades`
(simulated organic cascades and their statistics), :mod:`~simulator.calibration.fit` (the fit) and
:mod:`~simulator.calibration.report` (printing and writing the result);
:mod:`~simulator.calibration.profile_fit` fits the named behaviour profiles (``propsim calibrate --profile``)
and :mod:`~simulator.calibration.realism` checks the bundled scenarios' cascades against the data
(``propsim calibrate --check-defaults``).
"""

from simulator.calibration.cascades import CascadeStats, OrganicCascades
from simulator.calibration.fit import Calibration, calibrate, fit_lognormal, fit_response, search_p0
from simulator.calibration.profile_fit import ProfileFit, fit_profile, format_profile_fit, write_profile
from simulator.calibration.realism import ScenarioRealism, item_cascades, scenario_realism
from simulator.calibration.report import calibration_json, format_calibration, write_calibrated
from simulator.calibration.targets import (
    RelayTarget,
    Target,
    builtin_target,
    load_target,
    resolve_target,
    target_from_document,
)

__all__ = [
    "Calibration",
    "CascadeStats",
    "OrganicCascades",
    "ProfileFit",
    "RelayTarget",
    "ScenarioRealism",
    "Target",
    "builtin_target",
    "calibrate",
    "calibration_json",
    "fit_lognormal",
    "fit_profile",
    "fit_response",
    "format_calibration",
    "format_profile_fit",
    "item_cascades",
    "load_target",
    "resolve_target",
    "scenario_realism",
    "search_p0",
    "target_from_document",
    "write_calibrated",
    "write_profile",
]
