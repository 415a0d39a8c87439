"""``Executor``: a ``concurrent.futures.Executor`` backed by a TaskWorker pool."""

from __future__ import annotations

import concurrent.futures
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from concurry_futures import ConcurrentFuture

from ._errors import WorkerStoppedError
from ._task_worker import TaskWorker

__all__ = ["Executor"]


class Executor(concurrent.futures.Executor):
    """A drop-in ``concurrent.futures.Executor`` running on concurry workers.

    ``submit`` returns a real ``concurrent.futures.Future`` (so
    ``concurrent.futures.wait``/``as_completed`` work), or with
    ``blocking=True`` the value itself; ``shutdown(wait=True)`` (also
    ``stop()``) lets submitted work finish, ``cancel_futures=True`` cancels
    what is queued.

    Args:
        mode: Execution mode (sync, thread, process, asyncio, ray).
        max_workers: Number of workers (default 1; sync/asyncio always 1).
        **options: Any other ``Worker.options()`` option.

    Example:
        >>> with Executor("thread", max_workers=2) as ex:
        ...     list(ex.map(abs, [-1, -2]))
        [1, 2]
    """

    def __init__(self, mode: Any = "thread", max_workers: int | None = None, **options: Any):
        if max_workers is not None:
            options["max_workers"] = max_workers
        self._workers = TaskWorker.options(mode=mode, **options).init()
        # insertion-ordered: shutdown cancels the newest first (see _map's _finish)
        self._outstanding: dict[concurrent.futures.Future[Any], None] = {}
        self._lock = threading.Lock()
        self._shutdown = False
        self._maps: weakref.WeakSet[_MapBox] = weakref.WeakSet()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """Schedule ``fn(*args, **kwargs)``; returns a ``concurrent.futures.Future``.

        With ``blocking=True`` it waits and returns the value (or raises the error).

        Raises:
            TypeError: ``fn`` is not callable ("submit() requires a callable ...").
            RuntimeError: The executor was shut down.
        """
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        try:
            outcome = self._workers.submit(fn, *args, **kwargs)
        except WorkerStoppedError:
            raise RuntimeError("cannot schedule new futures after shutdown") from None
        if self._workers.blocking:
            return outcome  # the value, as the original concurry's blocking executor
        future = _as_concurrent(outcome)
        if not future.done():
            with self._lock:
                self._outstanding[future] = None
            future.add_done_callback(self._forget)
        return future

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._outstanding.pop(future, None)

    def map(  # type: ignore[override]
        self,
        fn: Callable[..., Any],
        *iterables: Iterable[Any],
        timeout: float | None = None,
        chunksize: int = 1,
    ) -> Iterator[Any]:
        """Like ``concurrent.futures.Executor.map``, consuming the input lazily.

        Args:
            fn: The function to call on each item.
            *iterables: The input, zipped.
            timeout: Seconds, counted from this call, after which waiting for a
                result raises ``TimeoutError``.
            chunksize: Items sent to a worker and run per call (as
                ``ProcessPoolExecutor.map``); results still come one by one.
        """
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        box = _MapBox(self._workers.map(fn, *iterables, timeout=timeout, chunksize=chunksize))
        with self._lock:
            self._maps.add(box)
        return box.results()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop accepting work; finish (or with ``cancel_futures``, cancel) the queued work."""
        self._shutdown = True
        with self._lock:
            outstanding = list(self._outstanding)
            maps = list(self._maps)
        if cancel_futures:
            for future in reversed(outstanding):
                future.cancel()
            for box in maps:
                box.cancel()
        if wait:
            _finish(outstanding, maps, self._workers)
        else:
            threading.Thread(
                target=_finish,
                args=(outstanding, maps, self._workers),
                name="concurry-executor-shutdown",
                daemon=True,
            ).start()

    def stop(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Same as ``shutdown()`` (the original concurry's name)."""
        self.shutdown(wait, cancel_futures=cancel_futures)


def _finish(outstanding: list[Any], maps: list[_MapBox], workers: Any) -> None:
    concurrent.futures.wait(outstanding)
    for box in maps:
        box.finish()
    workers.stop()


class _MapBox:
    """One ``Executor.map``: lazy while the executor runs; at shutdown its remaining
    input is run to the end and buffered, so the iterator still works afterwards
    (``concurrent.futures`` submits everything up front and allows that)."""

    def __init__(self, inner: Iterator[Any]) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._buffer: deque[Any] | None = None
        self._error: BaseException | None = None

    def results(self) -> Iterator[Any]:
        """The results, from the live map or, after shutdown, from the buffer."""
        while True:
            with self._lock:
                if self._buffer is None:
                    try:
                        value = next(self._inner)
                    except StopIteration:
                        return
                elif self._buffer:
                    value = self._buffer.popleft()
                elif self._error is not None:
                    error, self._error = self._error, None
                    raise error
                else:
                    return
            yield value

    def finish(self) -> None:
        """Run what is left of the input now and keep the results (and the first error)."""
        with self._lock:
            if self._buffer is not None:
                return
            buffer: deque[Any] = deque()
            try:
                buffer.extend(self._inner)
            except BaseException as exc:
                self._error = exc
            self._buffer = buffer

    def cancel(self) -> None:
        """Cancel the calls still alive (``shutdown(cancel_futures=True)``)."""
        with self._lock:
            if self._buffer is None:
                self._inner.close()  # type: ignore[attr-defined]
                self._buffer = deque()
                self._error = concurrent.futures.CancelledError()


def _as_concurrent(outcome: Any) -> concurrent.futures.Future[Any]:
    if isinstance(outcome, ConcurrentFuture):
        return outcome.future
    # an inline mode's settled SyncFuture
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    future.set_running_or_notify_cancel()
    exc = outcome.exception()
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(outcome.result())
    return future
