"""``SerialRunner``: one dedicated thread running queued calls in order.

The thread backend is one runner; the asyncio backend uses one for its
plain (non-async) methods so they never block the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from queue import Empty, SimpleQueue
from typing import Any

from .._errors import WorkerStoppedError
from .._invoke import Call, Invoker

__all__ = ["SerialRunner"]

_STOP = object()  # cancel what is queued, then exit
_CLOSE = object()  # run what is queued, then exit


class SerialRunner:
    """A thread that builds an ``Invoker`` and then serves calls from a queue.

    Args:
        name: Thread name (shows in debuggers and ``threading.enumerate()``).
        build: Called in the new thread to make the Invoker; its exception is
            re-raised by ``start``.
        prebuilt: An Invoker made by the caller (``build`` is then unused and
            ``start`` does not wait for the thread).
    """

    def __init__(
        self, name: str, build: Callable[[], Invoker], prebuilt: Invoker | None = None
    ) -> None:
        self._name = name
        self._build = build
        self._prebuilt = prebuilt
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._stopping = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.invoker: Invoker | None = None

    def start(self) -> None:
        """Start the thread and wait until the instance exists (or its init failed)."""
        ready = threading.Event()
        box: dict[str, BaseException] = {}
        self._thread = threading.Thread(
            target=self._main, args=(ready, box), name=self._name, daemon=True
        )
        self._thread.start()
        if self._prebuilt is not None:
            return  # nothing can fail in the thread before it serves calls
        ready.wait()
        if "error" in box:
            self._thread.join()
            self._closed = True
            raise box.pop("error")

    def _main(self, ready: threading.Event, box: dict[str, BaseException]) -> None:
        try:
            self.invoker = invoker = self._prebuilt or self._build()
        except BaseException as exc:
            box["error"] = exc
            ready.set()
            return
        ready.set()
        queue = self._queue
        try:
            while True:
                item = queue.get()
                if item is _STOP or item is _CLOSE:
                    break
                future, call = item
                del item
                if self._stopping:
                    future.cancel()
                    continue
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    result = invoker.call(*call)
                except BaseException as exc:
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                del future, call
        finally:
            invoker.close()
            self._cancel_queued()

    def submit(self, future: Future[Any], call: Call) -> None:
        """Queue a call; raises ``WorkerStoppedError`` once stopping has begun."""
        with self._lock:
            if self._closed:
                raise WorkerStoppedError()
            self._queue.put((future, call))

    def _cancel_queued(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except Empty:
                return
            if item is not _STOP and item is not _CLOSE:
                item[0].cancel()

    def stop(self, timeout: float | None) -> None:
        """Cancel queued calls, let the running one finish, join up to ``timeout``."""
        with self._lock:
            self._closed = True
            self._stopping = True
            self._queue.put(_STOP)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        # A call stuck past the timeout keeps its daemon thread; nothing queued runs,
        # and the thread still finds a stop marker (the drain took ours) once it is free.
        self._cancel_queued()
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)

    def close_when_idle(self) -> None:
        """Run what is queued, then let the thread end (without waiting for it)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_CLOSE)

    @property
    def is_alive(self) -> bool:
        """True while the thread serves calls."""
        return not self._closed and self._thread is not None and self._thread.is_alive()
