"""Fixtures for the installed-wheels tests: every wheel built once per test session,
and copies of the tests to run against fresh virtual environments.

The wheels are built once per session even under pytest-xdist: the first worker to
need them builds them into a directory all workers share, under a file lock, and
the others wait for it and reuse them.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from wheel_helpers import PROJECTS, Wheelhouse, build, canonical, copy_tests


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Wheelhouse:
    """Every wheel of the workspace, built once per test session (across xdist workers)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "wheelhouse"
    folder.mkdir(exist_ok=True)
    with open(shared / "wheelhouse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds, the others wait
        if not (folder / "built").exists():
            build(folder)
    house = Wheelhouse(folder / "dist", folder / "constraints.txt")
    assert {canonical(p.name.split("-")[0]) for p in house.folder.glob("*.whl")} == set(PROJECTS)
    return house


@pytest.fixture
def installed_tests(tmp_path: Path) -> Iterator[Path]:
    """A directory holding a copy of the tests, to run against installed wheels."""
    yield copy_tests(tmp_path / "run")
