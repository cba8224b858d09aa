"""The one YAML reader: YAML 1.2 text -> plain Python values plus the position of every key.

The document is built here from ruamel.yaml's *parser events* (an iterative state machine), not
by ruamel's composer and constructor, which recurse per nesting level and expand aliases
without bound. That keeps reading bounded and every problem located:

- **limits**: at most :data:`MAX_CHARS` characters, :data:`MAX_DEPTH` nesting levels and
  :data:`MAX_NODES` nodes *after* alias expansion, of which at most :data:`MAX_ALIAS_NODES`
  repeated through aliases (an alias counts as the whole subtree it repeats, checked before it
  is copied), so an alias bomb or a 20,000-deep list is refused at once with ``FILE:LINE:COL``;
- **scalars** follow the YAML 1.2 core schema (``no`` stays a string, ``1e-3`` is a number,
  ``1_000`` is 1000, ``0x1F``/``0o17``/``0b101`` are integers); a number literal that overflows
  a float (``1e400``) is refused rather than read as infinity;
- **tags**: ``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``, ``!!map``, ``!!seq`` and the
  non-specific ``!`` (a string) are handled, a value that does not fit its tag (``!!int x``) is
  refused at its position, every other tag (``!!python/object``, ``!custom``, ``!!binary``) is
  refused: no Python object is ever constructed from a tag;
- **merge keys** (``<<: *base``, ``<<: [*a, *b]``) merge like YAML 1.1's merge type: keys written in
  the mapping win, then earlier merged mappings win over later ones;
- duplicate keys are errors; keys are strings (``int_keys=True`` also allows integers, for
  calibration targets such as ``exposure_response: {1: 1.0, 2: 1.3}``).
"""

from __future__ import annotations

import copy
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml import events as ev
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from simulator.scenario.errors import Problem, ScenarioError, fmt_path, shown

Locations = dict[tuple, tuple[int, int]]  # document path -> (line, column), 1-based

MAX_CHARS = 2_000_000  # ~2 MB of text: ruamel reads ~150 kB/s, so ~15 s at worst
MAX_DEPTH = 64  # nesting levels (a scenario needs < 10)
MAX_NODES = 100_000  # scalars + collections after alias expansion (a scenario needs < 10,000)
MAX_ALIAS_NODES = 10_000  # of those, repeated through aliases (shared settings need a few hundred)
TOO_LARGE_PREFIX = 200_000  # characters of a too-large file parsed to locate why (< 1 s)
MAX_PROBLEMS = 50  # stop collecting after this many located problems

TAG = "tag:yaml.org,2002:"
_MERGE = "<<"

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(
    r"^[-+]?(?:0b[01_]*[01][01_]*|0o[0-7_]*[0-7][0-7_]*|0x[0-9a-fA-F_]*[0-9a-fA-F][0-9a-fA-F_]*|[0-9][0-9_]*)$"
)
_FLOAT = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
         |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
         |[-+]?\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
         |[-+]?\.(?:inf|Inf|INF)
         |\.(?:nan|NaN|NAN))$""",
    re.X,
)


class _Refused(Exception):
    """A value the reader refuses; ``loc`` is where it is written (1-based)."""

    def __init__(self, message: str, loc: tuple[int, int] | None = None, fatal: bool = False):
        super().__init__(message)
        self.message, self.loc, self.fatal = message, loc, fatal


def _pos(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1)


# --- scalars --------------------------------------------------------------------------------------


def _int(text: str) -> int:
    s = text.replace("_", "")
    sign = -1 if s.startswith("-") else 1
    s = s.lstrip("+-")
    for prefix, base in (("0b", 2), ("0o", 8), ("0x", 16)):
        if s.startswith(prefix):
            return sign * int(s[2:], base)
    return sign * int(s, 10)


def _float(text: str, where: tuple[int, int]) -> float:
    s = text.replace("_", "")
    low = s.lower().lstrip("+-")
    if low == ".inf":
        return -math.inf if s.startswith("-") else math.inf
    if low == ".nan":
        return math.nan
    value = float(s)
    if math.isinf(value):
        raise _Refused(f"number {shown(text)} is too large (a float holds at most about 1.8e308)", where)
    return value


def _plain_scalar(text: str, where: tuple[int, int]) -> Any:
    """An untagged plain scalar by the YAML 1.2 core schema."""
    if _NULL.match(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.match(text):
        return _int(text)
    if _FLOAT.match(text):
        return _float(text, where)
    return text


def _tagged_scalar(tag: str, text: str, where: tuple[int, int]) -> Any:
    """A scalar with an explicit standard tag; a value that does not fit the tag is refused."""
    kind = tag.removeprefix(TAG)
    if kind == "str":
        return text
    if kind == "int" and _INT.match(text):
        return _int(text)
    if kind == "float" and (_FLOAT.match(text) or _INT.match(text)):
        return _float(text, where) if _FLOAT.match(text) else float(_int(text))
    if kind == "bool" and text in _BOOL:
        return _BOOL[text]
    if kind == "null" and _NULL.match(text):
        return None
    if kind in ("int", "float", "bool", "null"):
        what = {"int": "an integer", "float": "a number", "bool": "true or false", "null": "null or ~"}[kind]
        return _refuse(f"!!{kind} needs {what}, got {shown(text) if text else 'nothing'}", where)
    return _refuse(_tag_message(tag), where)


def _refuse(message: str, where: tuple[int, int]) -> Any:
    raise _Refused(message, where)


def _tag_message(tag: str) -> str:
    name = "!!" + tag.removeprefix(TAG) if tag.startswith(TAG) else tag
    return f"unsupported YAML tag {shown(name)}: a scenario is plain data (remove the tag)"


def _scalar(event: ev.ScalarEvent) -> Any:
    where = _pos(event)
    tag = event.tag
    if tag is not None and not isinstance(tag, str):  # ruamel may wrap tags in a Tag object
        tag = str(getattr(tag, "value", tag))
    if tag in (None, "!"):
        plain = tag is None and event.style is None and event.implicit[0]
        return _plain_scalar(event.value, where) if plain else event.value
    return _tagged_scalar(tag, event.value, where)


# --- the document builder -------------------------------------------------------------------------


@dataclass
class _Node:
    """A collection being built, with what is needed to attach children and resolve aliases."""

    value: dict | list
    path: tuple
    anchor: str | None
    log_start: int  # index into the location log where this node's children begin
    size: int = 1  # nodes in the subtree, aliases expanded
    height: int = 1  # nesting levels in the subtree
    key: Any = None  # a mapping's pending key (None: the next node is a key)
    key_loc: tuple[int, int] | None = None
    key_log: int = 0
    key_lines: dict = field(default_factory=dict)  # key -> line, for duplicate messages
    merges: list = field(default_factory=list)  # (mapping, its location log entries, path)


@dataclass
class _Anchor:
    value: Any
    path: tuple
    log: list  # location entries of the subtree (paths below ``path``)
    size: int
    height: int


class _Builder:
    """Builds plain data from parser events, with a location log and bounded size."""

    def __init__(self, source: str, int_keys: bool):
        self.source, self.int_keys = source, int_keys
        self.stack: list[_Node] = []
        self.log: list[tuple[tuple, tuple[int, int]]] = []  # (path, (line, col)) in document order
        self.anchors: dict[str, _Anchor] = {}
        self.problems: list[Problem] = []
        self.total = 0
        self.aliased = 0
        self.root: Any = None
        self.documents = 0

    # -- problems
    def problem(self, message: str, where: tuple[int, int] | None, path: tuple = ()) -> None:
        line, col = where if where else (None, None)
        self.problems.append(Problem(self.source, line, col, fmt_path(path), message))
        if len(self.problems) >= MAX_PROBLEMS:
            raise _Refused("too many problems; fix these first", None, fatal=True)

    def count(self, size: int, where: tuple[int, int], alias: bool = False) -> None:
        self.total += size
        self.aliased += size if alias else 0
        if self.aliased > MAX_ALIAS_NODES:
            raise _Refused(
                f"aliases repeat more than {MAX_ALIAS_NODES:,} values; such a file needs far fewer: "
                "are aliases nested in aliases?",
                where,
                fatal=True,
            )
        if self.total > MAX_NODES:
            raise _Refused(
                f"the document expands to more than {MAX_NODES:,} values (aliases included)",
                where,
                fatal=True,
            )

    def child_path(self) -> tuple:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if isinstance(top.value, list):
            return top.path + (len(top.value),)
        return top.path + (top.key,) if top.key is not None else top.path

    # -- events
    def feed(self, e: Any) -> None:
        if isinstance(e, ev.ScalarEvent):
            self.scalar(e)
        elif isinstance(e, (ev.MappingStartEvent, ev.SequenceStartEvent)):
            self.start(e)
        elif isinstance(e, (ev.MappingEndEvent, ev.SequenceEndEvent)):
            self.end(e)
        elif isinstance(e, ev.AliasEvent):
            self.alias(e)
        elif isinstance(e, ev.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Refused("a scenario file holds one YAML document; remove the second '---'", _pos(e), True)

    def scalar(self, e: ev.ScalarEvent) -> None:
        where = _pos(e)
        self.count(1, where)
        if self.expecting_key():
            self.key(e, where)
            return
        try:
            value = _scalar(e)
        except _Refused as r:
            self.problem(r.message, r.loc, self.child_path())
            value = None
        path = self.child_path()
        if e.anchor:
            self.anchors[e.anchor] = _Anchor(value, path, [], 1, 0)
        if isinstance(self.stack[-1].value if self.stack else None, list):
            self.log.append((path, where))
        self.attach(value, where, 1, 0)

    def expecting_key(self) -> bool:
        return bool(self.stack) and isinstance(self.stack[-1].value, dict) and self.stack[-1].key is None

    def key(self, e: ev.ScalarEvent, where: tuple[int, int]) -> None:
        top = self.stack[-1]
        if e.tag is None and e.style is None and e.value == _MERGE:
            self.set_key(top, _MERGE, where)
            return
        try:
            k = _scalar(e)
        except _Refused as r:
            self.problem(r.message, r.loc, top.path)
            k = e.value
        if isinstance(k, bool) or not isinstance(k, (str, int)) or (isinstance(k, int) and not self.int_keys):
            self.problem(f"keys must be strings, got {shown(k)}", where, top.path)
            k = f"\x00invalid key {len(top.key_lines)}"  # keeps parsing; never reaches a valid document
        if e.anchor:
            self.anchors[e.anchor] = _Anchor(k, top.path + (k,), [], 1, 0)
        self.set_key(top, k, where)

    def set_key(self, top: _Node, k: Any, where: tuple[int, int]) -> None:
        if k in top.key_lines:
            first = top.key_lines[k]
            name = "the merge key << is given twice" if k == _MERGE else f"duplicate key {shown(k)}"
            self.problem(f"{name} (first at line {first})", where, top.path)
            k = f"\x00duplicate {len(top.key_lines)}"
        top.key_lines[k] = where[0]
        top.key, top.key_loc, top.key_log = k, where, len(self.log)
        if k != _MERGE:
            self.log.append((top.path + (k,), where))

    def start(self, e: Any) -> None:
        where = _pos(e)
        if self.expecting_key():
            raise _Refused("keys must be strings, not a mapping or a list", where, fatal=True)
        if len(self.stack) >= MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", where, fatal=True)
        self.count(1, where)
        tag = e.tag if e.tag is None or isinstance(e.tag, str) else str(getattr(e.tag, "value", e.tag))
        is_map = isinstance(e, ev.MappingStartEvent)
        if tag not in (None, "!", TAG + ("map" if is_map else "seq")):
            self.problem(_tag_message(tag), where, self.child_path())
        path = self.child_path()
        if self.stack and isinstance(self.stack[-1].value, list):
            self.log.append((path, where))
        self.stack.append(_Node({} if is_map else [], path, e.anchor, len(self.log)))

    def end(self, e: Any) -> None:
        node = self.stack.pop()
        if isinstance(node.value, dict):
            self.apply_merges(node)
        if node.anchor:
            self.anchors[node.anchor] = _Anchor(
                node.value, node.path, self.log[node.log_start :], node.size, node.height
            )
        self.attach(node.value, None, node.size, node.height)

    def alias(self, e: ev.AliasEvent) -> None:
        where = _pos(e)
        anchor = self.anchors.get(e.anchor)
        if anchor is None:  # the parser reports undefined aliases itself; be safe anyway
            raise _Refused(f"undefined alias {shown(e.anchor)}", where, fatal=True)
        if self.expecting_key():
            if not isinstance(anchor.value, str):
                raise _Refused("keys must be strings, not an alias of a mapping or a list", where, fatal=True)
            self.set_key(self.stack[-1], anchor.value, where)
            return
        self.count(anchor.size, where, alias=True)
        if len(self.stack) + anchor.height > MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels (through aliases)", where, fatal=True)
        path = self.child_path()
        if self.stack and isinstance(self.stack[-1].value, list):
            self.log.append((path, where))
        n = len(anchor.path)
        self.log.extend((path + p[n:], loc) for p, loc in anchor.log)
        self.attach(copy.deepcopy(anchor.value), where, anchor.size, anchor.height)

    def attach(self, value: Any, where: tuple[int, int] | None, size: int, height: int) -> None:
        """Put a finished node into its parent (or make it the document)."""
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        top.height = max(top.height, height + 1)
        if isinstance(top.value, list):
            top.value.append(value)
            return
        if top.key == _MERGE:
            self.add_merge(top, value, where)
        else:
            top.value[top.key] = value
        top.key = None

    def add_merge(self, top: _Node, value: Any, where: tuple[int, int] | None) -> None:
        entries = self.log[top.key_log :]
        base = top.path + (_MERGE,)
        if isinstance(value, dict):
            top.merges.append((value, entries, base))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                top.merges.append(
                    (v, [(p, loc) for p, loc in entries if p[: len(base) + 1] == base + (i,)], base + (i,))
                )
        else:
            self.problem("a merge key << needs a mapping or a list of mappings", top.key_loc or where, top.path)
        del self.log[top.key_log :]

    def apply_merges(self, node: _Node) -> None:
        """Keys written in the mapping win; then earlier merged mappings win over later ones."""
        for merged, entries, base in node.merges:
            n = len(base)
            for k, v in merged.items():
                if k in node.value:
                    continue
                node.value[k] = v
                self.log.extend((node.path + p[n:], loc) for p, loc in entries if p[n : n + 1] == (k,))


def parse_yaml(text: str, source: str, *, int_keys: bool = False) -> tuple[Any, Locations]:
    """Parse YAML 1.2 text into plain values plus a location map; raise ScenarioError.

    ``int_keys`` also allows integer mapping keys (calibration targets). Reading is bounded
    (see the module docstring): any input gives either data or a located ScenarioError.
    """
    if len(text) > MAX_CHARS:
        raise _too_large(text, source, f"{len(text):,} characters")
    deep = _deep_flow_end(text)
    if deep is not None:
        # ruamel's scanner looks up to 1,024 characters ahead for a ':' after each open '[' or '{'
        # (0.5-1.5 s for thousands of them); parsing only up to the 65th open bracket finds the
        # same depth error at once. Brackets inside strings or comments just parse on.
        located = _limit_problems(text[:deep], source)
        if located:
            raise ScenarioError(located)
    return _parse(text, source, int_keys)


_BRACKETS = re.compile(r"[\[\]{}]")


def _deep_flow_end(text: str) -> int | None:
    """Where flow brackets first nest deeper than MAX_DEPTH, counting every bracket (a cheap,
    conservative trigger: the parser decides), or None."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None
    depth = 0
    for m in _BRACKETS.finditer(text):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        if depth > MAX_DEPTH:
            return m.end()
    return None


def _parse(text: str, source: str, int_keys: bool) -> tuple[Any, Locations]:
    b = _Builder(source, int_keys)
    yaml = YAML(typ="rt", pure=True)
    last: tuple[int, int] | None = None
    try:
        for e in yaml.parse(text):
            last = _pos(e)
            b.feed(e)
    except _Refused as r:
        line, col = r.loc or (None, None)
        b.problems.append(Problem(source, line, col, "", r.message))
        raise ScenarioError(b.problems) from None
    except MarkedYAMLError as e:
        b.problems.append(_marked_problem(e, source))
        raise ScenarioError(b.problems) from None
    except ReaderError as e:
        line = text.count("\n", 0, e.position) + 1
        col = e.position - (text.rfind("\n", 0, e.position) + 1) + 1
        msg = f"YAML error: character {shown(chr(e.character)) if isinstance(e.character, int) else ''} is not allowed"
        raise ScenarioError([Problem(source, line, col, "", msg)]) from None
    except (YAMLError, RecursionError, MemoryError, ValueError, TypeError, IndexError, KeyError) as e:
        # ruamel's parser is not expected to raise these; if it ever does, it is still bad input
        line, col = last or (None, None)
        b.problems.append(Problem(source, line, col, "", f"YAML error: {shown(str(e), 200)}"))
        raise ScenarioError(b.problems) from None
    if b.problems:
        raise ScenarioError(b.problems)
    return b.root, dict(b.log)


_LIMIT_MESSAGES = ("nesting deeper than", "the document expands to more than", "aliases repeat more than")


def _limit_problems(prefix: str, source: str) -> list[Problem]:
    """The depth or size limits that parsing ``prefix`` runs into (located), if any."""
    try:
        _parse(prefix, source, int_keys=True)
    except ScenarioError as e:
        return [p for p in e.problems if p.message.startswith(_LIMIT_MESSAGES)]
    return []


def _too_large(text: str, source: str, size: str) -> ScenarioError:
    """The error for a text over the size limit: a depth or alias limit hit within its first
    :data:`TOO_LARGE_PREFIX` characters, located (a deeply nested or exploding file is usually why
    it is large), else 'file is too large'."""
    located = _limit_problems(text[:TOO_LARGE_PREFIX], source)
    if located:
        return ScenarioError(located)
    return ScenarioError(
        [Problem(source, None, None, "", f"file is too large ({size}; at most {MAX_CHARS:,} characters)")]
    )


def _marked_problem(e: MarkedYAMLError, source: str) -> Problem:
    mark = e.problem_mark or e.context_mark
    msg = " ".join(str(x) for x in (e.context, e.problem) if x).replace("\n", " ")
    line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
    return Problem(source, line, col, "", f"YAML error: {shown(msg, 300)[1:-1] if msg else 'invalid YAML'}")


def read_text(path: str | os.PathLike) -> str:
    """A scenario file's text (UTF-8, optional BOM); unreadable or non-UTF-8 files raise ScenarioError."""
    source = str(path)
    limit = 4 * MAX_CHARS  # UTF-8 needs at most 4 bytes a character
    try:
        with open(path, "rb") as f:
            raw = f.read(limit + 1)  # never more: a huge file is judged by its beginning
    except OSError as e:
        raise ScenarioError([Problem(source, None, None, "", f"cannot read file: {e.strerror or e}")]) from None
    if len(raw) > limit:
        raise _too_large(raw[:limit].decode("utf-8-sig", errors="ignore"), source, f"more than {limit:,} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ScenarioError([Problem(source, line, None, "", "file is not valid UTF-8 (save it as UTF-8)")]) from None
