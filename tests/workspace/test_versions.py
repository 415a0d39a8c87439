"""Every package moves in lockstep and pins its siblings exactly."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECTS = sorted((ROOT / "packages").glob("*/pyproject.toml"))
PROJECTS = {p.parent.name: tomllib.loads(p.read_text())["project"] for p in PYPROJECTS}
REQ = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?\s*(?P<spec>[^;]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(project: dict) -> list[str]:
    reqs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return reqs


def unpinned(projects: dict[str, dict]) -> list[str]:
    """Each requirement of a package on a sibling that is not ``==<the sibling's version>``,
    extras included, however the sibling's name is spelled."""
    versions = {_canonical(name): p["version"] for name, p in projects.items()}
    wrong = []
    for name, project in projects.items():
        for req in _requirements(project):
            m = REQ.match(req)
            assert m, f"{name}: unparsable requirement {req!r}"
            sibling = _canonical(m["name"])
            if sibling in versions and "".join(m["spec"].split()) != f"=={versions[sibling]}":
                wrong.append(f"{name} must pin {sibling}=={versions[sibling]}, got {req!r}")
    return wrong


def test_six_packages_exist() -> None:
    assert set(PROJECTS) == {
        "concurry",
        "concurry-futures",
        "concurry-limits",
        "concurry-retry",
        "concurry-workers",
        "concurry-ray",
    }
    for folder, project in PROJECTS.items():
        assert project["name"] == folder
        module = folder.replace("-", "_")
        src = ROOT / "packages" / folder / "src" / module
        assert (src / "__init__.py").is_file(), src
        assert (src / "py.typed").is_file(), src
        assert (ROOT / "packages" / folder / "README.md").is_file()


def test_one_version_for_all_packages() -> None:
    versions = {name: p["version"] for name, p in PROJECTS.items()}
    assert len(set(versions.values())) == 1, f"packages disagree on the version: {versions}"
    init = (ROOT / "packages/concurry/src/concurry/__init__.py").read_text()
    assert f'__version__ = "{next(iter(versions.values()))}"' in init


def test_internal_dependencies_are_exact_pins() -> None:
    assert unpinned(PROJECTS) == []
    every_pin = [r for p in PROJECTS.values() for r in _requirements(p) if r.startswith("concurry")]
    assert "concurry-ray==0.1.0" in every_pin  # the umbrella's [ray] extra is checked too


def test_the_pin_check_catches_loose_pins() -> None:
    projects: dict[str, dict] = {
        "pkg-a": {"version": "1.0", "dependencies": ["Pkg_B>=1.0", "pkg.c==1.0", "other>=2"]},
        "pkg-b": {
            "version": "1.0",
            "optional-dependencies": {"x": ["PKG-A[y] == 1.0 ; os_name == 'nt'"]},
        },
        "pkg-c": {
            "version": "1.0",
            "optional-dependencies": {"x": ["pkg_a[y]==0.9", "pkg-a~=1.0"]},
        },
    }
    assert unpinned(projects) == [
        "pkg-a must pin pkg-b==1.0, got 'Pkg_B>=1.0'",
        "pkg-c must pin pkg-a==1.0, got 'pkg_a[y]==0.9'",
        "pkg-c must pin pkg-a==1.0, got 'pkg-a~=1.0'",
    ]


def test_every_member_is_a_workspace_source() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    sources = root["tool"]["uv"]["sources"]
    for name in PROJECTS:
        assert sources.get(name) == {"workspace": True}, name
    assert "exclude-newer" in root["tool"]["uv"]
