"""`BaseFuture`: the one future interface every backend is seen through."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._constants import ReturnWhen

__all__ = ["BaseFuture", "not_done_in_time", "waits_many"]


def not_done_in_time(timeout: float | None) -> TimeoutError:
    """The `TimeoutError` of a ``result`` / ``exception`` call that waited ``timeout`` seconds."""
    return TimeoutError(f"Future did not complete within timeout={timeout} s")


class BaseFuture(ABC):
    """A read-only handle on a result that some backend will produce.

    Every concurry future (`SyncFuture`, `ConcurrentFuture`, `AsyncioFuture`,
    ``RayFuture``) follows the same contract:

    - ``result(timeout)`` / ``exception(timeout)`` raise the builtin
      `TimeoutError` when the timeout expires and
      `concurrent.futures.CancelledError` when the task was cancelled;
    - callbacks given to `add_done_callback` receive this wrapper (not the
      backend's own future); a callback added after completion runs at once;
    - `running` is True while the task executes and `cancel` then returns False;
    - ``await future`` works in any event loop without busy-waiting;
    - users do not complete futures: `set_result`, `set_exception` and
      `set_running_or_notify_cancel` raise `NotImplementedError`.

    Subclasses implement the abstract methods; waiting helpers (`wait`,
    `gather`) rely on `add_done_callback`, so a subclass whose backend cannot
    call back sets ``supports_done_callbacks = False`` and is polled instead.
    A subclass whose backend can wait for many of its futures in one call
    (Ray's ``ray.wait``) overrides `_wait_many`; the waiting helpers then hand
    it all futures of that class at once.
    """

    __slots__ = ()

    #: Whether `add_done_callback` is driven by the backend (True) or the
    #: future must be polled with `done` by waiting helpers (False).
    supports_done_callbacks: bool = True

    @abstractmethod
    def result(self, timeout: float | None = None) -> Any:
        """Return the result, blocking up to ``timeout`` seconds (None: forever).

        Raises:
            TimeoutError: The result was not ready in time.
            concurrent.futures.CancelledError: The task was cancelled.
            Exception: Whatever the task raised.
        """

    @abstractmethod
    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Return the exception the task raised (None on success), blocking like `result`.

        Raises:
            TimeoutError: The task did not finish in time.
            concurrent.futures.CancelledError: The task was cancelled.
        """

    @abstractmethod
    def done(self) -> bool:
        """True when the task finished, failed or was cancelled."""

    @abstractmethod
    def cancelled(self) -> bool:
        """True when the task was cancelled before it ran."""

    @abstractmethod
    def running(self) -> bool:
        """True while the task is executing."""

    @abstractmethod
    def cancel(self) -> bool:
        """Try to cancel the task; False when it is running or already done."""

    @abstractmethod
    def add_done_callback(self, fn: Callable[[BaseFuture], Any]) -> None:
        """Call ``fn(self)`` when the future completes (at once if it already has)."""

    @classmethod
    def _wait_many(
        cls, futures: Sequence[BaseFuture], timeout: float | None, return_when: ReturnWhen
    ) -> set[BaseFuture]:
        """Wait for many futures of this class in one backend call; the ones found done.

        Returns once ``return_when`` holds for ``futures`` or ``timeout``
        seconds passed (0: just look; None: no limit). ``FIRST_EXCEPTION`` holds
        when a future in the returned set failed or all are done. Only called
        on classes that override it (see `waits_many`); this default never is.

        Raises:
            NotImplementedError: The class does not wait for many at once.
        """
        raise NotImplementedError(f"{cls.__name__} does not wait for many futures at once")

    def set_result(self, result: Any) -> None:
        """Not supported: the backend, not the user, completes a future."""
        raise NotImplementedError(
            f"{type(self).__name__} is completed by its backend, not by users"
        )

    def set_exception(self, exception: BaseException | None) -> None:
        """Not supported: the backend, not the user, completes a future."""
        raise NotImplementedError(
            f"{type(self).__name__} is completed by its backend, not by users"
        )

    def set_running_or_notify_cancel(self) -> bool:
        """Not supported: the future manages its own state (its backend runs the task).

        Raises:
            NotImplementedError: Always.
        """
        raise NotImplementedError(
            f"{type(self).__name__} manages its own state; set_running_or_notify_cancel() "
            "is for executors that run a concurrent.futures.Future's task themselves"
        )

    def __await__(self) -> Generator[Any, None, Any]:
        if not self.done():
            yield from _bridge(self).__await__()
        return self.result()

    def __repr__(self) -> str:
        if not self.done():
            state = "running" if self.running() else "pending"
        elif self.cancelled():
            state = "cancelled"
        elif self.exception() is not None:
            state = f"raised {type(self.exception()).__name__}"
        else:
            state = "finished"
        return f"<{type(self).__name__} at {id(self):#x} state={state}>"


_WAITS_MANY: dict[type, bool] = {}
_NO_WAIT_MANY = BaseFuture.__dict__["_wait_many"].__func__


def waits_many(cls: type) -> bool:
    """True when ``cls`` overrides `BaseFuture._wait_many` (cached per class)."""
    known = _WAITS_MANY.get(cls)
    if known is None:
        method = getattr(getattr(cls, "_wait_many", None), "__func__", _NO_WAIT_MANY)
        known = _WAITS_MANY[cls] = method is not _NO_WAIT_MANY
    return known


def _bridge(future: BaseFuture) -> Any:
    """An asyncio future of the running loop that completes when ``future`` does.

    Completion is pushed by a done-callback through ``call_soon_threadsafe``,
    so awaiting costs nothing while the task runs.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def _wake(_: object) -> None:
        try:
            loop.call_soon_threadsafe(_settle, waiter)
        except RuntimeError:  # the loop closed while we waited: nobody is listening
            pass

    future.add_done_callback(_wake)
    return waiter


def _settle(waiter: Any) -> None:
    if not waiter.done():
        waiter.set_result(None)
