"""A real local Ray (``ray.init(num_cpus=2)``), started once per test session when a
test asks for it, and shut down at the end so no Ray process outlives the suite."""

from __future__ import annotations

import os
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
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    try:
        yield ray
    finally:
        ray.shutdown()
