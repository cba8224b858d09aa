"""The one override parser: ``--set PATH=VALUE`` strings and setting a field by its dotted path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from simulator.scenario.errors import Problem, ScenarioError, fmt_path
from simulator.scenario.yaml_io import parse_yaml

Override = tuple[tuple, Any]  # (path, value): ``(("behaviour", "p0"), 0.001)``


def parse_path(text: str) -> tuple:
    """``"relays.0.probability"`` -> ``("relays", 0, "probability")``; ValueError if malformed."""
    key = text.strip()
    path = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    if not key or any(p == "" for p in path):
        raise ValueError(f"{text!r}: empty field name in the path")
    return path


def parse_override(text: str) -> Override:
    """``"behaviour.p0=1e-3"`` -> ``(("behaviour", "p0"), 0.001)``; the value is YAML 1.2."""
    if "=" not in text:
        raise ValueError(f"--set {text!r}: expected PATH=VALUE, e.g. behaviour.p0=0.002")
    key, _, raw = text.partition("=")
    try:
        path = parse_path(key)
    except ValueError:
        raise ValueError(f"--set {text!r}: empty field name") from None
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


def apply_override(doc: dict, path: tuple, value: Any) -> None:
    """Set ``doc[path] = value``, creating intermediate mappings; raise ValueError on a bad path."""
    cur: Any = doc
    for i, p in enumerate(path[:-1]):
        nxt_is_index = isinstance(path[i + 1], int)
        if isinstance(cur, dict):
            if p not in cur or cur[p] is None:
                if nxt_is_index:
                    raise ValueError(f"{fmt_path(path[: i + 1])} is not a list in the scenario")
                cur[p] = {}
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
