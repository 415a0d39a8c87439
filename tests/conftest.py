"""Suite-wide configuration. Imports no concurry package (nor Ray) at import time, so
that each package's tests can run with only that package installed.

``ray_session`` lives here so that every suite (tests/ray, and the ray mode of the
workers suites) shares one local Ray, started once per test session when a test
first asks for it and shut down at the end, so no Ray process outlives the suite.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def ray_session() -> Iterator[Any]:
    """The Ray module, with a local session of 2 CPUs running."""
    # Ray workers must use this interpreter, not `uv run` in a copy of the directory.
    os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    import ray

    if not ray.is_initialized():
        # Ray workers import what the test modules define by reference (helpers in
        # tests/workers, tests/limits): give them the driver's import path.
        # (Ray's own processes, started here, inherit the environment of this moment.)
        before = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(entry for entry in sys.path if entry)
        try:
            ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
        finally:
            if before is None:
                del os.environ["PYTHONPATH"]
            else:
                os.environ["PYTHONPATH"] = before
    try:
        yield ray
    finally:
        ray.shutdown()
