"""Each standalone package's wheel installs alone into a new virtual environment,
pulls in only its declared third-party dependencies, and imports."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> list[str]:
    if os.environ.get("UV"):  # set by `uv run` for its children
        return [os.environ["UV"]]
    if found := shutil.which("uv"):
        return [found]
    return [sys.executable, "-m", "uv"]


def _run(*args: str | Path, cwd: Path = ROOT) -> str:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


# package -> (third-party distributions it may bring, a smoke test run in the new venv)
STANDALONE = {
    "concurry-futures": (
        {"tqdm"},
        "import concurry_futures as f; assert f.gather([f.SyncFuture(1), 2]) == [1, 2]",
    ),
    "concurry-limits": (set(), "import concurry_limits"),
    "concurry-retry": (set(), "import concurry_retry"),
}


@pytest.mark.parametrize("package", sorted(STANDALONE))
def test_wheel_installs_alone(package: str, tmp_path: Path) -> None:
    allowed, smoke = STANDALONE[package]
    uv = _uv()
    _run(
        *uv,
        "build",
        "--package",
        package,
        "--no-sources",
        "--wheel",
        "--out-dir",
        tmp_path / "dist",
    )
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    venv = tmp_path / "venv"
    _run(*uv, "venv", "--quiet", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    _run(*uv, "pip", "install", "--quiet", "--python", python, wheel)
    listed = json.loads(_run(*uv, "pip", "list", "--format", "json", "--python", python))
    installed = {item["name"].lower() for item in listed}
    assert installed - {package} <= allowed, f"{package} brought {installed - {package}}"
    _run(python, "-c", smoke, cwd=tmp_path)
