"""Chart kinds and their names (kept free of heavy imports: the CLI parser needs them)."""

from __future__ import annotations

from collections.abc import Iterable

#: Chart names in slide order; the number of a kind is its index (0 = the difference chart,
#: which leads a sweep's deck; 1-8 as before).
KINDS = ("differences", "reach", "fatigue", "tradeoff", "timeline", "frequency", "accounts", "matrix", "path")
SWEEP_KINDS = KINDS[:6]
RUN_KINDS = ("timeline", "frequency", "accounts", "matrix", "path")
_ALIASES = {
    **{str(i): k for i, k in enumerate(KINDS)},
    "difference": "differences",
    "forest": "differences",
    "diff": "differences",
    "frontier": "tradeoff",
    "trade-off": "tradeoff",
    "exits": "fatigue",
    "cumulative": "timeline",
    "time": "timeline",
    "exposure": "frequency",
    "exposures": "frequency",
    "contribution": "accounts",
    "account": "accounts",
    "diagram": "matrix",
    "propagation": "path",
    "all": "all",
}


def kind_number(kind: str) -> int:
    """The number of a chart kind (file names ``NN_kind``): differences 0, reach 1 ... path 8."""
    return KINDS.index(kind)


def parse_kinds(values: Iterable[str] | None) -> list[str] | None:
    """``["reach,fatigue", "7"]`` -> ``["reach", "fatigue", "matrix"]``; ``None``/empty -> all."""
    out: list[str] = []
    for v in values or []:
        for part in str(v).split(","):
            key = part.strip().lower()
            if not key:
                continue
            key = _ALIASES.get(key, key)
            if key == "all":
                return None
            if key not in KINDS:
                raise ValueError(f"unknown chart kind {part!r}; use one of {', '.join(KINDS)} (or 0-8)")
            if key not in out:
                out.append(key)
    return out or None
