"""The asyncio transport: an event loop on its own thread.

``async def`` methods run as tasks on the loop, concurrently. Plain methods
run in order on a second, lazily started thread (a ``SerialRunner``) so a
slow one never blocks the loop; the two lanes share the same instance.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from time import monotonic
from typing import TYPE_CHECKING, Any

from .._invoke import Invoker
from .._link import ERROR, OK
from ._base import Transport
from ._serial import SerialRunner

if TYPE_CHECKING:
    from .._link import CallFuture, Link

__all__ = ["AsyncioBackend"]

_GRACE = 1.0  # seconds a cancelled task gets to finish, and a loop to stop


class AsyncioBackend(Transport):
    """Runs async methods concurrently on an event-loop thread (see module doc)."""

    serial = False

    def __init__(self, runtime: Any, options: dict[str, Any]) -> None:
        super().__init__(runtime, options)
        self._name = f"concurry-asyncio-{runtime.worker_cls.__name__}"
        self._lock = threading.Lock()
        self._inbox: list[CallFuture] = []
        self._scheduled = False
        self._stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._invoker: Invoker | None = None
        self._lane: SerialRunner | None = None
        self._link: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self, link: Link) -> None:
        # __init__ runs in the caller's thread (no hand-off; async primitives made
        # there bind to the worker's loop on first use); methods run on the loop.
        self._invoker = self.runtime.build()
        self._link = link
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name=self._name, daemon=True)
        self._thread.start()

    def _run_loop(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.close()
            if self._invoker is not None:
                self._invoker.close()

    # -- calls ------------------------------------------------------------------------
    def send(self, batch: Sequence[CallFuture]) -> None:
        with self._lock:
            self._inbox.extend(batch)
            if self._scheduled:
                return
            self._scheduled = True
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            items, self._inbox = self._inbox, []
            self._scheduled = False
        link, invoker, loop = self._link, self._invoker, self._loop
        assert invoker is not None and loop is not None
        for call in items:
            if self._stopping:
                link.drop(call)
            elif invoker.is_async(call.name, call.args):
                if link.begin(call):
                    task = loop.create_task(self._run(call))
                    self._tasks.add(task)
            else:
                self._sync_lane().send((call,))

    def _sync_lane(self) -> SerialRunner:
        with self._lock:
            if self._lane is None:
                assert self._invoker is not None
                self._lane = SerialRunner(
                    self._name + "-sync", self._invoker, self._link, owns_invoker=False
                )
                self._lane.start()
            return self._lane

    async def _run(self, call: CallFuture) -> None:
        assert self._invoker is not None
        link = self._link
        try:
            result = await self._invoker.acall(call.name, call.args, call.kwargs)
        except asyncio.CancelledError:
            # stop() gave up on it after the deadline: cancelled, as in asyncio
            self._tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
            link.drop(call)
        except BaseException as exc:
            self._tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
            link.deliver(call, ERROR, exc)
        else:
            # leave the running set before the caller can see the result (and stop)
            self._tasks.discard(asyncio.current_task())  # type: ignore[arg-type]
            link.deliver(call, OK, result)

    # -- shutdown ---------------------------------------------------------------------
    async def _shutdown(self, deadline: float) -> None:
        if self._tasks:
            _, pending = await asyncio.wait(
                set(self._tasks), timeout=max(0.0, deadline - monotonic())
            )
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=_GRACE)
        assert self._loop is not None
        await self._loop.shutdown_asyncgens()

    def stop(self, deadline: float) -> None:
        with self._lock:
            if self._stopping or self._thread is None:
                return
            self._stopping = True
            items, self._inbox = self._inbox, []
            lane = self._lane
        for call in items:
            self._link.drop(call)
        if lane is not None:
            lane.stop(deadline)
        loop, thread = self._loop, self._thread
        assert loop is not None
        if thread is threading.current_thread():
            loop.call_soon(loop.stop)  # stop() from a method of this very worker
            return
        try:
            done = asyncio.run_coroutine_threadsafe(self._shutdown(deadline), loop)
        except RuntimeError:
            return  # the loop has ended already
        # stop the loop only after the shutdown result has been delivered
        done.add_done_callback(lambda _: _stop_loop(loop))
        try:
            done.result(max(0.0, deadline - monotonic()) + _GRACE)
        except BaseException:
            return  # the loop is blocked by a method that never yields: abandon its thread
        thread.join(_GRACE)

    def close_when_idle(self) -> None:
        with self._lock:
            if self._stopping or self._thread is None:
                return
            self._stopping = True
            lane = self._lane
        if lane is not None:
            lane.close_when_idle()
        assert self._loop is not None
        _stop_loop(self._loop)


def _stop_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.call_soon_threadsafe(loop.stop)
    except RuntimeError:
        pass  # already closed
