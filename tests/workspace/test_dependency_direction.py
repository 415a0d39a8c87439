"""No package imports a distribution it does not declare (ARCHITECTURE.md section 2).

Every import in every module is checked, including imports inside functions,
so a lazily imported dependency must be declared too.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.parent for p in (ROOT / "packages").glob("*/pyproject.toml"))
_DISTS = packages_distributions()


def _canon(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _declared(folder: Path) -> set[str]:
    project = tomllib.loads((folder / "pyproject.toml").read_text())["project"]
    reqs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    names = set()
    for req in reqs:
        name = req.split(";")[0]
        for stop in "[<>=!~ ":
            name = name.split(stop)[0]
        names.add(_canon(name))
    return names


def _imports(src: Path) -> set[tuple[str, str]]:
    found = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update((a.name.split(".")[0], str(path)) for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add((node.module.split(".")[0], str(path)))
    return found


def _distribution(module: str) -> str | None:
    if module in sys.stdlib_module_names or module == "__future__":
        return None
    if module.startswith("concurry"):
        return _canon(module)
    dists = _DISTS.get(module)
    return _canon(dists[0]) if dists else _canon(module)


@pytest.mark.parametrize("folder", PACKAGES, ids=lambda p: p.name)
def test_imports_are_declared(folder: Path) -> None:
    own = _canon(folder.name)
    declared = _declared(folder)
    undeclared = sorted(
        f"{module} (in {Path(path).relative_to(ROOT)})"
        for module, path in _imports(folder / "src")
        if (dist := _distribution(module)) not in (None, own) and dist not in declared
    )
    assert not undeclared, f"{folder.name} imports undeclared packages: {undeclared}"


def test_dependency_graph_is_the_documented_dag() -> None:
    internal = {
        p.name: sorted(d for d in _declared(p) if d.startswith("concurry")) for p in PACKAGES
    }
    assert internal == {
        "concurry": [
            "concurry-futures",
            "concurry-limits",
            "concurry-ray",
            "concurry-retry",
            "concurry-workers",
        ],
        "concurry-futures": [],
        "concurry-limits": [],
        "concurry-retry": [],
        "concurry-ray": ["concurry-futures", "concurry-limits", "concurry-workers"],
        "concurry-workers": ["concurry-futures", "concurry-limits", "concurry-retry"],
    }


@pytest.mark.parametrize("name", ["concurry-limits", "concurry-retry"])
def test_standard_library_only_packages(name: str) -> None:
    project = tomllib.loads((ROOT / "packages" / name / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == []
