"""Scenario errors: every problem located as ``FILE:LINE:COL: field.path: message``."""

from __future__ import annotations

from dataclasses import dataclass

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


def fmt_path(path: tuple) -> str:
    """``("relays", 2, "target")`` -> ``"relays.2.target"``."""
    return ".".join(str(p) for p in path)
