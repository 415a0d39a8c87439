"""concurry-ray installs beside Ray and imports without starting anything."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import requires, version


def test_installs_with_its_pinned_workers_dependency() -> None:
    assert version("concurry-ray") == version("concurry-workers")
    assert f"concurry-workers=={version('concurry-workers')}" in (requires("concurry-ray") or [])


def test_import_does_not_start_or_import_ray() -> None:
    code = "import sys, concurry_ray; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
