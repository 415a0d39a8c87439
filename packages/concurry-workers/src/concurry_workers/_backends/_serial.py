"""``SerialRunner``: one dedicated thread running the calls it is sent, in order.

The thread transport is one runner; the asyncio transport uses one for its
plain (non-async) methods so they never block the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from queue import Empty, SimpleQueue
from time import monotonic
from typing import TYPE_CHECKING, Any

from .._invoke import Invoker
from .._link import ERROR, OK

if TYPE_CHECKING:
    from .._link import CallFuture, Link

__all__ = ["SerialRunner"]

_STOP = object()  # drop what is queued, then exit
_CLOSE = object()  # run what is queued, then exit


class SerialRunner:
    """A daemon thread serving calls from a queue with one ``Invoker``.

    Args:
        name: Thread name (shows in debuggers and ``threading.enumerate()``).
        invoker: The worker instance's invoker (built by the caller).
        link: Where outcomes go.
        owns_invoker: Close the invoker when the thread ends.
    """

    def __init__(self, name: str, invoker: Invoker, link: Link, owns_invoker: bool = True) -> None:
        self._name = name
        self._invoker = invoker
        self._link = link
        self._owns_invoker = owns_invoker
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._stopping = False
        self._lock = threading.Lock()
        self._started = False  # the thread starts with the first call (see send)
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def send(self, batch: Sequence[CallFuture]) -> bool:
        """Queue calls (never blocks); True while the thread still has to be started.

        The thread starts with the first call (``kick``), with the call already
        queued, so it finds work at once instead of going to sleep and being
        woken: a worker that is started, called once and stopped costs what a
        ``ThreadPoolExecutor`` does.
        """
        put = self._queue.put
        for call in batch:
            put(call)
        return not self._started  # a stale False only costs a kick() that finds it started

    def kick(self) -> None:
        """Start the thread if it has not started (and no stop came first)."""
        with self._lock:
            if self._started:
                return
            self._started = True
            self._thread.start()

    def _main(self) -> None:
        queue, link, invoker = self._queue, self._link, self._invoker
        try:
            while True:
                call = queue.get()
                if call is _STOP or call is _CLOSE:
                    break
                if self._stopping:
                    link.drop(call)
                    continue
                if not link.begin(call):
                    continue
                try:
                    result = invoker.call(call.name, call.args, call.kwargs)
                except BaseException as exc:
                    link.deliver(call, ERROR, exc)
                else:
                    link.deliver(call, OK, result)
                    del result
                del call
        finally:
            if self._owns_invoker:
                invoker.close()
            self._drop_queued()

    def _drop_queued(self) -> None:
        while not self._queue.empty():  # (the common case: empty, without an exception)
            try:
                item = self._queue.get_nowait()
            except Empty:
                return
            if item is not _STOP and item is not _CLOSE:
                self._link.drop(item)

    def stop(self, deadline: float) -> None:
        """Drop queued calls, let the running one finish until ``deadline``, then abandon it."""
        self._stopping = True
        self._queue.put(_STOP)
        with self._lock:
            started, self._started = self._started, True  # no start after stop
        if not started:
            self._drop_queued()
            if self._owns_invoker:
                self._invoker.close()
            return
        thread = self._thread
        if thread is threading.current_thread() or not thread.is_alive():
            return
        thread.join(max(0.0, deadline - monotonic()))
        if thread.is_alive():
            # A call is stuck past the deadline: nothing queued may run after stop()
            # returns, so drop the queue now; the thread exits once its call returns
            # (the drain may have taken our stop marker, hence a fresh one).
            self._drop_queued()
            self._queue.put(_STOP)

    def close_when_idle(self) -> None:
        """Run what is queued, then let the thread end (without waiting for it)."""
        with self._lock:
            started, self._started = self._started, True
        if started:
            self._queue.put(_CLOSE)
        elif self._owns_invoker:
            self._invoker.close()
