"""Chart kinds and their names (kept free of heavy imports: the CLI parser needs them)."""

from __future__ import annotations

from collections.abc import Iterable

#: Chart names in slide order (numbers 1-8 as in the issue).
KINDS = ("reach", "fatigue", "tradeoff", "timeline", "frequency", "accounts", "matrix", "path")
SWEEP_KINDS = KINDS[:5]
RUN_KINDS = ("timeline", "frequency", "accounts", "matrix", "path")
_ALIASES = {
    **{str(i + 1): k for i, k in enumerate(KINDS)},
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
                raise ValueError(f"unknown chart kind {part!r}; use one of {', '.join(KINDS)} (or 1-8)")
            if key not in out:
                out.append(key)
    return out or None
