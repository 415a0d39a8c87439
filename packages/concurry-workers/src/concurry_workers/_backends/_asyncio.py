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
        self._ended = threading.Event()

    def start(self, link: Link) -> None:
        # __init__ runs in the caller's thread (no hand-off; async primitives made
        # there bind to the worker's loop on first use); methods run on the loop,
        # whose thread starts with the first call (as a ThreadPoolExecutor's does).
        self._invoker = self.runtime.build()
        self._link = link

    def _run_loop(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            if getattr(loop, "_asyncgens", True):  # skip a whole task when there are none
                loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
            if self._invoker is not None:
                self._invoker.close()
            self._ended.set()

    # -- calls ------------------------------------------------------------------------
    def send(self, batch: Sequence[CallFuture]) -> bool:
        with self._lock:
            self._inbox.extend(batch)
            if self._scheduled:
                return False
            self._scheduled = True
            if self._thread is None:
                return True  # kick() makes the loop and its thread, outside the link's lock
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._drain)
        return False

    def kick(self) -> None:
        with self._lock:
            if self._thread is not None or self._stopping:
                return
            loop = self._loop = asyncio.new_event_loop()
            loop.call_soon(self._drain)
            self._thread = threading.Thread(target=self._run_loop, name=self._name, daemon=True)
            self._thread.start()

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
                lane = self._sync_lane()
                if lane.send((call,)):
                    lane.kick()

    def _sync_lane(self) -> SerialRunner:
        with self._lock:
            if self._lane is None:
                assert self._invoker is not None
                self._lane = SerialRunner(
                    self._name + "-sync", self._invoker, self._link, owns_invoker=False
                )
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
    def _begin_shutdown(self, deadline: float) -> None:
        # on the loop: with nothing running, stop at once; else let tasks finish first
        loop = self._loop
        assert loop is not None
        if not self._tasks:
            loop.stop()
            return
        task = loop.create_task(self._shutdown(deadline))
        task.add_done_callback(lambda _: loop.stop())

    async def _shutdown(self, deadline: float) -> None:
        _, pending = await asyncio.wait(set(self._tasks), timeout=max(0.0, deadline - monotonic()))
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=_GRACE)

    def stop(self, deadline: float) -> None:
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            items, self._inbox = self._inbox, []
            lane, loop, thread = self._lane, self._loop, self._thread
        for call in items:
            self._link.drop(call)
        if lane is not None:
            lane.stop(deadline)
        if thread is None:  # never called: no loop was made
            if self._invoker is not None:
                self._invoker.close()
            return
        assert loop is not None
        if thread is threading.current_thread():
            self._begin_shutdown(deadline)  # stop() from a method of this very worker
            return
        try:
            loop.call_soon_threadsafe(self._begin_shutdown, deadline)
        except RuntimeError:
            return  # the loop has ended already
        # A loop blocked by a method that never yields is abandoned at the deadline.
        self._ended.wait(max(0.0, deadline - monotonic()) + _GRACE)

    def close_when_idle(self) -> None:
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            lane, loop = self._lane, self._loop
        if lane is not None:
            lane.close_when_idle()
        if loop is None:
            if self._invoker is not None:
                self._invoker.close()
            return
        _stop_loop(loop)


def _stop_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.call_soon_threadsafe(loop.stop)
    except RuntimeError:
        pass  # already closed
