"""Scenario errors: every problem located as ``FILE:LINE:COL: field.path: message``.

Messages echo user input, which may be hostile (a 1 MB name, NUL or right-to-left override
characters): :func:`shown` and :meth:`Problem.__str__` escape control and bidirectional-format
characters and truncate long values, so a message never carries more than a few hundred
characters of what the user wrote (the ``FILE:LINE:COL`` is enough to find the rest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Loc = tuple[str, int | None, int | None]  # (source name, line, column), 1-based

MAX_SHOWN = 80  # characters of a user value echoed in a message
MAX_MESSAGE = 1000  # characters of one message (lists of expected keys fit)
MAX_PATH = 200  # characters of a field path in a message

# C0/C1 controls, DEL, and the Unicode bidirectional formatting characters (LRM/RLM, ALM,
# embeddings/overrides U+202A-202E, isolates U+2066-2069) that can make text display in a
# different order than it is stored ("Trojan Source").
UNSAFE_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_unsafe(text: str) -> str:
    """``text`` with every unsafe character written as a visible escape (``\\x00``, ``\\u202e``)."""

    def esc(m: re.Match[str]) -> str:
        c = ord(m.group())
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"

    return UNSAFE_CHARS.sub(esc, text)


def truncate(text: str, limit: int) -> str:
    """At most about ``limit`` characters: long text keeps its start and says how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[: max(0, limit - 20)]}...({len(text):,} chars)"


def shown(value: Any, limit: int = MAX_SHOWN) -> str:
    """A user value for a message: ``repr`` for strings, escaped and truncated."""
    if isinstance(value, str):
        # slice first: repr of a 1 MB string would cost 1 MB again
        text = repr(value[: limit + 1])
        if len(value) > limit:
            return escape_unsafe(f"{text[: limit - 1]}...' ({len(value):,} chars)")
        return escape_unsafe(text)
    if isinstance(value, (dict, list, tuple, set)):
        return truncate(escape_unsafe(repr(value)[: 4 * limit]), limit)
    return truncate(escape_unsafe(repr(value)), limit)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located in its file."""

    source: str
    line: int | None
    col: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = escape_unsafe(truncate(self.source, MAX_PATH))
        if self.line is not None:
            where += f":{self.line}:{self.col or 1}"
        message = escape_unsafe(truncate(self.message, MAX_MESSAGE))
        if self.path:
            return f"{where}: {escape_unsafe(truncate(self.path, MAX_PATH))}: {message}"
        return f"{where}: {message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; ``problems`` lists every issue found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def fmt_path(path: tuple) -> str:
    """``("relays", 2, "target")`` -> ``"relays.2.target"``."""
    return ".".join(str(p) for p in path)
