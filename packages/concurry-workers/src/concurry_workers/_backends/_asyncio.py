"""The asyncio backend: an event loop on its own thread.

``async def`` methods run as tasks on the loop, concurrently. Plain methods
run in order on a second, lazily started thread (a ``SerialRunner``) so a
slow one never blocks the loop; the two lanes share the same instance.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

from .._errors import WorkerStoppedError
from .._invoke import Call, Invoker
from ._base import Backend, cancel_unrun
from ._serial import SerialRunner

__all__ = ["AsyncioBackend"]

_GRACE = 5.0  # seconds to wait for a loop that ignores cancellation


class AsyncioBackend(Backend):
    """Runs async methods concurrently on an event-loop thread (see module doc)."""

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        self._name = f"concurry-asyncio-{runtime.worker_cls.__name__}"
        self._lock = threading.Lock()
        self._inbox: list[tuple[Future[Any], Call]] = []
        self._scheduled = False
        self._closed = False
        self._stopping = False
        self._tasks: set[Any] = set()
        self._invoker: Invoker | None = None
        self._lane: SerialRunner | None = None
        self._loop: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        import asyncio

        # __init__ runs in the caller's thread (no hand-off; async primitives made
        # there bind to the worker's loop on first use); methods run on the loop.
        self._invoker = self.runtime.build()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name=self._name, daemon=True)
        self._thread.start()

    def _run_loop(self) -> None:
        import asyncio

        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()

    def _sync_lane(self) -> SerialRunner:
        lane = self._lane
        if lane is None:
            with self._lock:
                if self._lane is None:
                    invoker = self._invoker
                    assert invoker is not None
                    lane = SerialRunner(self._name + "-sync", lambda: invoker)
                    lane.start()
                    self._lane = lane
                lane = self._lane
        return lane

    def submit(self, future: Future[Any], call: Call) -> None:
        invoker = self._invoker
        if invoker is None or self._closed:
            raise WorkerStoppedError()
        if not invoker.is_async(call[0], call[1]):
            self._sync_lane().submit(future, call)
            return
        with self._lock:
            if self._closed:
                raise WorkerStoppedError()
            self._inbox.append((future, call))
            if self._scheduled:
                return
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            items, self._inbox = self._inbox, []
            self._scheduled = False
        loop = self._loop
        for future, call in items:
            if self._stopping:
                future.cancel()
            elif future.set_running_or_notify_cancel():
                task = loop.create_task(self._run(future, call))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _run(self, future: Future[Any], call: Call) -> None:
        import asyncio

        assert self._invoker is not None
        try:
            result = await self._invoker.acall(*call)
        except asyncio.CancelledError:
            # stop() gave up on it after its timeout: cancelled, as in asyncio
            self._tasks.discard(asyncio.current_task())
            cancel_unrun(future)
        except BaseException as exc:
            self._tasks.discard(asyncio.current_task())
            future.set_exception(exc)
        else:
            # leave the running set before the caller can see the result (and stop)
            self._tasks.discard(asyncio.current_task())
            future.set_result(result)

    async def _shutdown(self, timeout: float | None, cancel_queued: bool) -> None:
        import asyncio

        self._drain() if not cancel_queued else None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=_GRACE)
        await self._loop.shutdown_asyncgens()

    def _finish(self, timeout: float | None, cancel_queued: bool) -> None:
        import asyncio

        with self._lock:
            if self._thread is None:
                return
            self._closed = True
            self._stopping = cancel_queued
            items, self._inbox = (self._inbox, []) if cancel_queued else ([], self._inbox)
        for future, _ in items:
            future.cancel()
        lane = self._lane
        if lane is not None:
            if cancel_queued:
                lane.stop(timeout)
            else:
                lane.close_when_idle()
        loop, thread = self._loop, self._thread
        if thread is threading.current_thread():
            loop.call_soon(loop.stop)
            return
        if cancel_queued and not self._scheduled and not self._tasks:
            # nothing runs or waits on the loop: stop it directly
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_GRACE)
            if not thread.is_alive():
                loop.close()
                if self._invoker is not None:
                    self._invoker.close()
            return
        done = asyncio.run_coroutine_threadsafe(self._shutdown(timeout, cancel_queued), loop)
        # stop the loop only after the shutdown result has been delivered
        done.add_done_callback(lambda _: _stop_loop(loop))
        if not cancel_queued:
            return
        wait = None if timeout is None else timeout + _GRACE
        try:
            done.result(wait)
        except BaseException:
            return  # the loop is blocked by a misbehaving method: abandon its daemon thread
        thread.join(_GRACE)
        if not thread.is_alive():
            loop.close()
            if self._invoker is not None:
                self._invoker.close()

    def stop(self, timeout: float | None) -> None:
        self._finish(timeout, cancel_queued=True)

    def close_when_idle(self) -> None:
        self._finish(None, cancel_queued=False)

    @property
    def is_alive(self) -> bool:
        return not self._closed and self._thread is not None and self._thread.is_alive()


def _stop_loop(loop: Any) -> None:
    try:
        loop.call_soon_threadsafe(loop.stop)
    except RuntimeError:
        pass  # already closed
