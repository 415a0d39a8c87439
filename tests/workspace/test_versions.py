"""Every package moves in lockstep and pins its siblings exactly."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECTS = sorted((ROOT / "packages").glob("*/pyproject.toml"))
PROJECTS = {p.parent.name: tomllib.loads(p.read_text())["project"] for p in PYPROJECTS}
REQ = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(?P<spec>.*)$")


def _requirements(project: dict) -> list[str]:
    reqs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        reqs.extend(extra)
    return reqs


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
    version = next(iter(PROJECTS.values()))["version"]
    for name, project in PROJECTS.items():
        for req in _requirements(project):
            m = REQ.match(req)
            assert m, req
            if m["name"] in PROJECTS:
                assert m["spec"] == f"=={version}", (
                    f"{name} must pin {m['name']}=={version}, got {req!r}"
                )


def test_every_member_is_a_workspace_source() -> None:
    root = tomllib.loads((ROOT / "pyproject.toml").read_text())
    sources = root["tool"]["uv"]["sources"]
    for name in PROJECTS:
        assert sources.get(name) == {"workspace": True}, name
    assert "exclude-newer" in root["tool"]["uv"]
