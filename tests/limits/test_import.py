"""Importing the package is fast and pulls in nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import concurry_limits


def test_import_is_light() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import concurry_limits; "
        "print(time.perf_counter() - t); "
        "print(','.join(m for m in ('multiprocessing', 'asyncio', 'logging', 'redis', 'mmap', "
        "'fcntl', 'random', 'inspect', 'concurrent.futures') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    seconds, heavy = out.stdout.split("\n")[:2]
    assert heavy == ""
    # a bound against hangs and heavy imports, not a speed test: the benchmark reports the figure
    assert float(seconds) < 5.0


def test_all_is_complete_and_public_paths_are_set() -> None:
    for name in concurry_limits.__all__:
        obj = getattr(concurry_limits, name)
        if isinstance(obj, type):
            assert obj.__module__ == "concurry_limits", name
    public = {n for n in dir(concurry_limits) if not n.startswith("_")}
    assert set(concurry_limits.__all__) <= public
