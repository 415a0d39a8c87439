"""Fixtures for the concurry-limits tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _no_stray_children() -> Iterator[None]:
    """A failed test must not leave a child behind (the interpreter would wait for it)."""
    yield
    import multiprocessing as mp

    for child in mp.active_children():
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join(5)
