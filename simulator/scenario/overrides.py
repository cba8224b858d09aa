"""The one override parser: ``--set PATH=VALUE`` strings and setting a field by its dotted path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simulator.scenario.errors import Problem, ScenarioError, fmt_path, shown
from simulator.scenario.yaml_io import parse_yaml

Override = tuple[tuple, Any]  # (path, value): ``(("behaviour", "p0"), 0.001)``


MAX_PATH_PARTS = 32  # a scenario nests a few levels; longer paths are mistakes


def parse_path(text: str) -> tuple:
    """``"relays.0.probability"`` -> ``("relays", 0, "probability")``; ValueError if malformed."""
    key = text.strip()
    parts = key.split(".")
    if len(parts) > MAX_PATH_PARTS:
        raise ValueError(f"{shown(text)}: at most {MAX_PATH_PARTS} parts in a field path")
    path = tuple(int(p) if p.isascii() and p.isdigit() else p for p in parts)
    if not key or any(p == "" for p in path):
        raise ValueError(f"{shown(text)}: empty field name in the path")
    return path


def parse_override(text: str) -> Override:
    """``"behaviour.p0=1e-3"`` -> ``(("behaviour", "p0"), 0.001)``; the value is YAML 1.2."""
    if "=" not in text:
        raise ValueError(f"--set {shown(text)}: expected PATH=VALUE, e.g. behaviour.p0=0.002")
    key, _, raw = text.partition("=")
    try:
        path = parse_path(key)
    except ValueError as e:
        raise ValueError(f"--set {e}") from None
    value, _ = parse_yaml(raw if raw.strip() else "''", "--set")
    return path, value


def parse_overrides(items: Iterable[str | Override] | Mapping[str, Any] | None) -> list[Override]:
    """Overrides given as ``PATH=VALUE`` strings, ``(path, value)`` pairs or a ``{path: value}``
    mapping, as ``(path tuple, value)`` pairs; every malformed one is reported at once."""
    if not items:
        return []
    seq = items.items() if isinstance(items, Mapping) else items
    out: list[Override] = []
    problems: list[Problem] = []
    for o in seq:
        if isinstance(o, str):
            try:
                out.append(parse_override(o))
            except ValueError as e:
                problems.append(Problem("--set", None, None, o.partition("=")[0], str(e)))
            except ScenarioError as e:
                problems.extend(e.problems)
        else:
            path, value = o
            out.append((parse_path(path) if isinstance(path, str) else tuple(path), value))
    if problems:
        raise ScenarioError(problems)
    return out


def apply_override(doc: dict, path: tuple, value: Any) -> list[tuple]:
    """Set ``doc[path] = value``, creating intermediate mappings; raise ValueError on a bad path.

    Returns the paths of the mappings it created (so problems there are located at ``--set``)."""
    cur: Any = doc
    created: list[tuple] = []
    for i, p in enumerate(path[:-1]):
        nxt_is_index = isinstance(path[i + 1], int)
        if isinstance(cur, dict):
            if p not in cur or cur[p] is None:
                if nxt_is_index:
                    raise ValueError(f"{fmt_path(path[: i + 1])} is not a list in the scenario")
                cur[p] = {}
                created.append(path[: i + 1])
            cur = cur[p]
        elif isinstance(cur, list) and isinstance(p, int):
            if p >= len(cur):
                raise ValueError(f"{fmt_path(path[: i + 1])}: index {p} out of range (the list has {len(cur)} items)")
            cur = cur[p]
        else:
            raise ValueError(f"{fmt_path(path[: i + 1])} is not a mapping")
    last = path[-1]
    if isinstance(cur, list) and isinstance(last, int):
        if last >= len(cur):
            raise ValueError(f"{fmt_path(path)}: index {last} out of range (the list has {len(cur)} items)")
        cur[last] = value
    elif isinstance(cur, dict) and isinstance(last, str):
        cur[last] = value
    else:
        raise ValueError(f"{fmt_path(path)}: cannot set this field")
    return created
