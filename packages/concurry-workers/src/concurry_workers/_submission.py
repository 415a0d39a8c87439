"""``SubmissionQueue``: caps a worker's in-flight calls, holding the rest client-side.

A call beyond the cap waits in a local deque and its future is returned at
once; each completion moves the next waiting call to the backend. Only the
original call counts (retries happen inside the worker).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ._errors import WorkerStoppedError
from ._invoke import Call

__all__ = ["SubmissionQueue"]


class SubmissionQueue:
    """Admits at most ``capacity`` calls to ``submit`` at a time.

    Args:
        capacity: Maximum in-flight calls (>= 1).
        submit: The backend's ``submit(future, call)``.
    """

    def __init__(self, capacity: int, submit: Callable[[Future[Any], Call], None]) -> None:
        self._capacity = capacity
        self._submit = submit
        self._lock = threading.Lock()
        self._inflight = 0
        self._waiting: deque[tuple[Future[Any], Call]] = deque()
        self._closed = False
        self._on_drained: Callable[[], None] | None = None

    @property
    def waiting(self) -> int:
        """Number of calls held client-side."""
        return len(self._waiting)

    @property
    def inflight(self) -> int:
        """Number of calls handed to the backend and not yet done."""
        return self._inflight

    def submit(self, future: Future[Any], call: Call) -> None:
        """Hand ``call`` to the backend now, or hold it until a slot frees."""
        with self._lock:
            if self._closed:
                raise WorkerStoppedError()
            if self._inflight >= self._capacity or self._waiting:
                self._waiting.append((future, call))
                return
            self._inflight += 1
        try:
            self._submit(future, call)
        except BaseException as exc:
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)
            self._release(future)
            raise
        future.add_done_callback(self._release)

    def _release(self, _: Future[Any]) -> None:
        # A finished call hands its slot to the next live waiting call. The loop
        # (not recursion) covers calls that complete while being submitted.
        while True:
            with self._lock:
                waiting = self._waiting
                while waiting:
                    future, call = waiting.popleft()
                    if not future.cancelled():
                        break
                else:
                    self._inflight -= 1
                    drained, self._on_drained = self._on_drained, None
                    break
            try:
                self._submit(future, call)
            except BaseException as exc:
                if future.set_running_or_notify_cancel():
                    future.set_exception(exc)
                continue
            if not future.done():
                future.add_done_callback(self._release)
                return
        if drained is not None:
            drained()

    def close(self) -> list[Future[Any]]:
        """Refuse new calls; return (and forget) the futures still waiting."""
        with self._lock:
            self._closed = True
            waiting = [future for future, _ in self._waiting]
            self._waiting.clear()
        return waiting

    def when_drained(self, fn: Callable[[], None]) -> None:
        """Refuse new calls and call ``fn`` once every waiting call has been handed over."""
        with self._lock:
            self._closed = True
            if self._waiting:
                self._on_drained = fn
                return
        fn()
