"""Calibration: fit follower behaviour so that simulated organic cascades match real profiles.

Stages: :mod:`~simulator.calibration.targets` (what to reproduce), :mod:`~simulator.calibration.cascades`
(simulated organic cascades and their statistics), :mod:`~simulator.calibration.fit` (the fit) and
:mod:`~simulator.calibration.report` (printing and writing the result).
"""

from simulator.calibration.cascades import CascadeStats, OrganicCascades
from simulator.calibration.fit import Calibration, calibrate, fit_lognormal, fit_response
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
    "RelayTarget",
    "Target",
    "builtin_target",
    "calibrate",
    "calibration_json",
    "fit_lognormal",
    "fit_response",
    "format_calibration",
    "load_target",
    "resolve_target",
    "target_from_document",
    "write_calibrated",
]
