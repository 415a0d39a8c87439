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
        self._local = threading.local()

    @property
    def waiting(self) -> int:
        """Number of calls held client-side."""
        return len(self._waiting)

    @property
    def inflight(self) -> int:
        """Number of calls handed to the backend and not yet done."""
        return self._inflight

    def new_future(self) -> Future[Any]:
        """A future that releases its slot by itself when it completes."""
        return _TrackedFuture(self)

    def submit(self, future: Future[Any], call: Call) -> None:
        """Hand ``call`` to the backend now, or hold it until a slot frees.

        ``future`` must come from ``new_future``.
        """
        if self._closed:
            raise WorkerStoppedError()
        if self._inflight >= self._capacity or self._waiting:
            # Busy: queue without the lock. A caller blocking on a lock the worker
            # thread holds costs an OS wake-up per call, which dominated a busy
            # worker. deque.append is atomic; the re-checks below close the races.
            self._waiting.append((future, call))
            if self._closed:
                future.cancel()
                raise WorkerStoppedError()
            if self._inflight < self._capacity:
                self._admit_waiting()
            return
        with self._lock:
            if self._inflight >= self._capacity or self._waiting:
                self._waiting.append((future, call))
                return
            self._inflight += 1
        future._admitted = True  # type: ignore[attr-defined]
        try:
            self._submit(future, call)
        except BaseException as exc:
            if future.set_running_or_notify_cancel():
                future.set_exception(exc)  # releases the slot
            raise

    def _admit_waiting(self) -> None:
        # A slot was free while a call waited: take the slot, then hand it over.
        with self._lock:
            if self._inflight >= self._capacity or not self._waiting:
                return
            self._inflight += 1
        self._release()

    def _release(self) -> None:
        # Called when an admitted future completes. A call that completes while
        # being submitted re-enters here; the loop absorbs that instead of recursing.
        if not self._waiting:  # the common idle case: just free the slot
            with self._lock:
                idle = not self._waiting
                if idle:
                    self._inflight -= 1
                    drained, self._on_drained = self._on_drained, None
            if idle:
                if drained is not None:
                    drained()
                return
        local = self._local
        if getattr(local, "active", False):
            local.pending += 1
            return
        local.active, local.pending = True, 1
        try:
            while local.pending:
                local.pending -= 1
                self._hand_over()
        finally:
            local.active = False

    def _hand_over(self) -> None:
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
            future._admitted = True  # type: ignore[attr-defined]
            try:
                self._submit(future, call)
                return
            except BaseException as exc:
                future._admitted = False  # type: ignore[attr-defined]  # the slot stays ours
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


class _TrackedFuture(Future):  # type: ignore[type-arg]
    """A ``Future`` that frees its submission-queue slot when it completes.

    Hooking completion here, instead of a done-callback per call, saves a lock
    round-trip and a callback dispatch on every call of a busy worker.
    """

    def __init__(self, queue: SubmissionQueue) -> None:
        super().__init__()
        self._queue = queue
        self._admitted = False

    def _invoke_callbacks(self) -> None:
        # runs once, after set_result / set_exception / cancel changed the state
        if self._admitted:
            self._admitted = False
            self._queue._release()
        super()._invoke_callbacks()  # type: ignore[misc]
