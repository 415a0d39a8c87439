"""`ConcurrentFuture`: a thin view of a `concurrent.futures.Future`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ._base import BaseFuture, not_done_in_time

__all__ = ["ConcurrentFuture"]


class ConcurrentFuture(BaseFuture):
    """Wraps a `concurrent.futures.Future` without adding state or locks.

    Every call goes straight to the wrapped future, so `running` and `cancel`
    reflect it exactly, and creating one is as cheap as a one-slot object.
    Like the wrapped future, a wrapper compares and hashes by identity.

    Args:
        future: The `concurrent.futures.Future` to view.

    Raises:
        TypeError: ``future`` is not a `concurrent.futures.Future`.

    Example:
        >>> from concurrent.futures import ThreadPoolExecutor
        >>> with ThreadPoolExecutor() as pool:
        ...     ConcurrentFuture(pool.submit(sum, [1, 2])).result(timeout=5)
        3
    """

    __slots__ = ("_future",)

    def __init__(self, future: Future[Any]):
        if not isinstance(future, Future):
            raise TypeError(
                f"future must be a concurrent.futures.Future, got {type(future).__name__}"
            )
        self._future = future

    @property
    def future(self) -> Future[Any]:
        """The wrapped `concurrent.futures.Future`."""
        return self._future

    def result(self, timeout: float | None = None) -> Any:
        """Return the result, blocking up to ``timeout`` seconds (see `BaseFuture.result`)."""
        try:
            return self._future.result(timeout)
        except TimeoutError:
            if self._future.done():
                raise  # the task itself raised TimeoutError
            raise not_done_in_time(timeout) from None

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Return the raised exception or None (see `BaseFuture.exception`)."""
        try:
            return self._future.exception(timeout)
        except TimeoutError:
            raise not_done_in_time(timeout) from None

    def done(self) -> bool:
        """True when the wrapped future is finished or cancelled."""
        return self._future.done()

    def cancelled(self) -> bool:
        """True when the wrapped future was cancelled."""
        return self._future.cancelled()

    def running(self) -> bool:
        """True while the wrapped future's task executes."""
        return self._future.running()

    def cancel(self) -> bool:
        """Cancel the wrapped future; False when it is running or done."""
        return self._future.cancel()

    def add_done_callback(self, fn: Callable[[BaseFuture], Any]) -> None:
        """Call ``fn(self)`` when the wrapped future completes (at once if it has)."""
        self._future.add_done_callback(lambda _: fn(self))
