"""`AsyncioFuture`: an asyncio future or task, usable from any thread."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any

from ._base import BaseFuture, not_done_in_time

__all__ = ["AsyncioFuture", "is_asyncio_future"]

# Guards every AsyncioFuture's callback list (held for a list operation only).
_CALLBACKS_LOCK = threading.Lock()


def is_asyncio_future(obj: object) -> bool:
    """True for asyncio futures and tasks (duck-typed like `asyncio.isfuture`, no import)."""
    return getattr(type(obj), "_asyncio_future_blocking", None) is not None


def _running_loop() -> Any:
    asyncio = sys.modules.get("asyncio")
    return asyncio._get_running_loop() if asyncio is not None else None


class AsyncioFuture(BaseFuture):
    """Wraps an `asyncio.Future` or `asyncio.Task` so other threads can use it.

    Asyncio futures are not thread-safe; this wrapper talks to the future's
    loop with ``call_soon_threadsafe``. A blocking `result` from another thread
    waits on a `threading.Event` set by a done-callback (no spinning). Blocking
    on a pending future from its own loop's thread would deadlock, so it raises
    `RuntimeError`: ``await`` it there instead.

    A task counts as `running` once its coroutine has started; like every
    concurry future, it then refuses `cancel`. Cancelling from another thread
    is scheduled on the loop; if the task starts meanwhile it is cancelled at
    its next ``await``, as asyncio does. When no thread runs the loop,
    `cancel` takes effect at once: the future is cancelled and done, and its
    callbacks run, even though asyncio only finishes cancelling a task when
    its loop runs again (its coroutine then never starts).

    Args:
        future: The asyncio future or task.

    Raises:
        TypeError: ``future`` is not an asyncio future.
    """

    __slots__ = ("_callbacks", "_early", "_future", "_loop")

    def __init__(self, future: Any):
        if not is_asyncio_future(future):
            raise TypeError(f"future must be an asyncio future, got {type(future).__name__}")
        self._future = future
        self._loop = future.get_loop()
        self._early = False  # cancelled while no thread ran the loop (see cancel)
        self._callbacks: list[Callable[[BaseFuture], Any]] = []

    @property
    def future(self) -> Any:
        """The wrapped asyncio future."""
        return self._future

    def _on_loop_thread(self) -> bool:
        return _running_loop() is self._loop

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the loop: directly when we are on it, else thread-safely."""
        if self._on_loop_thread():
            fn(*args)
            return
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            raise RuntimeError(
                "the event loop of this asyncio future is closed; it can never complete"
            ) from None

    def _block(self, timeout: float | None) -> None:
        if self._early or self._future.done():
            return
        if self._on_loop_thread():
            raise RuntimeError(
                "cannot block on a pending asyncio future from its own event loop's thread "
                "(it would deadlock); use 'await future' instead"
            )
        event = threading.Event()
        self._call(self._future.add_done_callback, lambda _: event.set())
        if not event.wait(timeout):
            raise not_done_in_time(timeout)

    def result(self, timeout: float | None = None) -> Any:
        """Return the result, blocking up to ``timeout`` seconds (see `BaseFuture.result`).

        Raises:
            RuntimeError: Called on the future's own loop thread while it is pending.
        """
        self._block(timeout)
        if self._early or self._future.cancelled():
            raise CancelledError()
        return self._future.result()

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Return the raised exception or None (see `BaseFuture.exception`)."""
        self._block(timeout)
        if self._early or self._future.cancelled():
            raise CancelledError()
        return self._future.exception()

    def done(self) -> bool:
        """True when the future finished, failed or was cancelled."""
        return self._early or self._future.done()

    def cancelled(self) -> bool:
        """True when the future was cancelled."""
        return self._early or self._future.cancelled()

    def running(self) -> bool:
        """True while a task's coroutine has started and not finished."""
        fut = self._future
        if self._early or fut.done():
            return False
        get_coro = getattr(fut, "get_coro", None)
        if get_coro is None:
            return False
        coro = get_coro()
        if getattr(coro, "cr_frame", None) is None:
            return True  # not a plain coroutine: a scheduled task is as good as running
        import inspect

        return inspect.getcoroutinestate(coro) != inspect.CORO_CREATED

    def cancel(self) -> bool:
        """Cancel the future unless it is done or its task has started.

        When no thread runs the future's loop, the cancellation is complete on
        return (see the class docstring).
        """
        if self.running() or self.done():
            return False
        if self._on_loop_thread():
            return self._future.cancel()
        if not self._loop.is_running():
            return self._cancel_now()
        try:
            # The task may start before the loop runs this; it is then cancelled the
            # asyncio way (CancelledError at its next await), so True stays honest.
            self._loop.call_soon_threadsafe(self._future.cancel)
        except RuntimeError:
            return False
        return True

    def _cancel_now(self) -> bool:
        """Cancel while no thread runs the loop: done at once, callbacks run here."""
        try:
            self._future.cancel()  # a task finishes cancelling when its loop runs again
        except RuntimeError:
            pass  # a closed loop cannot schedule the future's own callbacks; ours run below
        self._early = True
        self._fire()
        return True

    def _fire(self, _: object = None) -> None:
        with _CALLBACKS_LOCK:
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            try:
                fn(self)
            except Exception:  # one failing callback must not starve the others
                import logging

                logging.getLogger("concurry_futures").exception(
                    "exception calling callback for %r", self
                )

    def add_done_callback(self, fn: Callable[[BaseFuture], Any]) -> None:
        """Call ``fn(self)`` when the future completes (at once if it has).

        The callback runs on the loop's thread when the future completes later
        (on the cancelling thread for a `cancel` made while the loop is idle).
        """
        first = False
        with _CALLBACKS_LOCK:
            pending = not self.done()
            if pending:
                first = not self._callbacks
                self._callbacks.append(fn)
        if not pending:
            fn(self)
        elif first:
            self._call(self._future.add_done_callback, self._fire)
