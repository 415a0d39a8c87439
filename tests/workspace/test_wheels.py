"""The built wheels, installed (not the source tree) into fresh virtual environments.

* every wheel pins its workspace siblings exactly and ships ``py.typed``;
* each standalone package's wheel installs alone and brings only its declared
  third-party dependencies;
* the umbrella's smoke tests pass with every wheel installed;
* each package's own test folder passes against its installed wheel with only its
  declared dependencies and the test tools (concurry-futures, concurry-limits and
  concurry-retry here; concurry-workers and concurry-ray get a smoke subset here and
  their whole folders under ``make test-wheels``, which sets CONCURRY_TEST_WHEELS=full).

The tests run on copies of tests/ in a temporary directory, so the source tree is not
importable; a check written into each copy asserts every concurry package imported
comes from its installed wheel and every one not installed is absent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from wheel_helpers import (
    PROJECTS,
    ROOT,
    TEST_TOOLS,
    Wheelhouse,
    canonical,
    record,
    run,
    run_tests,
    uv,
)

FULL = os.environ.get("CONCURRY_TEST_WHEELS") == "full"
VERSION = next(iter(PROJECTS.values()))["version"]


def _extras(package: str) -> tuple[str, ...]:
    """Every extra of ``package`` (as `make test-<package>` installs them)."""
    return tuple(sorted(PROJECTS[package].get("optional-dependencies", {})))


def _metadata(wheel: Path) -> tuple[list[str], list[str]]:
    """The wheel's Requires-Dist lines and the names of its files."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(archive.read(meta).decode())
    return message.get_all("Requires-Dist") or [], names


REQUIREMENT = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?\s*(?P<spec>[^;]*)")


def _internal(requirements: list[str]) -> list[re.Match[str]]:
    """The requirements on a workspace package, parsed."""
    parsed = [REQUIREMENT.match(r) for r in requirements]
    return [m for m in parsed if m is not None and canonical(m["name"]) in PROJECTS]


@pytest.mark.parametrize("package", sorted(PROJECTS), ids=sorted(PROJECTS))
def test_wheel_pins_its_siblings_exactly_and_is_typed(package: str, wheelhouse: Wheelhouse) -> None:
    requires, files = _metadata(wheelhouse.wheel(package))
    project = PROJECTS[package]
    declared = [
        *project.get("dependencies", []),
        *(d for ds in project.get("optional-dependencies", {}).values() for d in ds),
    ]
    internal = _internal(requires)
    assert len(internal) == len(_internal(declared)), (requires, declared)
    for m in internal:
        assert m["spec"].strip() == f"=={VERSION}", (
            f"{package}'s wheel must pin {m['name']} to =={VERSION}, got {m.string!r}"
        )
    module = package.replace("-", "_")
    assert f"{module}/py.typed" in files, f"{package}'s wheel has no py.typed"


# package -> (third-party distributions it may bring, a smoke test run in the new venv)
STANDALONE = {
    "concurry-futures": (
        {"tqdm"},
        "import concurry_futures as f; assert f.gather([f.SyncFuture(1), 2]) == [1, 2]",
    ),
    "concurry-limits": (
        set(),
        "from concurry_limits import LimitSet, LimitTimeoutError, ResourceLimit\n"
        "limits = LimitSet([ResourceLimit('slots', 1)])\n"
        "with limits.acquire(requested={'slots': 1}, timeout=5):\n"
        "    try:\n"
        "        limits.acquire(requested={'slots': 1}, timeout=0.05)\n"
        "    except LimitTimeoutError:\n"
        "        pass\n"
        "    else:\n"
        "        raise AssertionError('a second slot was granted')\n",
    ),
    "concurry-retry": (
        set(),
        "from concurry_retry import retry\n"
        "calls = []\n"
        "@retry(num_retries=2, retry_on=ZeroDivisionError, retry_wait=0)\n"
        "def flaky():\n"
        "    calls.append(1)\n"
        "    return len(calls) // (len(calls) - 1)\n"
        "assert flaky() == 2 and len(calls) == 2\n",
    ),
}


@pytest.mark.parametrize("package", sorted(STANDALONE), ids=sorted(STANDALONE))
def test_wheel_installs_alone(package: str, wheelhouse: Wheelhouse, tmp_path: Path) -> None:
    allowed, smoke = STANDALONE[package]
    python = wheelhouse.venv(tmp_path / "venv", package)
    listed = json.loads(run(*uv(), "pip", "list", "--format", "json", "--python", python))
    brought = {canonical(item["name"]) for item in listed} - {package}
    assert brought <= allowed, f"{package} brought {brought - allowed}"
    run(python, "-c", smoke, cwd=tmp_path)


@pytest.mark.timeout(600)
def test_umbrella_smoke_tests_pass_with_the_installed_wheels(
    wheelhouse: Wheelhouse, installed_tests: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    python = wheelhouse.venv(venv, "concurry", _extras("concurry"), *TEST_TOOLS)
    where = run(python, "-c", "import concurry; print(concurry.__file__)", cwd=installed_tests)
    assert Path(where.strip()).resolve().is_relative_to(venv.resolve()), where
    outcome = run_tests(python, installed_tests, "tests/umbrella/test_umbrella.py")
    record(f"concurry (umbrella smoke, installed wheels): {outcome.summary}")
    assert outcome.counts.get("passed", 0) > 6 and not outcome.counts.get("skipped"), outcome


def _folder(package: str) -> str:
    return "tests/" + package.removeprefix("concurry-")


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "package",
    ["concurry-futures", "concurry-limits", "concurry-retry"],
    ids=["concurry-futures", "concurry-limits", "concurry-retry"],
)
def test_package_tests_pass_against_its_wheel_alone(
    package: str, wheelhouse: Wheelhouse, installed_tests: Path, tmp_path: Path
) -> None:
    marker = ROOT / ".redis" / "unavailable"
    if marker.exists():  # `make redis` found no server: the source suite skips Redis then too
        (installed_tests / ".redis").mkdir()
        shutil.copy(marker, installed_tests / ".redis" / "unavailable")
    python = wheelhouse.venv(tmp_path / "venv", package, _extras(package), *TEST_TOOLS)
    outcome = run_tests(python, installed_tests, _folder(package))
    record(f"{package} (its tests, its installed wheel alone): {outcome.summary}")
    assert outcome.counts.get("passed", 0) > 50, outcome


# Smoke subsets for the slow folders: the installed wheel imports and works, and (ray)
# registers its entry points without starting Ray. The whole folders: CONCURRY_TEST_WHEELS=full.
SMOKE = {
    "concurry-workers": ["tests/workers/test_reference_examples.py"],
    "concurry-ray": ["tests/ray/test_package.py"],
}
ENTRY_POINTS = (
    "from importlib.metadata import entry_points as e\n"
    "groups = ('concurry.worker_backends', 'concurry.limit_backends', 'concurry.future_adapters')\n"
    "found = {g: sorted(p.name for p in e(group=g)) for g in groups}\n"
    "assert all(names == ['ray'] for names in found.values()), found\n"
    "for g in groups:\n"
    "    (point,) = e(group=g)\n"
    "    point.load()\n"
)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("package", sorted(SMOKE), ids=sorted(SMOKE))
def test_slow_package_smoke_against_its_wheel_alone(
    package: str, wheelhouse: Wheelhouse, installed_tests: Path, tmp_path: Path
) -> None:
    python = wheelhouse.venv(tmp_path / "venv", package, _extras(package), *TEST_TOOLS)
    if package == "concurry-ray":
        run(python, "-c", ENTRY_POINTS, cwd=installed_tests)
    outcome = run_tests(python, installed_tests, *SMOKE[package])
    record(f"{package} (smoke, its installed wheel alone): {outcome.summary}")
    assert outcome.counts.get("passed", 0) >= 2 + len(PROJECTS), outcome


# package -> the folders `make test-wheels` runs against its installed wheel
FULL_FOLDERS = {
    "concurry-workers": ["tests/workers"],
    "concurry-ray": ["tests/ray"],
    "concurry": ["tests/umbrella", "tests/compat"],
}


@pytest.mark.timeout(3600)
@pytest.mark.skipif(not FULL, reason="slow (minutes): `make test-wheels` runs it")
@pytest.mark.parametrize(
    "package",
    # Both start a local Ray: on one xdist worker (`make test-wheels` passes --dist
    # loadgroup), so two Ray clusters never compete for the machine's two cores.
    [pytest.param(p, marks=pytest.mark.xdist_group("ray")) for p in sorted(FULL_FOLDERS)],
    ids=sorted(FULL_FOLDERS),
)
def test_whole_folder_passes_against_its_installed_wheel(
    package: str, wheelhouse: Wheelhouse, installed_tests: Path, tmp_path: Path
) -> None:
    python = wheelhouse.venv(tmp_path / "venv", package, _extras(package), *TEST_TOOLS)
    outcome = run_tests(python, installed_tests, *FULL_FOLDERS[package])
    record(f"{package} ({' '.join(FULL_FOLDERS[package])}, installed wheels): {outcome.summary}")
    assert outcome.counts.get("passed", 0) > 50, outcome
