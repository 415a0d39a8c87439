"""Fixtures for the concurry-workers suite: a ``worker_mode`` parametrised over every
local backend (and ray, when concurry-ray is installed), and leak checks for threads
and child processes."""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from workers_helpers import MODES, _children

# Process workers fork from the fork server; preloading the heavy libraries the
# test modules import keeps each child's start-up short.
multiprocessing.get_context("forkserver").set_forkserver_preload(
    ["__main__", "pytest", "pydantic", "morphic", "concurry_limits", "concurry_retry"]
)


def _mode(request: pytest.FixtureRequest) -> str:
    mode = str(request.param)
    if mode == "ray":  # the session's one local Ray (tests/conftest.py), started on first use
        request.getfixturevalue("ray_session")
    return mode


@pytest.fixture(params=MODES)
def worker_mode(request: pytest.FixtureRequest) -> str:
    """Each execution mode in turn."""
    return _mode(request)


@pytest.fixture(params=[m for m in MODES if m != "sync"])
def queuing_mode(request: pytest.FixtureRequest) -> str:
    """Each mode in which a call can wait behind another (sync runs calls in-line)."""
    return _mode(request)


@pytest.fixture(params=[m for m in MODES if m in ("process", "ray")])
def pickling_mode(request: pytest.FixtureRequest) -> str:
    """Each mode whose arguments, results and exceptions are pickled (another process)."""
    return _mode(request)


def _is_ray_case(request: pytest.FixtureRequest) -> bool:
    """True for a test's ray case: a parameter "ray", or a tuple starting with it."""
    callspec = getattr(request.node, "callspec", None)
    values = callspec.params.values() if callspec is not None else ()
    return any(v == "ray" or (isinstance(v, tuple) and v[:1] == ("ray",)) for v in values)


def _settle(check: object, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)  # polling a leak check, not synchronising test logic
    return bool(check())  # type: ignore[operator]


@pytest.fixture
def no_leaks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail when a test leaves a new thread or child process running."""
    if _is_ray_case(request):  # Ray's own processes (session-wide) start before the census
        request.getfixturevalue("ray_session")
        # and so does the driver's one thread reading ray-mode results (``_completions``)
        from concurry_ray._completions import COMPLETIONS

        COMPLETIONS.start()
    threads_before = set(threading.enumerate())
    children_before = _children()
    yield
    deadline = time.monotonic() + 10

    def threads_ok() -> bool:
        extra = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
        return not [t for t in extra if t.name.startswith("concurry")]

    def children_ok() -> bool:
        return not (_children() - children_before)

    assert _settle(threads_ok, deadline), [t.name for t in threading.enumerate()]
    assert _settle(children_ok, deadline), _children() - children_before
