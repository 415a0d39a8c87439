"""No package has an import cycle among its own modules (ARCHITECTURE.md section 4).

The graph counts every ``import`` and ``from ... import`` in a module, including
those inside functions (a lazy import still states a dependency), and skips
those under ``if TYPE_CHECKING:`` (they never run). ``from pkg import name``
where ``pkg.name`` is a module is an import of that module; otherwise it is an
import of ``pkg``. Dynamic lookups by name (``importlib.import_module``) are not
imports and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p for p in (ROOT / "packages").glob("*/src/*") if (p / "__init__.py").is_file())

Graph = dict[str, set[str]]


def _module_name(src: Path, path: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


class _Imports(ast.NodeVisitor):
    """Collects the absolute names a module imports, outside ``if TYPE_CHECKING:``."""

    def __init__(self, module: str, is_package: bool) -> None:
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[tuple[str, tuple[str, ...]]] = []  # (module, names from it)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.extend((alias.name, ()) for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            parts = self.package.split(".")
            base = parts[: len(parts) - (node.level - 1)]
            module = ".".join([*base, node.module] if node.module else base)
        else:
            module = node.module or ""
        self.found.append((module, tuple(alias.name for alias in node.names)))


def import_graph(package_dir: Path) -> Graph:
    """The graph ``module -> modules of the same package it imports`` of one package."""
    src = package_dir.parent
    paths = {_module_name(src, p): p for p in sorted(package_dir.rglob("*.py"))}
    graph: Graph = {name: set() for name in paths}
    for name, path in paths.items():
        visitor = _Imports(name, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(), str(path)))
        for module, names in visitor.found:
            targets = [f"{module}.{n}" for n in names if f"{module}.{n}" in paths]
            if len(targets) < len(names) or not names:
                targets.append(module)
            graph[name].update(t for t in targets if t in paths and t != name)
    return graph


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle as ``[a, b, ..., a]``, or None when the graph is acyclic."""
    done: set[str] = set()
    for root in sorted(graph):
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root}
        stack = [iter(sorted(graph[root]))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                continue
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt in done:
                continue
            path.append(nxt)
            on_path.add(nxt)
            stack.append(iter(sorted(graph[nxt])))
    return None


@pytest.mark.parametrize("package_dir", PACKAGES, ids=lambda p: p.name)
def test_no_import_cycle(package_dir: Path) -> None:
    cycle = find_cycle(import_graph(package_dir))
    assert cycle is None, f"{package_dir.name} has an import cycle: {' -> '.join(cycle or [])}"


def test_checker_sees_function_level_imports_and_skips_type_checking(tmp_path: Path) -> None:
    pkg = tmp_path / "demo"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from demo.a import A\n")
    (pkg / "a.py").write_text(
        "TYPE_CHECKING = False\nif TYPE_CHECKING:\n    from demo import b\n"
        "A = 1\ndef f():\n    from .sub import c\n"
    )
    (pkg / "b.py").write_text("import demo.a\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "c.py").write_text("from .. import b\n")
    graph = import_graph(pkg)
    assert graph == {
        "demo": {"demo.a"},
        "demo.a": {"demo.sub.c"},
        "demo.b": {"demo.a"},
        "demo.sub": set(),
        "demo.sub.c": {"demo.b"},
    }
    assert find_cycle(graph) == ["demo.a", "demo.sub.c", "demo.b", "demo.a"]
    (pkg / "b.py").write_text("import json\n")
    assert find_cycle(import_graph(pkg)) is None
