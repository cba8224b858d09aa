"""The one YAML reader: YAML 1.2 text -> plain Python values plus the position of every key.

ruamel.yaml's round-trip loader gives YAML 1.2 semantics (``no`` stays a string, ``1e-3`` is a
number, duplicate keys are errors) and the line and column of each key and list item, which map
pydantic error paths back to ``FILE:LINE:COL``. No Python object is ever constructed from a tag.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from simulator.scenario.errors import Problem, ScenarioError, fmt_path

Locations = dict[tuple, tuple[int, int]]  # document path -> (line, column), 1-based


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.allow_duplicate_keys = False
    return y


_STANDARD_TAGS = {"tag:yaml.org,2002:" + t for t in ("map", "seq", "str", "int", "float", "bool", "null")}


def _plain(node: Any, path: tuple, locs: dict[tuple, tuple[int, int]], problems: list[Problem], source: str) -> Any:
    """Convert ruamel nodes to plain Python, recording the (line, col) of every key and item.

    Explicit tags (``!!python/object``, ``!custom``) are refused: a scenario is plain data.
    """
    tag = getattr(getattr(node, "tag", None), "value", None)
    if tag is not None and tag not in _STANDARD_TAGS:
        line, col = locs.get(path, (None, None))
        problems.append(
            Problem(
                source,
                line,
                col,
                fmt_path(path),
                f"unsupported YAML tag {tag.split(':')[-1] if tag.startswith('tag:') else tag}",
            )
        )
        return None
    if isinstance(node, CommentedMap):
        out = {}
        for k, v in node.items():
            line, col = node.lc.key(k)
            if not isinstance(k, str):
                problems.append(Problem(source, line + 1, col + 1, fmt_path(path), f"keys must be strings, got {k!r}"))
                continue
            locs[path + (k,)] = (line + 1, col + 1)
            out[k] = _plain(v, path + (k,), locs, problems, source)
        return out
    if isinstance(node, CommentedSeq):
        out_list = []
        for i, v in enumerate(node):
            line, col = node.lc.item(i)
            locs[path + (i,)] = (line + 1, col + 1)
            out_list.append(_plain(v, path + (i,), locs, problems, source))
        return out_list
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    tag = getattr(getattr(node, "tag", None), "value", None) or type(node).__name__
    line, col = locs.get(path, (None, None))
    problems.append(Problem(source, line, col, fmt_path(path), f"unsupported YAML value of type {tag}"))
    return None


def parse_yaml(text: str, source: str) -> tuple[Any, dict[tuple, tuple[int, int]]]:
    """Parse YAML 1.2 text into plain values plus a location map; raise ScenarioError."""
    try:
        node = _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = " ".join(str(x) for x in (e.context, e.problem) if x).replace("\n", " ")
        if "duplicate key" in str(e).lower() or "duplicate" in msg.lower():
            msg = "duplicate key: " + (e.problem or msg).strip()
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ScenarioError([Problem(source, line, col, "", f"YAML error: {msg}")]) from None
    except YAMLError as e:
        raise ScenarioError([Problem(source, None, None, "", f"YAML error: {e}")]) from None
    locs: dict[tuple, tuple[int, int]] = {}
    problems: list[Problem] = []
    doc = _plain(node, (), locs, problems, source)
    if problems:
        raise ScenarioError(problems)
    return doc, locs


def read_text(path: str | os.PathLike) -> str:
    """A scenario file's text (UTF-8, optional BOM); unreadable or non-UTF-8 files raise ScenarioError."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise ScenarioError([Problem(source, None, None, "", f"cannot read file: {e.strerror or e}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ScenarioError([Problem(source, line, None, "", "file is not valid UTF-8 (save it as UTF-8)")]) from None
