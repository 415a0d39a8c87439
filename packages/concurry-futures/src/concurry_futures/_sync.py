"""`SyncFuture`: a future that is complete from the moment it exists."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from ._base import BaseFuture

__all__ = ["SyncFuture"]


class SyncFuture(BaseFuture):
    """An already-completed future holding a value or an exception.

    Used by the sync backend and by `wrap_future` for plain values, so that
    code handling futures never needs a special case for "not a future".

    Args:
        result_value: The result `result` returns.
        exception_value: An exception instance `result` raises instead (it
            wins over ``result_value``).

    Raises:
        TypeError: ``exception_value`` is neither None nor an exception instance.

    Example:
        >>> SyncFuture(42).result()
        42
    """

    __slots__ = ("_exception", "_result")

    def __init__(self, result_value: Any = None, exception_value: BaseException | None = None):
        if exception_value is not None and not isinstance(exception_value, BaseException):
            raise TypeError(
                "exception_value must be an exception instance or None, "
                f"got {type(exception_value).__name__}: {exception_value!r}"
            )
        self._result = result_value
        self._exception = exception_value

    def result(self, timeout: float | None = None) -> Any:
        """Return the value, or raise the stored exception (never blocks)."""
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Return the stored exception, or None (never blocks)."""
        return self._exception

    def done(self) -> bool:
        """Always True."""
        return True

    def cancelled(self) -> bool:
        """Always False: a completed future cannot have been cancelled."""
        return False

    def running(self) -> bool:
        """Always False."""
        return False

    def cancel(self) -> bool:
        """Always False: the future is already done."""
        return False

    def add_done_callback(self, fn: Callable[[BaseFuture], Any]) -> None:
        """Call ``fn(self)`` at once."""
        fn(self)

    def __await__(self) -> Generator[Any, None, Any]:
        return self.result()
        yield  # pragma: no cover - makes this a generator without ever suspending
