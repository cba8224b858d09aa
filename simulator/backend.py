"""Which compute backend runs the hot loops: numba (compiled, a core dependency), or numpy.

The independent-cascade kernels (:mod:`simulator.ic`) have pure-numpy twins that give identical
results; ``PROPSIM_BACKEND=numpy`` selects them (e.g. to compare the two). The event kernel and the
world generator are compiled only (their plain-Python twin is the test reference).
"""

from __future__ import annotations

import os

try:  # a core dependency; guarded so that `import simulator` still works in a broken environment
    import numba as _numba
except ImportError:  # pragma: no cover - exercised by the PROPSIM_BACKEND=numpy runs instead
    _numba = None  # type: ignore[assignment]

numba = _numba


def available_backends() -> list[str]:
    """Backends usable in this environment, fastest first."""
    return (["numba"] if _numba is not None else []) + ["numpy"]


def resolve_backend(backend: str = "auto") -> str:
    """``"auto"`` -> ``$PROPSIM_BACKEND`` if set, else numba when importable, else numpy."""
    if backend == "auto":
        backend = os.environ.get("PROPSIM_BACKEND", "").strip().lower() or "auto"
        if backend == "auto":
            return "numba" if _numba is not None else "numpy"
    if backend not in ("numba", "numpy"):
        raise ValueError(f"unknown backend {backend!r}; choose 'auto', 'numba' or 'numpy'")
    if backend == "numba" and _numba is None:
        raise ImportError("backend 'numba' needs numba (pip install numba)")
    return backend
