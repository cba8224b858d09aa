"""Mapping validation errors back to the user's file: pydantic error paths -> ``FILE:LINE:COL``.

Works for any pydantic root model (the scenario, a calibration target). A preset's expansion
merges list items under the user's document, so the position of an item only the preset defines
is the ``topology:`` line; ``--set`` overrides (and the mappings they create) are reported at
``--set``.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from simulator.scenario.errors import Loc, Problem, fmt_path, shown
from simulator.scenario.schema import Scenario


class Locator:
    """Maps a path in the merged document to a location in the user's file."""

    def __init__(
        self,
        source: str,
        locs: dict[tuple, tuple[int, int]],
        origin: dict[tuple, tuple] | None = None,
        overridden: set[tuple] | None = None,
    ):
        self.source, self.locs = source, locs
        self.origin: dict[tuple, tuple] = {} if origin is None else origin
        self.overridden: set[tuple] = set() if overridden is None else overridden

    def user_path(self, path: tuple) -> tuple:
        """The path as the user wrote it (list positions of merged preset items mapped back)."""
        if len(path) >= 2 and path[:2] in self.origin:
            return self.origin[path[:2]] + path[2:]
        return path

    def problem(self, path: tuple, message: str) -> Problem:
        """A problem at ``path`` of the merged document, located in the user's file."""
        src, line, col = self(path)
        shown = self.user_path(path)
        if shown[:1] == ("topology",) and path[:1] != ("topology",):
            # an item only the preset defines: name it as expanded, point at the topology line
            shown = path
            message += " (in the expansion of the topology preset; override it under this path)"
        return Problem(src, line, col, fmt_path(shown), message)

    def __call__(self, path: tuple) -> Loc:
        user_path = self.user_path(path)
        for n in range(len(user_path), -1, -1):
            prefix = user_path[:n]
            if prefix in self.overridden:
                return ("--set", None, None)
            if prefix in self.locs:
                line, col = self.locs[prefix]
                return (self.source, line, col)
        return (self.source, 1, 1)


def _clean_loc(loc: tuple, data: Any, missing: bool) -> tuple:
    """Drop pydantic's union-branch tags from an error location, keeping real document keys."""
    out: list = []
    cur = data
    for i, part in enumerate(loc):
        if (
            isinstance(cur, dict)
            and part in cur
            or isinstance(cur, list)
            and isinstance(part, int)
            and 0 <= part < len(cur)
        ):
            cur = cur[part]
            out.append(part)
        elif missing and i == len(loc) - 1 or isinstance(part, str) and i == len(loc) - 1 and isinstance(cur, dict):
            out.append(part)
    return tuple(out)


def _model_at(path: tuple, root: type[BaseModel]) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at ``path`` (for 'expected keys')."""
    tp: Any = root
    for part in path:
        tp = _unwrap(tp, want_model=isinstance(part, str))
        if tp is None:
            return None
        if isinstance(part, str):
            if not (isinstance(tp, type) and issubclass(tp, BaseModel)) or part not in tp.model_fields:
                return None
            tp = tp.model_fields[part].annotation
    tp = _unwrap(tp, want_model=True)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _unwrap(tp: Any, want_model: bool) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0], want_model)
    if origin in (list, dict):
        return _unwrap(typing.get_args(tp)[-1], want_model) if not want_model else tp
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        for arg in typing.get_args(tp):
            u = _unwrap(arg, want_model)
            if isinstance(u, type) and issubclass(u, BaseModel):
                return u
        return None
    return tp


def _describe(err: Any, path: tuple, root: type[BaseModel]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        model = _model_at(path[:-1], root)
        allowed = f"; expected one of: {', '.join(model.model_fields)}" if model else ""
        return f"unknown field {shown(path[-1])}{allowed}"
    if kind == "missing":
        return "required field is missing"
    msg = err.get("msg", "invalid value")
    msg = msg.removeprefix("Value error, ")
    if (
        "input" in err
        and "got" not in msg
        and kind not in ("model_type", "dict_type")
        and not isinstance(err["input"], (dict, list))
    ):
        msg += f" (got {shown(err['input'])})"
    return msg


def validation_problems(
    e: ValidationError, data: Any, locate: Locator, prefix: tuple = (), root: type[BaseModel] = Scenario
) -> list[Problem]:
    """Every error of a pydantic validation of ``data`` (whose model is ``root``) as located
    problems, sorted by position; ``prefix`` is where ``data`` sits in the document."""
    problems = []
    seen = set()
    for err in e.errors():
        path = prefix + _clean_loc(tuple(err["loc"]), _get(data, prefix), err.get("type") == "missing")
        p = locate.problem(path, _describe(err, path, root))
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            problems.append(p)
    return sorted(problems, key=lambda p: (p.source != locate.source, p.line or 0, p.col or 0))


def _get(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data
