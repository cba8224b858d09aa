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
import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from simulator import defaults as D
from simulator.scenario import presets
from simulator.scenario.errors import Problem, ScenarioError, fmt_path
from simulator.scenario.locate import Locator, validation_problems
from simulator.scenario.matrix import Matrix, build_matrix
from simulator.scenario.overrides import apply_override, parse_overrides
from simulator.scenario.paths import resolve_scenario_path
from simulator.scenario.schema import Scenario
from simulator.scenario.yaml_io import Locations, parse_yaml, read_text


@dataclass
class LoadedScenario:
    """A validated scenario and its expanded account matrix."""

    scenario: Scenario
    matrix: Matrix
    source: str
    estimated_bytes: int


def estimate_memory(sc: Scenario, matrix: Matrix) -> int:
    """Rough peak bytes of building and running the scenario (see README 'Scale')."""
    n = sc.population.size
    items = max(1, len(matrix.items))
    edges_ff = n * sc.graph.mean_followees
    edges_acc = 0.0
    for a in matrix.accounts:
        mean = a.followers.median * float(math.exp(a.followers.sigma**2 / 2))
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


def load_document(
    doc: Any,
    source: str,
    locs: dict[tuple, tuple[int, int]] | None = None,
    overrides: list[tuple[tuple, Any]] | None = None,
    check_memory: bool = True,
    scale: float | None = None,
) -> LoadedScenario:
    """Validate a scenario given as plain Python data (e.g. parsed YAML or a dict from a notebook).

    ``scale`` multiplies the population size and every account's follower count (e.g. 0.05 for
    a quick run at 5% size with the same shape); it is applied after the preset is expanded.
    """
    locs = locs or {}
    if not isinstance(doc, dict):
        raise ScenarioError(
            [Problem(source, 1, 1, "", "a scenario file must be a mapping of fields (name:, topology:, ...)")]
        )
    doc = copy.deepcopy(doc)
    section = doc.pop("sweep", None)
    if section is not None:
        # a sweep definition belongs to `propsim sweep`; elsewhere it is checked, then ignored
        from simulator.scenario.sweep_spec import parse_section

        parse_section(section, source, locs)
    overridden: set[tuple] = set()
    problems: list[Problem] = []
    for path, value in overrides or []:
        try:
            apply_override(doc, path, value)
            overridden.add(path)
        except ValueError as e:
            problems.append(Problem("--set", None, None, fmt_path(path), str(e)))
    if problems:
        raise ScenarioError(problems)

    origin: dict[tuple, tuple] = {}
    locate = Locator(source, locs, origin, overridden)
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
                    raise ScenarioError(validation_problems(e, doc, locate, ("topology", "params"))) from None
                src, line, col = locate(name_path)
                raise ScenarioError([Problem(src, line, col, fmt_path(name_path), str(e))]) from None
            doc, origin_new = presets.merge_preset(doc, frag)
            origin.update(origin_new)
            if isinstance(topo, str):
                doc["topology"] = {"preset": canon}
            else:
                doc["topology"] = {**spec, "preset": canon}
    try:
        sc = Scenario.model_validate(doc, strict=True)
    except ValidationError as e:
        raise ScenarioError(validation_problems(e, doc, locate)) from None
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
            raise ScenarioError(
                [
                    locate.problem(
                        ("population", "size"),
                        f"this scenario would need about {need / 1e9:.1f} GB of memory (population {sc.population.size:,}, "
                        f"{sc.graph.mean_followees:g} followees each, {len(matrix.items)} items) but only "
                        f"{have / 1e9:.1f} GB is available; reduce population.size or graph.mean_followees",
                    )
                ]
            )
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


def load_text(
    text: str,
    source: str = "<scenario>",
    overrides: list[str] | None = None,
    seed: int | None = None,
    check_memory: bool = True,
    scale: float | None = None,
) -> LoadedScenario:
    """Load a scenario from YAML text. ``overrides`` are ``PATH=VALUE`` strings (as ``--set``)."""
    doc, locs = parse_yaml(text, source)
    parsed = parse_overrides(overrides)
    if seed is not None:
        parsed.append((("seed",), seed))
    return load_document(doc, source, locs, parsed, check_memory=check_memory, scale=scale)


def load(
    path: str | os.PathLike,
    overrides: list[str] | None = None,
    seed: int | None = None,
    check_memory: bool = True,
    scale: float | None = None,
) -> LoadedScenario:
    """Load and validate a scenario file (UTF-8). Raises :class:`ScenarioError` on any problem.

    >>> loaded = load("scenarios/hub.yaml", overrides=["population.size=20000"])  # doctest: +SKIP
    """
    return load_text(read_text(path), str(path), overrides, seed, check_memory, scale)


def read_scenario(scenario: str | os.PathLike | Mapping[str, Any]) -> tuple[dict, Locations, str, str]:
    """``(document, locations, source, text)`` of a scenario given as a path, the name of a bundled
    scenario (``hub``) or a mapping (a copy is returned); raises :class:`ScenarioError`."""
    if isinstance(scenario, Mapping):
        doc = copy.deepcopy(dict(scenario))
        return doc, {}, "<scenario>", json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1, default=str)
    if not isinstance(scenario, (str, os.PathLike)):
        raise TypeError(f"scenario must be a path or a mapping, got {type(scenario).__name__}")
    path = resolve_scenario_path(os.fspath(scenario))
    source = str(path)
    text = read_text(path)
    doc, locs = parse_yaml(text, source)
    if not isinstance(doc, dict):
        raise ScenarioError(
            [Problem(source, 1, 1, "", "a scenario file must be a mapping of fields (name:, topology:, ...)")]
        )
    return doc, locs, source, text
