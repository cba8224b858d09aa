"""Declaring a sweep: the ``sweep:`` section, ``--set PATH=VALUES`` flags, points, seeds and run ids.

A sweep varies scenario fields named by their path (the same paths as ``--set``), over value lists
and linear or logarithmic ranges, in a full factorial (``mode: grid``, the default) or pairwise
(``mode: zip``), with ``replicates`` independent random worlds per point::

    sweep:
      parameters:
        behaviour.p0: [0.001, 0.002, 0.004]             # a list of values
        fatigue.kappa: {log: [1e-3, 1e-1, 5]}           # 5 log-spaced values, 1e-3 ... 1e-1
        topology.params.relay_probability: {linear: [0.2, 1.0, 5]}  # 0.2, 0.4, ..., 1.0
        topology: [hub, dandelion]                      # any field, strings and mappings too
      mode: grid          # grid: every combination (default); zip: the i-th values together
      replicates: 10      # random worlds per point (default 1)
      seed: 7             # root seed (default: the scenario's seed)

On the command line ``--set PATH=v1,v2,v3`` (YAML values, comma separated; brackets make one list
value), ``--set PATH=log:1e-3:1e-1:5`` or ``--set PATH=lin:0:1:11`` adds a parameter or replaces the
file's one with the same path. ``{values: [...]}`` is the long form of a list; a single value is a
one-value parameter (it still gets a column). Range endpoints given as integers give integers
when every value is whole (``linear: [10, 50, 5]`` -> 10, 20, ..., 50).

Seeds (common random numbers): replicate ``k`` of every point runs with the scenario seed
``replicate_seed(root, k)``, derived from ``(root seed, k)`` only, never from the position of a run
in the grid or the order of execution. All points of replicate ``k`` that share the population,
graph and account fields therefore see the very same follower world, so differences between points
are paired comparisons. ``seed`` itself cannot be swept: use ``replicates`` and the root seed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.scenario.errors import Problem, ScenarioError
from simulator.scenario.overrides import parse_path as parse_field_path
from simulator.scenario.yaml_io import parse_yaml

Loc = tuple[str, int | None, int | None]
MAX_RANGE_POINTS = 100_000
RANGE_KEYS = {"linear": "linear", "lin": "linear", "log": "log"}
_RANGE_TEXT = re.compile(r"^(lin|linear|log):(.*)$", re.IGNORECASE)


class SweepSection(BaseModel):
    """Schema of the ``sweep:`` section (parameter specs are checked by :func:`parse_values`)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    parameters: dict[str, Any] = Field(default_factory=dict)
    mode: Literal["grid", "zip"] = "grid"
    replicates: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    seed: Annotated[int, Field(ge=0, lt=2**63)] | None = None


@dataclass(frozen=True)
class Parameter:
    """One swept field: its path, display name (``behaviour.p0``) and values."""

    path: tuple
    name: str
    values: tuple
    where: Loc = ("--set", None, None)  # where it was declared, for error messages
    label: str | None = None  # human name for charts and tables (English); not part of the fingerprint
    label_zh: str | None = None  # Chinese name (default: ``label``)

    def column(self) -> list[Any]:
        """The values as they appear in the tables' column (one dtype per column)."""
        return column_values(self.values)


@dataclass(frozen=True)
class SweepSpec:
    """A complete sweep definition: parameters, combination mode, replicates and root seed."""

    parameters: tuple[Parameter, ...]
    mode: str = "grid"
    replicates: int = 1
    seed: int = 0

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    def points(self) -> list[tuple]:
        """Every parameter point (a tuple of values in parameter order), in a stable order:
        grid = ``itertools.product`` with the first parameter outermost; zip = position."""
        if not self.parameters:
            return [()]
        values = [p.values for p in self.parameters]
        if self.mode == "zip":
            return list(zip(*values))
        return list(itertools.product(*values))

    def overrides(self, point: Sequence[Any]) -> list[tuple[tuple, Any]]:
        """Scenario overrides of one point, shorter paths first (``topology`` before
        ``topology.params.x``); a swept preset name becomes ``{preset: name}`` when other swept
        paths go inside ``topology``."""
        nested_topology = any(len(p.path) > 1 and p.path[0] == "topology" for p in self.parameters)
        out = []
        for p, v in zip(self.parameters, point):
            if p.path == ("topology",) and isinstance(v, str) and nested_topology:
                v = {"preset": v}
            out.append((p.path, v))
        return sorted(out, key=lambda o: len(o[0]))

    def label(self, point: Sequence[Any]) -> str:
        """``behaviour.p0=0.002, topology=hub`` (for messages)."""
        if not self.parameters:
            return "(no swept parameters)"
        return ", ".join(f"{p.name}={_show(v)}" for p, v in zip(self.parameters, point))

    def definition(self) -> dict[str, Any]:
        """JSON-able definition (manifest and resume fingerprint)."""
        return {
            "parameters": [{"path": p.name, "values": list(p.values)} for p in self.parameters],
            "mode": self.mode,
            "replicates": self.replicates,
            "seed": self.seed,
        }


# --- seeds and run ids ------------------------------------------------------------------------------


def replicate_seed(root: int, replicate: int) -> int:
    """Scenario seed of replicate ``replicate``: a function of ``(root, replicate)`` only (63 bits)."""
    state = np.random.SeedSequence([int(root), int(replicate)]).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def run_id(names: Sequence[str], point: Sequence[Any], replicate: int) -> str:
    """Stable id of a run: a hash of its swept values and replicate (not of its position)."""
    key = {"p": {n: v for n, v in zip(names, point)}, "r": int(replicate)}
    text = json.dumps(key, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- values ----------------------------------------------------------------------------------------


def _show(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    return str(v)


def _plain(v: Any) -> Any:
    """numpy scalars and tuples (from notebooks) to plain JSON-able values."""
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _plain(x) for k, x in v.items()}
    return v


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _tidy(x: float) -> float:
    """Round away floating-point noise (0.30000000000000004 -> 0.3), 12 significant digits."""
    return float(f"{x:.12g}")


def value_range(kind: str, start: Any, stop: Any, num: Any) -> list[Any]:
    """``linear`` or ``log`` spaced values from ``start`` to ``stop`` inclusive; ValueError if bad."""
    kind = RANGE_KEYS[kind.lower()]
    if not (_is_number(start) and _is_number(stop)):
        raise ValueError(f"{kind} range: start and stop must be numbers, got {start!r} and {stop!r}")
    if isinstance(num, float) and num.is_integer():
        num = int(num)
    if not isinstance(num, int) or isinstance(num, bool) or not 1 <= num <= MAX_RANGE_POINTS:
        raise ValueError(
            f"{kind} range: the number of values must be an integer from 1 to {MAX_RANGE_POINTS}, got {num!r}"
        )
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ValueError(f"{kind} range: start and stop must be finite")
    if kind == "log":
        if start <= 0 or stop <= 0:
            raise ValueError(f"log range: start and stop must be > 0, got {start!r} and {stop!r}")
        raw = np.geomspace(start, stop, num) if num > 1 else np.array([float(start)])
    else:
        raw = np.linspace(start, stop, num)
    values = [_tidy(float(x)) for x in raw]
    if isinstance(start, int) and isinstance(stop, int) and all(v.is_integer() for v in values):
        return [int(v) for v in values]
    return values


LABEL_KEYS = ("label", "label_zh")
MAX_LABEL = 200


def parse_parameter(spec: Any) -> tuple[list[Any], str | None, str | None]:
    """Values and optional labels of one parameter: the forms of :func:`parse_values`, and the long
    form may carry ``label:`` (English, used for both languages unless ``label_zh:`` is given)::

        behaviour.p0: {values: [0.01, 0.02], label: Repost probability, label_zh: 转发概率}
    """
    spec = _plain(spec)
    labels: dict[str, str] = {}
    if isinstance(spec, dict) and set(spec) - set(LABEL_KEYS):
        for key in LABEL_KEYS:
            if key not in spec:
                continue
            text = spec[key]
            if not isinstance(text, str) or not text.strip() or len(text) > MAX_LABEL:
                raise ValueError(f"{key}: expected a non-empty text of at most {MAX_LABEL} characters")
            labels[key] = text.strip()
        spec = {k: v for k, v in spec.items() if k not in LABEL_KEYS}
    return parse_values(spec), labels.get("label"), labels.get("label_zh")


def parse_values(spec: Any) -> list[Any]:
    """Values of one parameter from its spec: a list, ``{values: [...]}``, ``{linear: [a, b, n]}``,
    ``{log: [a, b, n]}``, a range string ``"log:a:b:n"`` / ``"lin:a:b:n"``, or a single value
    (labels: :func:`parse_parameter`). Raises ValueError with a message for the user."""
    spec = _plain(spec)
    if isinstance(spec, str):
        m = _RANGE_TEXT.match(spec.strip())
        if m:
            return _range_text(m.group(1), m.group(2))
    if isinstance(spec, dict):
        keys = set(spec)
        if len(keys) != 1 or not keys <= {"values", *RANGE_KEYS}:
            raise ValueError(
                "a mapping here must be {values: [...]}, {linear: [start, stop, num]} or "
                "{log: [start, stop, num]} (optionally with label: and label_zh:); to sweep a field "
                "whose value is a mapping, list the mappings: [{median: 5000, sigma: 0.5}, ...]"
            )
        ((key, arg),) = spec.items()
        if key == "values":
            if not isinstance(arg, list):
                raise ValueError(f"values: expected a list, got {arg!r}")
            values = arg
        else:
            if not isinstance(arg, list) or len(arg) != 3:
                raise ValueError(f"{key}: expected [start, stop, number of values], got {arg!r}")
            values = value_range(key, *arg)
    elif isinstance(spec, list):
        values = spec
    else:
        values = [spec]
    if not values:
        raise ValueError("no values (give at least one)")
    seen: list[str] = []
    for v in values:
        if v is None:
            raise ValueError("null is not a value that can be swept")
        key = json.dumps(v, sort_keys=True, default=str)
        if key in seen:
            raise ValueError(f"value {_show(v)} is listed twice")
        seen.append(key)
    return list(values)


def _range_text(kind: str, rest: str) -> list[Any]:
    parts = rest.split(":")
    if len(parts) != 3:
        raise ValueError(f"expected {kind}:START:STOP:NUM, e.g. log:1e-3:1e-1:5 or lin:0:1:11")
    nums = []
    for p in parts:
        try:
            nums.append(int(p) if re.fullmatch(r"[+-]?\d+", p.strip()) else float(p))
        except ValueError:
            raise ValueError(f"{kind} range: {p!r} is not a number") from None
    return value_range(kind, *nums)


def column_values(values: Sequence[Any]) -> list[Any]:
    """One consistent column type per parameter: numbers (ints promoted to float if mixed),
    booleans, strings, or JSON text for mappings, lists and mixed types."""
    vals = list(values)
    if all(isinstance(v, bool) for v in vals) or all(isinstance(v, str) for v in vals):
        return vals
    if all(_is_number(v) for v in vals):
        return [float(v) for v in vals] if any(isinstance(v, float) for v in vals) else vals
    return [
        v
        if isinstance(v, str) and not any(_is_number(x) for x in vals)
        else json.dumps(v, sort_keys=True, ensure_ascii=False)
        for v in vals
    ]


def parse_path(text: str) -> tuple:
    """A swept field's path (:func:`simulator.scenario.overrides.parse_path`), refusing the fields
    that cannot vary between runs of one sweep."""
    path = parse_field_path(text)
    if path[0] == "seed":
        raise ValueError(
            "seed cannot be swept: each replicate's seed derives from the root seed "
            "(use replicates and --seed / sweep.seed)"
        )
    if path[0] == "sweep":
        raise ValueError("the sweep section itself cannot be swept")
    return path


def parse_sets(texts: Sequence[str]) -> list[tuple[str, list[Any]]]:
    """Every ``--set`` flag of a command line (:func:`parse_set`); all problems at once, as one
    :class:`ScenarioError` naming ``--set`` and the field."""
    out, problems = [], []
    for t in texts:
        try:
            out.append(parse_set(t))
        except ValueError as e:
            problems.append(Problem("--set", None, None, t.partition("=")[0], str(e)))
    if problems:
        raise ScenarioError(problems)
    return out


def parse_set(text: str) -> tuple[str, list[Any]]:
    """A ``--set`` flag: ``PATH=v1,v2`` / ``PATH=log:a:b:n`` / ``PATH=lin:a:b:n`` -> (path, values).

    Values are YAML 1.2 (``1e-3`` is a number, ``hub`` a string); a comma separates values unless
    it sits inside brackets or braces, so ``PATH=[a,b]`` is one list value."""
    if "=" not in text:
        raise ValueError(
            f"--set {text!r}: expected PATH=VALUES, e.g. behaviour.p0=0.001,0.002 or fatigue.kappa=log:1e-3:1e-1:5"
        )
    key, _, raw = text.partition("=")
    parse_path(key)
    raw = raw.strip()
    if not raw:
        raise ValueError(f"--set {text!r}: no values after '='")
    m = _RANGE_TEXT.match(raw)
    if m:
        return key.strip(), _range_text(m.group(1), m.group(2))
    try:
        values, _ = parse_yaml(f"[{raw}]", "--set")
    except ScenarioError as e:
        raise ValueError(f"--set {text!r}: cannot read the values ({e.problems[0].message})") from None
    return key.strip(), parse_values(values)


# --- the sweep section ----------------------------------------------------------------------------------


def _where(source: str, locs: Mapping[tuple, tuple[int, int]], path: tuple) -> Loc:
    for n in range(len(path), 0, -1):
        if path[:n] in locs:
            line, col = locs[path[:n]]
            return (source, line, col)
    return (source, None, None)


def _problem(where: Loc, path: str, message: str) -> Problem:
    return Problem(where[0], where[1], where[2], path, message)


def parse_section(
    section: Any, source: str, locs: Mapping[tuple, tuple[int, int]] | None = None
) -> tuple[SweepSection, list[Parameter]]:
    """Validate a ``sweep:`` section; raise :class:`ScenarioError` listing every problem as
    ``FILE:LINE:COL: sweep.field: message``."""
    locs = locs or {}
    if section is None:
        section = {}
    if not isinstance(section, dict):
        w = _where(source, locs, ("sweep",))
        raise ScenarioError([_problem(w, "sweep", "expected a mapping with parameters:, replicates:, mode:, seed:")])
    problems: list[Problem] = []
    sec = None
    try:
        sec = SweepSection.model_validate(section, strict=True)
    except ValidationError as e:
        for err in e.errors():
            loc = ("sweep",) + tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                msg = f"unknown field {loc[-1]!r}; expected one of: {', '.join(SweepSection.model_fields)}"
            else:
                msg = err["msg"].removeprefix("Value error, ")
                if "input" in err and not isinstance(err["input"], (dict, list)) and "got" not in msg:
                    msg += f" (got {err['input']!r})"
            problems.append(_problem(_where(source, locs, loc), ".".join(map(str, loc)), msg))
    params: list[Parameter] = []
    specs = section.get("parameters")
    for name, spec in specs.items() if isinstance(specs, dict) else []:
        loc = ("sweep", "parameters", name)
        where = _where(source, locs, loc)
        try:
            path = parse_path(name)
            values, label, label_zh = parse_parameter(spec)
        except ValueError as e:
            problems.append(_problem(where, f"sweep.parameters.{name}", str(e)))
            continue
        params.append(Parameter(path, ".".join(map(str, path)), tuple(values), where, label, label_zh))
    if problems or sec is None:
        raise ScenarioError(sorted(problems, key=lambda p: (p.line or 0, p.col or 0)))
    return sec, params


def _merge_params(
    file_params: list[Parameter], extra: Mapping[str, Any] | Sequence[tuple[str, Any]] | None, problems: list[Problem]
) -> list[Parameter]:
    """The file's parameters with the CLI / API ones merged in (same path: replaced in place,
    keeping the file's labels unless new ones are given; new paths appended)."""
    params = list(file_params)
    items = list(extra.items()) if isinstance(extra, Mapping) else list(extra or [])
    seen_extra: set[tuple] = set()
    for name, spec in items:
        try:
            path = parse_path(str(name))
            values, label, label_zh = parse_parameter(spec)
        except ValueError as e:
            problems.append(Problem("--set", None, None, str(name), str(e)))
            continue
        if path in seen_extra:
            problems.append(Problem("--set", None, None, str(name), "given twice"))
            continue
        seen_extra.add(path)
        new = Parameter(path, ".".join(map(str, path)), tuple(values), label=label, label_zh=label_zh)
        for i, p in enumerate(params):
            if p.path == path:
                if label is None and label_zh is None:
                    new = Parameter(new.path, new.name, new.values, new.where, p.label, p.label_zh)
                params[i] = new
                break
        else:
            params.append(new)
    return params


def _overlaps(params: list[Parameter]) -> list[Problem]:
    """Swept paths inside one another (other than ``topology`` with ``topology.params.x``)."""
    out = []
    names = [p.path for p in params]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if (a[: len(b)] == b or b[: len(a)] == a) and min(a, b, key=len) != ("topology",):
                out.append(
                    Problem(
                        "--set", None, None, ".".join(map(str, a)), f"overlaps the swept path {'.'.join(map(str, b))}"
                    )
                )
    return out


def build_spec(
    section: SweepSection,
    file_params: list[Parameter],
    extra: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    mode: str | None = None,
    default_seed: int = 0,
) -> SweepSpec:
    """Combine the file's section with parameters from the CLI / API (same path: replaced in place;
    new paths appended). ``seed`` > ``sweep.seed`` > ``default_seed`` (the scenario's seed)."""
    problems: list[Problem] = []
    params = _merge_params(file_params, extra, problems)
    mode = mode or section.mode
    if mode not in ("grid", "zip"):
        problems.append(Problem("--mode", None, None, "", f"mode must be grid or zip, got {mode!r}"))
    reps = section.replicates if replicates is None else replicates
    if not isinstance(reps, int) or isinstance(reps, bool) or not 1 <= reps <= 1_000_000:
        problems.append(Problem("--replicates", None, None, "", f"replicates must be an integer >= 1, got {reps!r}"))
    root = seed if seed is not None else section.seed if section.seed is not None else default_seed
    if not isinstance(root, int) or isinstance(root, bool) or not 0 <= root < 2**63:
        problems.append(Problem("--seed", None, None, "", f"the root seed must be an integer >= 0, got {root!r}"))
    if mode == "zip" and params:
        lengths = {p.name: len(p.values) for p in params}
        if len(set(lengths.values())) > 1:
            w = params[0].where
            problems.append(
                Problem(
                    w[0],
                    w[1],
                    w[2],
                    "sweep.mode",
                    "zip needs the same number of values for every parameter, got "
                    + ", ".join(f"{k}: {v}" for k, v in lengths.items()),
                )
            )
    problems.extend(_overlaps(params))
    if problems:
        raise ScenarioError(problems)
    return SweepSpec(tuple(params), mode, reps, root)


# --- the baseline of paired differences ------------------------------------------------------------------


def parse_baseline(texts: Sequence[str]) -> dict[str, Any]:
    """``--baseline PATH=VALUE`` flags (YAML values) -> ``{path: value}``; ScenarioError if malformed."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for text in texts:
        key, eq, raw = text.partition("=")
        if not eq or not key.strip() or not raw.strip():
            problems.append(Problem("--baseline", None, None, key.strip(), f"{text!r}: expected PATH=VALUE"))
            continue
        try:
            value, _ = parse_yaml(raw, "--baseline")
        except ScenarioError as e:
            problems.append(Problem("--baseline", None, None, key.strip(), e.problems[0].message))
            continue
        if key.strip() in out:
            problems.append(Problem("--baseline", None, None, key.strip(), "given twice"))
        out[key.strip()] = value
    if problems:
        raise ScenarioError(problems)
    return out


def _same_value(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)
    return json.dumps(_plain(a), sort_keys=True, default=str) == json.dumps(_plain(b), sort_keys=True, default=str)


def resolve_baseline(spec: SweepSpec, baseline: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The baseline of the sweep's paired differences as ``{parameter: column value}``.

    Default: the first value of the first swept parameter. Given: each path must be a swept
    parameter and each value one of its values (ScenarioError naming ``--baseline`` otherwise).
    A point is compared with the point that has the baseline's values on the baseline's
    parameters and its own values on the others (grid mode), or with the single point that
    matches the baseline (zip mode); see :func:`simulator.sweeps.differences.paired_differences`."""
    if not spec.parameters:
        return {}
    problems: list[Problem] = []
    if baseline:
        out = _check_baseline(spec, baseline, problems)
    else:
        out = {spec.parameters[0].name: spec.parameters[0].column()[0]}
    if not problems and spec.mode == "zip" and len(out) < len(spec.parameters):
        # zip: the baseline is one point; fill in its other coordinates
        pos = [i for i, pt in enumerate(spec.points()) if all(_same_col(spec, pt, n, v) for n, v in out.items())]
        if len(pos) != 1:
            problems.append(Problem("--baseline", None, None, "", "in zip mode the baseline must name one point"))
        else:
            out = {p.name: p.column()[pos[0]] for p in spec.parameters}
    if problems:
        raise ScenarioError(problems)
    return out


def _check_baseline(spec: SweepSpec, baseline: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    by_name = {p.name: p for p in spec.parameters}
    out: dict[str, Any] = {}
    for name, value in baseline.items():
        try:
            key = ".".join(map(str, parse_field_path(str(name))))
        except ValueError:
            key = str(name)
        param = by_name.get(key)
        if param is None:
            problems.append(
                Problem("--baseline", None, None, str(name), f"not a swept parameter; swept: {', '.join(by_name)}")
            )
            continue
        hits = [i for i, v in enumerate(param.values) if _same_value(v, value)]
        if not hits:
            shown = ", ".join(_show(v) for v in param.values)
            problems.append(
                Problem("--baseline", None, None, key, f"{_show(_plain(value))} is not one of its values ({shown})")
            )
            continue
        out[key] = param.column()[hits[0]]
    return out


def _same_col(spec: SweepSpec, point: tuple, name: str, column_value: Any) -> bool:
    i = spec.names.index(name)
    param = spec.parameters[i]
    j = next(k for k, v in enumerate(param.values) if _same_value(v, point[i]))
    return bool(param.column()[j] == column_value)
