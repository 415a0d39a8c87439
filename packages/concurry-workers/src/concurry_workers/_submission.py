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
        self._pumping = False
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
            if self._inflight < self._capacity and not self._waiting:
                self._inflight += 1
            else:
                self._waiting.append((future, call))
                return
        future.add_done_callback(self._release)
        try:
            self._submit(future, call)
        except BaseException as exc:
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)
            raise

    def _release(self, _: Future[Any]) -> None:
        with self._lock:
            self._inflight -= 1
            if self._pumping:
                return  # the pumping frame below us picks up the freed slot
            self._pumping = True
        try:
            self._pump()
        finally:
            with self._lock:
                self._pumping = False
            # a slot may have freed between the last pass and clearing the flag
            if self._inflight < self._capacity and self._waiting:
                self._release_again()

    def _release_again(self) -> None:
        with self._lock:
            if self._pumping:
                return
            self._pumping = True
        try:
            self._pump()
        finally:
            with self._lock:
                self._pumping = False

    def _pump(self) -> None:
        while True:
            with self._lock:
                item = None
                while self._waiting and self._inflight < self._capacity:
                    candidate = self._waiting.popleft()
                    if not candidate[0].cancelled():
                        item = candidate
                        self._inflight += 1
                        break
                if item is None:
                    drained = self._on_drained if not self._waiting else None
                    if drained is not None:
                        self._on_drained = None
                    break
            future, call = item
            future.add_done_callback(self._release)
            try:
                self._submit(future, call)
            except BaseException as exc:
                if future.set_running_or_notify_cancel():
                    future.set_exception(exc)
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
