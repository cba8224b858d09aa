"""The package map: imports point one way, down the pipeline, and no module imports itself in a circle.

scenario file -> validated config (``scenario``) -> built world (``world``) -> model run (``ic`` kernels,
``engine``) -> results (``results``) -> sweeps, comparisons, calibration, validation -> plots and decks
(``plotting``) -> the command line and the app. A module may import from its own package and from
any lower layer, never from a higher one or from a sibling package of its own layer. Imports under
``if TYPE_CHECKING:`` (annotations only) are exempt.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "simulator"

# Small shared modules (defaults, compute backend, seeds and keyed random streams): one unit at the base.
BASE = ("simulator.defaults", "simulator.backend", "simulator.seeding", "simulator.streams")
LAYERS: dict[str, int] = {
    "simulator.base": 0,
    "simulator.scenario": 1,
    "simulator.world": 2,
    "simulator.ic": 3,
    "simulator.engine": 4,
    "simulator.results": 5,
    "simulator.calibration": 6,
    "simulator.validation": 6,
    "simulator.sweeps": 6,
    "simulator.plotting": 7,
    "simulator.cli": 8,
    "simulator.app": 8,
}


def _unit(module: str) -> str | None:
    """The layered unit (package or base module) a module belongs to."""
    if module in BASE:
        return "simulator.base"  # small shared modules (defaults, backend, random streams): one unit
    parts = module.split(".")
    for n in (2, 1):
        name = ".".join(parts[:n])
        if name in LAYERS:
            return name
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) of every runtime import in a file, relative imports resolved."""
    mod = _module_name(path)
    package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
    out: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    visit(sub)
                continue
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    name = ".".join(base + ([child.module] if child.module else []))
                else:
                    name = child.module or ""
                # `from simulator.scenario import presets` imports the module scenario.presets; other
                # names come from `name` itself (resolved against the module list in _graph)
                out.extend((f"{name}\0{a.name}", child.lineno) for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return out


def _graph() -> dict[str, list[tuple[str, int]]]:
    modules = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph: dict[str, list[tuple[str, int]]] = {}
    for name, path in modules.items():
        deps = []
        for m, line in _imports(path):
            base, _, attr = m.partition("\0")
            target = f"{base}.{attr}" if attr and f"{base}.{attr}" in modules else base
            if target in modules and target != name:
                deps.append((target, line))
        graph[name] = deps
    return graph


def test_every_module_has_a_layer():
    unlayered = [m for m in _graph() if m != "simulator" and _unit(m) is None and not m.startswith("simulator.data")]
    assert unlayered == [], f"add these to LAYERS in {__file__}: {unlayered}"


def test_imports_point_down_the_pipeline():
    bad = []
    for mod, deps in _graph().items():
        if mod == "simulator":  # the lazy facade re-exports from every stage
            continue
        src = _unit(mod)
        for dep, line in deps:
            dst = _unit(dep)
            if src is None or dst is None or dst == src or dep == "simulator":
                continue
            if LAYERS[dst] >= LAYERS[src]:
                bad.append(f"{mod}:{line} imports {dep} ({dst} is layer {LAYERS[dst]}, {src} is {LAYERS[src]})")
    assert bad == [], "\n".join(bad)


def test_no_import_cycles():
    graph = {m: sorted({d for d, _ in deps}) for m, deps in _graph().items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph.get(node, []):
            if nxt == "simulator":
                continue
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m)
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("limit", [600])
def test_modules_stay_small(limit):
    """No module over ~600 lines except the numba kernel modules (one loop per kernel, on purpose)."""
    kernels = {"simulator/ic/kernels_numba.py"}
    big = {
        str(p.relative_to(ROOT)): n
        for p in PKG.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit
    }
    assert {k: v for k, v in big.items() if k not in kernels} == {}
