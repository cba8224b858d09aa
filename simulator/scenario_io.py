"""Reading scenario files: YAML 1.2 -> overrides -> preset expansion -> validation -> matrix.

Every problem found is reported at once as ``FILE:LINE:COL: field.path: message`` through
:class:`ScenarioError`. YAML is read with ruamel.yaml's round-trip loader (YAML 1.2: ``no`` stays
a string, ``1e-3`` is a number, duplicate keys are errors) and converted to plain Python values;
no Python objects are ever constructed from tags.

>>> sc = load_text("name: demo\\ntopology: hub\\npopulation: {size: 20000}\\n"
...                "topology_params: {}\\n") # doctest: +SKIP
"""

from __future__ import annotations

import copy
import os
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from . import defaults as D
from . import presets
from .config import Scenario
from .matrix import Matrix, build_matrix

Loc = tuple[str, int | None, int | None]  # (source name, line, column), 1-based


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located in its file."""

    source: str
    line: int | None
    col: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.col or 1}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; ``problems`` lists every issue found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class LoadedScenario:
    """A validated scenario and its expanded account matrix."""

    scenario: Scenario
    matrix: Matrix
    source: str
    estimated_bytes: int


# --- YAML -------------------------------------------------------------------------------------

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
        problems.append(Problem(source, line, col, _fmt_path(path), f"unsupported YAML tag {tag.split(':')[-1] if tag.startswith('tag:') else tag}"))
        return None
    if isinstance(node, CommentedMap):
        out = {}
        for k, v in node.items():
            line, col = node.lc.key(k)
            if not isinstance(k, str):
                problems.append(Problem(source, line + 1, col + 1, _fmt_path(path), f"keys must be strings, got {k!r}"))
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
    problems.append(Problem(source, line, col, _fmt_path(path), f"unsupported YAML value of type {tag}"))
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


# --- overrides ----------------------------------------------------------------------------------

def parse_override(text: str) -> tuple[tuple, Any]:
    """``"behaviour.p0=1e-3"`` -> ``(("behaviour", "p0"), 0.001)``; the value is YAML 1.2."""
    if "=" not in text:
        raise ValueError(f"--set {text!r}: expected PATH=VALUE, e.g. behaviour.p0=0.002")
    key, _, raw = text.partition("=")
    path = tuple(int(p) if p.isdigit() else p for p in key.strip().split("."))
    if not key.strip() or any(p == "" for p in path):
        raise ValueError(f"--set {text!r}: empty field name")
    value, _ = parse_yaml(raw if raw.strip() else "''", "--set")
    return path, value


def apply_override(doc: dict, path: tuple, value: Any) -> None:
    """Set ``doc[path] = value``, creating intermediate mappings; raise ValueError on a bad path."""
    cur: Any = doc
    for i, p in enumerate(path[:-1]):
        nxt_is_index = isinstance(path[i + 1], int)
        if isinstance(cur, dict):
            if p not in cur or cur[p] is None:
                if nxt_is_index:
                    raise ValueError(f"{_fmt_path(path[:i + 1])} is not a list in the scenario")
                cur[p] = {}
            cur = cur[p]
        elif isinstance(cur, list) and isinstance(p, int):
            if p >= len(cur):
                raise ValueError(f"{_fmt_path(path[:i + 1])}: index {p} out of range (the list has {len(cur)} items)")
            cur = cur[p]
        else:
            raise ValueError(f"{_fmt_path(path[:i + 1])} is not a mapping")
    last = path[-1]
    if isinstance(cur, list) and isinstance(last, int):
        if last >= len(cur):
            raise ValueError(f"{_fmt_path(path)}: index {last} out of range (the list has {len(cur)} items)")
        cur[last] = value
    elif isinstance(cur, dict) and isinstance(last, str):
        cur[last] = value
    else:
        raise ValueError(f"{_fmt_path(path)}: cannot set this field")


# --- validation -----------------------------------------------------------------------------------

def _fmt_path(path: tuple) -> str:
    return ".".join(str(p) for p in path)


class _Locator:
    """Maps a path in the merged document to a location in the user's file."""

    def __init__(self, source: str, locs: dict[tuple, tuple[int, int]], origin: dict[tuple, tuple],
                 overridden: set[tuple]):
        self.source, self.locs, self.origin, self.overridden = source, locs, origin, overridden

    def user_path(self, path: tuple) -> tuple:
        """The path as the user wrote it (list positions of merged preset items mapped back)."""
        if len(path) >= 2 and path[:2] in self.origin:
            return self.origin[path[:2]] + path[2:]
        return path

    def problem(self, path: tuple, message: str) -> Problem:
        src, line, col = self(path)
        shown = self.user_path(path)
        if shown[:1] == ("topology",) and path[:1] != ("topology",):
            # an item only the preset defines: name it as expanded, point at the topology line
            shown = path
            message += " (in the expansion of the topology preset; override it under this path)"
        return Problem(src, line, col, _fmt_path(shown), message)

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
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
            out.append(part)
        elif isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur):
            cur = cur[part]
            out.append(part)
        elif missing and i == len(loc) - 1:
            out.append(part)
        elif isinstance(part, str) and i == len(loc) - 1 and isinstance(cur, dict):
            out.append(part)
    return tuple(out)


def _model_at(path: tuple, root: type[BaseModel] = Scenario) -> type[BaseModel] | None:
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


def _describe(err: dict, path: tuple) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        allowed = f"; expected one of: {', '.join(model.model_fields)}" if model else ""
        return f"unknown field {path[-1]!r}{allowed}"
    if kind == "missing":
        return "required field is missing"
    msg = err.get("msg", "invalid value")
    msg = msg.removeprefix("Value error, ")
    if ("input" in err and "got" not in msg and kind not in ("model_type", "dict_type")
            and not isinstance(err["input"], (dict, list))):
        msg += f" (got {err['input']!r})"
    return msg


def _validation_problems(e: ValidationError, data: dict, locate: _Locator, prefix: tuple = ()) -> list[Problem]:
    problems = []
    seen = set()
    for err in e.errors():
        path = prefix + _clean_loc(tuple(err["loc"]), _get(data, prefix), err.get("type") == "missing")
        p = locate.problem(path, _describe(err, path))
        if (p.path, p.message) not in seen:
            seen.add((p.path, p.message))
            problems.append(p)
    return sorted(problems, key=lambda p: (p.source != locate.source, p.line or 0, p.col or 0))


def _get(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


def estimate_memory(sc: Scenario, matrix: Matrix) -> int:
    """Rough peak bytes of building and running the scenario (see README 'Scale')."""
    n = sc.population.size
    items = max(1, len(matrix.items))
    edges_ff = n * sc.graph.mean_followees
    edges_acc = 0.0
    for a in matrix.accounts:
        mean = a.followers.median * float(__import__("math").exp(a.followers.sigma ** 2 / 2))
        edges_acc += min(n, mean)
    per_follower = 32 + 10 * items  # state arrays; per item: memory, last time, reposted flag
    build_ff = 30  # bytes per follower edge while building (endpoints, uniforms, sort keys)
    return int(200e6 + n * per_follower + edges_ff * build_ff + edges_acc * 24)


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or total RAM if that is unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def load_document(doc: Any, source: str, locs: dict[tuple, tuple[int, int]] | None = None,
                  overrides: list[tuple[tuple, Any]] | None = None, check_memory: bool = True,
                  scale: float | None = None) -> LoadedScenario:
    """Validate a scenario given as plain Python data (e.g. parsed YAML or a dict from a notebook).

    ``scale`` multiplies the population size and every account's follower count (e.g. 0.05 for
    a quick run at 5% size with the same shape); it is applied after the preset is expanded.
    """
    locs = locs or {}
    if not isinstance(doc, dict):
        raise ScenarioError([Problem(source, 1, 1, "", "a scenario file must be a mapping of fields (name:, topology:, ...)")])
    doc = copy.deepcopy(doc)
    section = doc.pop("sweep", None)
    if section is not None:
        # a sweep definition belongs to `propsim sweep`; elsewhere it is checked, then ignored
        from .sweep_spec import parse_section

        parse_section(section, source, locs)
    overridden: set[tuple] = set()
    problems: list[Problem] = []
    for path, value in overrides or []:
        try:
            apply_override(doc, path, value)
            overridden.add(path)
        except ValueError as e:
            problems.append(Problem("--set", None, None, _fmt_path(path), str(e)))
    if problems:
        raise ScenarioError(problems)

    origin: dict[tuple, tuple] = {}
    locate = _Locator(source, locs, origin, overridden)
    topo = doc.get("topology")
    if topo is not None:
        spec = {"preset": topo} if isinstance(topo, str) else topo
        if isinstance(spec, dict) and isinstance(spec.get("preset"), str):
            name_path = ("topology",) if isinstance(topo, str) else ("topology", "preset")
            try:
                canon = presets.canonical_name(spec["preset"])
                frag = presets.expand(canon, spec.get("params") if isinstance(spec.get("params"), dict) else {})
            except ValueError as e:
                if isinstance(e, ValidationError):
                    raise ScenarioError(_validation_problems(e, doc, locate, ("topology", "params"))) from None
                src, line, col = locate(name_path)
                raise ScenarioError([Problem(src, line, col, _fmt_path(name_path), str(e))]) from None
            doc, origin_new = presets.merge_preset(doc, frag)
            origin.update(origin_new)
            if isinstance(topo, str):
                doc["topology"] = {"preset": canon}
            else:
                doc["topology"] = {**spec, "preset": canon}
    try:
        sc = Scenario.model_validate(doc, strict=True)
    except ValidationError as e:
        raise ScenarioError(_validation_problems(e, doc, locate)) from None
    if scale is not None:
        sc = scaled(sc, scale)

    matrix, mproblems = build_matrix(sc)
    if mproblems:
        raise ScenarioError([locate.problem(path, msg) for path, msg in mproblems])
    assert matrix is not None
    need = estimate_memory(sc, matrix)
    if check_memory:
        have = available_memory()
        if need > D.MEMORY_FRACTION * have:
            raise ScenarioError([locate.problem(
                ("population", "size"),
                f"this scenario would need about {need / 1e9:.1f} GB of memory (population {sc.population.size:,}, "
                f"{sc.graph.mean_followees:g} followees each, {len(matrix.items)} items) but only "
                f"{have / 1e9:.1f} GB is available; reduce population.size or graph.mean_followees")])
    return LoadedScenario(sc, matrix, source, need)


def scaled(sc: Scenario, factor: float) -> Scenario:
    """A copy of ``sc`` with population size and follower counts multiplied by ``factor``."""
    if not 0 < factor <= 1000:
        raise ScenarioError([Problem("--scale", None, None, "", f"scale must be in (0, 1000], got {factor:g}")])
    data = sc.model_dump()
    data["population"]["size"] = max(1, int(round(data["population"]["size"] * factor)))
    for acc in data["accounts"]:
        acc["followers"]["median"] = max(1e-9, acc["followers"]["median"] * factor)
    return Scenario.model_validate(data)


def load_text(text: str, source: str = "<scenario>", overrides: list[str] | None = None,
              seed: int | None = None, check_memory: bool = True, scale: float | None = None) -> LoadedScenario:
    """Load a scenario from YAML text. ``overrides`` are ``PATH=VALUE`` strings (as ``--set``)."""
    doc, locs = parse_yaml(text, source)
    parsed = []
    problems = []
    for o in overrides or []:
        try:
            parsed.append(parse_override(o))
        except ValueError as e:
            problems.append(Problem("--set", None, None, o.partition("=")[0], str(e)))
        except ScenarioError as e:
            problems.extend(e.problems)
    if problems:
        raise ScenarioError(problems)
    if seed is not None:
        parsed.append((("seed",), seed))
    return load_document(doc, source, locs, parsed, check_memory=check_memory, scale=scale)


def load(path: str | os.PathLike, overrides: list[str] | None = None, seed: int | None = None,
         check_memory: bool = True, scale: float | None = None) -> LoadedScenario:
    """Load and validate a scenario file (UTF-8). Raises :class:`ScenarioError` on any problem.

    >>> loaded = load("scenarios/hub.yaml", overrides=["population.size=20000"])  # doctest: +SKIP
    """
    return load_text(read_text(path), str(path), overrides, seed, check_memory, scale)


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
