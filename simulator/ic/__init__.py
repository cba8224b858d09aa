"""Plain independent cascade (IC) on a follower CSR, and the whole reach-vs-p curve in one pass.

>>> from simulator.ic import independent_cascade, reach_curve  # doctest: +SKIP

See :mod:`simulator.ic.cascade` for the semantics; the kernels are in :mod:`simulator.ic.kernels_numba`
(compiled) and :mod:`simulator.ic.kernels_numpy` (their twins); the model's reduction to IC is
:func:`simulator.engine.reduction.reduce_model`.
"""

from simulator.backend import available_backends, resolve_backend
from simulator.ic.cascade import (
    MAX_CURVE_POINTS,
    Cascader,
    clear_cache,
    edge_uniforms,
    independent_cascade,
    reach_curve,
)
from simulator.ic.results import BatchResult, CascadeResult, ReachCurve
from simulator.seeding import hash_uniforms, stream_key

__all__ = [
    "MAX_CURVE_POINTS",
    "BatchResult",
    "CascadeResult",
    "Cascader",
    "ReachCurve",
    "available_backends",
    "clear_cache",
    "edge_uniforms",
    "hash_uniforms",
    "independent_cascade",
    "reach_curve",
    "resolve_backend",
    "stream_key",
]
