"""Helpers of the installed-wheels tests (tests/workspace/test_wheels.py): build the
wheels, make fresh virtual environments from them, and run a copy of the tests there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = {
    p.parent.name: tomllib.loads(p.read_text())["project"]
    for p in sorted((ROOT / "packages").glob("*/pyproject.toml"))
}
#: The test tools a package's own test folder needs besides the package (the dev group's).
TEST_TOOLS = ("pytest", "pytest-asyncio", "pytest-timeout")
_REQ = re.compile(r"^\s*(?P<name>[A-Za-z0-9_.-]+)\s*(?:\[(?P<extras>[^\]]*)\])?")
_SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")


def canonical(name: str) -> str:
    """A distribution name in its normalised form (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def uv() -> list[str]:
    """The command that runs uv: the one `uv run` started us with, else uv on PATH."""
    if os.environ.get("UV"):  # set by `uv run` for its children
        return [os.environ["UV"]]
    if found := shutil.which("uv"):
        return [found]
    return [sys.executable, "-m", "uv"]


def run(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; fail the test with its output when it fails."""
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
    return proc.stdout


def internal_closure(package: str, extras: Iterable[str] = ()) -> set[str]:
    """``package`` and every workspace package it needs (with ``extras``), transitively."""
    seen: set[str] = set()
    todo = [(package, tuple(extras))]
    while todo:
        name, wanted = todo.pop()
        seen.add(name)
        project = PROJECTS[name]
        reqs = list(project.get("dependencies", []))
        for extra in wanted:
            reqs.extend(project.get("optional-dependencies", {})[extra])
        for req in reqs:
            m = _REQ.match(req)
            assert m, req
            dep = canonical(m["name"])
            if dep in PROJECTS and dep not in seen:
                sub = [e.strip() for e in (m["extras"] or "").split(",") if e.strip()]
                todo.append((dep, tuple(sub)))
    return seen


@dataclass(frozen=True)
class Wheelhouse:
    """Every package's wheel, built from this tree, and the lockfile's versions.

    Attributes:
        folder: The directory holding one wheel per package.
        constraints: The lockfile's third-party versions as a pip constraints file, so a
            fresh environment gets the versions the suite is tested with.
    """

    folder: Path
    constraints: Path

    def wheel(self, package: str) -> Path:
        """The wheel file of ``package``."""
        (path,) = self.folder.glob(f"{package.replace('-', '_')}-*.whl")
        return path

    def venv(self, where: Path, package: str, extras: Iterable[str] = (), *tools: str) -> Path:
        """A fresh virtual environment holding ``package``'s wheel, the wheels of the
        workspace packages it depends on, their third-party dependencies and ``tools``;
        returns its python. Nothing is installed from a source path."""
        extras = tuple(extras)
        reqs = []
        for name in sorted(internal_closure(package, extras)):
            wanted = f"[{','.join(extras)}]" if name == package and extras else ""
            reqs.append(f"{name}{wanted} @ {self.wheel(name).as_uri()}")
        run(*uv(), "venv", "--quiet", "--python", sys.executable, where)
        python = where / "bin" / "python"
        run(
            *uv(),
            "pip",
            "install",
            "--quiet",
            "--no-sources",
            "--python",
            python,
            "--constraints",
            self.constraints,
            *reqs,
            *tools,
        )
        return python


def build(folder: Path) -> None:
    dist = folder / "dist"
    run(*uv(), "build", "--all-packages", "--no-sources", "--wheel", "--out-dir", dist)
    run(
        *uv(),
        "export",
        "--frozen",
        "--all-packages",
        "--all-extras",
        "--all-groups",
        "--no-emit-workspace",
        "--no-hashes",
        "--quiet",
        "--output-file",
        folder / "constraints.txt",
    )
    (folder / "built").write_text("\n".join(sorted(p.name for p in dist.glob("*.whl"))))


@dataclass(frozen=True)
class FolderRun:
    """The outcome of a test folder run in an installed environment."""

    counts: dict[str, int]
    summary: str  # pytest's last line, and the reason of each skip (-ra)


def _clean_env(python: Path) -> dict[str, str]:
    """This process's environment without anything that points into the source tree or
    at this pytest session (PYTHONPATH, VIRTUAL_ENV, PYTEST_*), with ``python``'s venv active."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "PYTHON", "VIRTUAL_ENV", "UV_PROJECT"))
    }
    env["VIRTUAL_ENV"] = str(python.parent.parent)
    env["PATH"] = os.pathsep.join([str(python.parent), env.get("PATH", "")])
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


_CHECK = '''"""Written by tests/workspace: the concurry packages imported here are the installed
wheels (not the source tree), and the workspace packages not installed are absent."""

import importlib
import importlib.metadata
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

INSTALLED = os.environ["CONCURRY_WHEELS_INSTALLED"].split(",")
SOURCE = Path(os.environ["CONCURRY_SOURCE_ROOT"])
ALL = %(all)r


@pytest.mark.parametrize("dist", ALL, ids=ALL)
def test_comes_from_its_wheel_or_is_absent(dist):
    module = dist.replace("-", "_")
    if dist not in INSTALLED:
        assert importlib.util.find_spec(module) is None, f"{module} is importable"
        return
    path = Path(importlib.import_module(module).__file__).resolve()
    assert path.is_relative_to(Path(sys.prefix).resolve()), path
    assert not path.is_relative_to(SOURCE), path
    direct = json.loads(importlib.metadata.distribution(dist).read_text("direct_url.json"))
    assert direct["url"].endswith(".whl") and "archive_info" in direct, direct
'''


def copy_tests(dest: Path) -> Path:
    """A copy of tests/ (with docs/ and examples/, which some tests read) under ``dest``,
    with the workspace's pytest settings and a check that the packages under test come
    from installed wheels. Returns ``dest``, the directory to run pytest in."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("tests", "docs", "examples"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    text = (ROOT / "pyproject.toml").read_text()
    start = text.index("[tool.pytest.ini_options]")
    end = text.find("\n[", start + 1)
    (dest / "pyproject.toml").write_text(text[start : end if end != -1 else None].strip() + "\n")
    (dest / "tests" / "test_from_installed_wheels.py").write_text(
        _CHECK % {"all": sorted(PROJECTS)}
    )
    return dest


def record(line: str) -> None:
    """Print a result line, and append it to the file CONCURRY_TEST_WHEELS_REPORT names
    (`make test-wheels` shows that file at the end: pytest-xdist hides what tests print)."""
    print(line)
    if report := os.environ.get("CONCURRY_TEST_WHEELS_REPORT"):
        with open(report, "a") as out:
            out.write(line + "\n")


def run_tests(python: Path, where: Path, *args: str) -> FolderRun:
    """Run pytest with ``python`` in ``where`` (made by :func:`copy_tests`) over ``args``
    and the installed-wheel check; fail with its output unless every test passed."""
    env = _clean_env(python)
    installed = run(*uv(), "pip", "list", "--format", "freeze", "--python", python)
    env["CONCURRY_WHEELS_INSTALLED"] = ",".join(
        sorted(
            name
            for line in installed.splitlines()
            if (name := canonical(line.split("==")[0])) in PROJECTS
        )
    )
    env["CONCURRY_SOURCE_ROOT"] = str(ROOT)
    proc = subprocess.run(
        [str(python), "-m", "pytest", "-q", "tests/test_from_installed_wheels.py", *args],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    output = where / "pytest-output.txt"  # the whole of it: the message below is cut
    output.write_text(proc.stdout + proc.stderr)
    assert proc.returncode == 0, (
        f"{args} failed (whole output in {output}):\n{proc.stdout[:6000]}\n...\n"
        f"{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    )
    counts = {kind: int(n) for n, kind in _SUMMARY.findall(summary)}
    skipped = [line for line in proc.stdout.splitlines() if line.startswith("SKIPPED")]
    return FolderRun(counts, "; ".join([summary, *skipped]))
