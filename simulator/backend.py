"""Which compute backend runs the hot loops: numba (compiled) when installed, else numpy.

Every numba kernel in propsim has a pure-numpy twin that gives identical results; numba only
makes it faster. ``PROPSIM_BACKEND=numpy`` forces the fallback (e.g. to compare the two).
"""

from __future__ import annotations

import os

try:  # numba is optional (the "fast" extra): everything has a numpy twin
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
        raise ImportError("backend 'numba' needs numba (pip install 'propsim[fast]')")
    return backend
