"""The house rules of docs/architecture.md, checked on every module's syntax tree.

Imports point one way, search_spaces <- nas <- scaling_search <- results <- commands <- cli
(``effsearch``, the Python API package, sits at the same rank as ``cli``: both are front ends),
including imports inside functions and module paths handed to ``importlib`` as strings; no two
modules import each other through any chain; no module grows past 400 lines and no function past
80 (small modules, one concept per file).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: The layers, lowest first. A module may import its own layer and any layer below it.
LAYERS: tuple[str, ...] = (
    "search_spaces",
    "nas",
    "scaling_search",
    "results",
    "commands",
    "effsearch",
    "cli",
)
RANK = {name: i for i, name in enumerate(LAYERS)}
RANK["effsearch"] = RANK["cli"]  # the Python API and the command line are both front ends
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {"cli": ROOT / "cli.py"}
    for top in LAYERS[:-1]:
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve_relative(module: str, level: int, name: str | None) -> str:
    base = module.split(".")
    if not _is_package(module):
        base = base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([name] if name else []))


def imported_names(module: str, tree: ast.AST) -> Iterator[str]:
    """Every module path ``module`` imports: statements anywhere, and importlib string arguments."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                target = _resolve_relative(module, node.level, node.module)
            yield target
            for alias in node.names:  # ``from pkg import submodule``
                if f"{target}.{alias.name}" in MODULES:
                    yield f"{target}.{alias.name}"
        elif isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "attr", getattr(func, "id", ""))
            if name in ("import_module", "__import__") and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    yield first.value
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in MODULES:
            # a module path kept as a string for lazy loading; a bare top-level name such as
            # "effsearch" is also the project's name (cache folders, metadata), not an import
            if "." in node.value or node.value == "cli":
                yield node.value


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = {t for t in imported_names(module, tree) if t in MODULES and t != module}
        graph[module] |= {t for t in imported_names(module, tree) if t.split(".")[0] in RANK}
    return graph


GRAPH = _graph()


def test_every_import_points_down_the_layers() -> None:
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in GRAPH.items()
        for target in targets
        if RANK[target.split(".")[0]] > RANK[module.split(".")[0]]
    )
    assert upward == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root] & graph.keys())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child] & graph.keys()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_between_modules() -> None:
    graph = {
        module: {t for t in targets if t in MODULES and not _is_ancestor_package(t, module)}
        for module, targets in GRAPH.items()
    }
    assert _cycles(graph) == []


def _is_ancestor_package(target: str, module: str) -> bool:
    """``pkg`` imported from ``pkg.mod`` runs pkg/__init__.py first anyway: not a cycle of ours."""
    return module.startswith(target + ".")


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_small(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{MODULES[module]} has {lines} lines"


def test_functions_are_short() -> None:
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{module}.{node.name}: {length}")
    assert long == []
