"""Helpers of the pool behaviour suite: a worker class that tells which worker ran a
call, and a "board" on which worker methods announce that they started and wait
for the test to open their gate, in thread workers and process workers alike.

A gate is per worker (keyed by the worker's identity string), so the test can
free one worker and keep the others busy. Thread workers share the board object
itself (threading Events); process workers get a picklable board over a folder
of marker files (a bounded poll inside the worker, none in the test's logic
beyond waiting for a condition with a deadline).
"""

from __future__ import annotations

import collections
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from concurry_workers import Worker

T = 15.0  # bound of every wait on a future or a condition
SLOW_START = 2.5  # seconds a Probe's __init__ takes once its slow flag exists


def identity(obj: object) -> str:
    """Which worker this is: process id and instance id (distinct across a pool)."""
    return f"{os.getpid()}-{id(obj)}"


def pid_of(ident: str) -> int:
    return int(ident.split("-")[0])


class Oops(Exception):
    """A user exception type that must come back from any worker unchanged."""


class Probe(Worker):
    """A worker whose every answer says which worker gave it.

    Args:
        slow_dir: When given and ``<slow_dir>/slow`` exists, ``__init__`` writes
            ``<slow_dir>/starting-<pid>`` and takes ``SLOW_START`` seconds (a
            replacement worker that is slow to start).
    """

    def __init__(self, slow_dir: str | None = None) -> None:
        if slow_dir is not None and os.path.exists(os.path.join(slow_dir, "slow")):
            Path(slow_dir, f"starting-{os.getpid()}").touch()
            time.sleep(SLOW_START)
        self.attempts: collections.Counter[str] = collections.Counter()

    def who(self) -> str:
        return identity(self)

    def square(self, x: int) -> tuple[str, int]:
        return identity(self), x * x

    def hold(self, board: Any, token: int) -> tuple[str, int]:
        me = identity(self)
        board.started(me, token)
        if not board.wait_gate(me, T):
            raise TimeoutError(f"gate of {me} not opened within {T} s")
        return me, token

    def flaky(self, key: str, failures: int) -> tuple[str, int]:
        """Fails the first ``failures`` attempts made on this worker for ``key``."""
        self.attempts[key] += 1
        attempt = self.attempts[key]
        if attempt <= failures:
            raise ValueError(f"attempt {attempt} of {key}")
        return identity(self), attempt

    def fail(self, what: str) -> None:
        if what == "key":
            raise KeyError(what)
        raise Oops(f"oops {what}")


class ThreadBoard:
    """Start marks and per-worker gates for thread workers (shared by reference)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._marks: list[tuple[str, int]] = []
        self._open: set[str] = set()
        self._all = False

    # worker side
    def started(self, ident: str, token: int) -> None:
        with self._cond:
            self._marks.append((ident, token))
            self._cond.notify_all()

    def wait_gate(self, ident: str, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._all or ident in self._open, timeout)

    # test side
    def open(self, ident: str) -> None:
        with self._cond:
            self._open.add(ident)
            self._cond.notify_all()

    def open_all(self) -> None:
        with self._cond:
            self._all = True
            self._cond.notify_all()

    def marks(self) -> list[tuple[str, int]]:
        with self._cond:
            return list(self._marks)

    def wait_started(self, n: int, timeout: float = T) -> list[tuple[str, int]]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._marks) >= n, timeout):
                pytest.fail(f"only {len(self._marks)} of {n} calls started within {timeout} s")
            return list(self._marks)


class FileBoard:
    """The same over marker files in a folder, for process workers (pickled by path)."""

    def __init__(self, folder: Path) -> None:
        self.folder = str(folder)

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    # worker side
    def started(self, ident: str, token: int) -> None:
        tmp = self._path(f".tmp-{token}-{ident}")
        with open(tmp, "w") as fh:
            fh.write(ident)
        os.replace(tmp, self._path(f"started-{token:06d}"))  # appears whole, never half-written

    def wait_gate(self, ident: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        mine, every = self._path(f"open-{ident}"), self._path("open-all")
        while not (os.path.exists(mine) or os.path.exists(every)):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)  # inside the worker under test: its gate is a file
        return True

    # test side
    def open(self, ident: str) -> None:
        Path(self._path(f"open-{ident}")).touch()

    def open_all(self) -> None:
        Path(self._path("open-all")).touch()

    def marks(self) -> list[tuple[str, int]]:
        """Start marks in the order the files were made (token order on ties)."""
        found = []
        for name in os.listdir(self.folder):
            if name.startswith("started-"):
                path = self._path(name)
                with open(path) as fh:
                    found.append((os.stat(path).st_mtime_ns, fh.read(), int(name[8:])))
        return [(ident, token) for _, ident, token in sorted(found)]

    def wait_started(self, n: int, timeout: float = T) -> list[tuple[str, int]]:
        def enough() -> list[tuple[str, int]] | None:
            marks = self.marks()
            return marks if len(marks) >= n else None

        return wait_until(enough, timeout, f"{n} calls started", show=self.marks)  # type: ignore[no-any-return]


def make_board(mode: str, folder: Path) -> Any:
    """A board for workers of ``mode``."""
    return ThreadBoard() if mode == "thread" else FileBoard(folder)


def wait_until(check: Any, timeout: float, what: str, show: Any = None) -> Any:
    """Poll ``check()`` until it returns something truthy (returned); fail after ``timeout``.

    Waits for a condition the code under test must reach (a stats counter, a
    marker file); it never stands in for one. ``show()`` describes the last state.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            last = show() if show is not None else value
            pytest.fail(f"{what}: not reached within {timeout} s (last: {last!r})")
        time.sleep(0.005)


def stats_when(pool: Any, check: Any, what: str, timeout: float = 5.0) -> dict[str, Any]:
    """``pool.get_pool_stats()`` once ``check(stats)`` holds; fail showing the last stats."""
    seen: list[dict[str, Any]] = []

    def probe() -> dict[str, Any] | None:
        seen[:] = [pool.get_pool_stats()]
        return seen[0] if check(seen[0]) else None

    return wait_until(probe, timeout, f"pool stats showing {what}", show=lambda: seen)  # type: ignore[no-any-return]


def done_count(futures: list[Any]) -> int:
    return sum(1 for f in futures if f.done())
