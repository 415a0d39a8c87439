"""The loop form: retry a block of code rather than a function.

Example::

    for attempt in retrying(num_retries=3, retry_on=OSError, retry_until=is_valid):
        with attempt:
            data = fetch()
            attempt.set_result(data)  # checked by retry_until

``async for`` works the same way and waits with ``asyncio.sleep``.
"""

from __future__ import annotations

from time import monotonic

from ._config import RetryConfig, resolve_config
from ._engine import RetryRun, sleep_async, sleep_sync

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from types import TracebackType
    from typing import Any

_UNSET: Any = object()


class Attempt:
    """One attempt of a :func:`retrying` loop; use it as ``with attempt:``.

    Inside the block, an exception that ``retry_on`` matches is swallowed and
    the loop goes round again after the wait; any other exception, or the
    last attempt's, propagates unchanged. With ``retry_until``, call
    :meth:`set_result` in the block: the value is validated on exit and a
    failed validation starts the next attempt (or raises
    :class:`RetryValidationError` on the last one).

    Attributes:
        number: The attempt number, 1-based.
    """

    __slots__ = ("_done", "_entered", "_result", "_run", "_wait", "number")

    def __init__(self, run: RetryRun, number: int) -> None:
        self.number = number
        self._run = run
        self._result: Any = _UNSET
        self._entered = False
        self._wait: float | None = None
        self._done = False

    @property
    def result(self) -> Any:
        """The value given to :meth:`set_result` (``None`` if not called)."""
        return None if self._result is _UNSET else self._result

    def set_result(self, value: Any) -> Any:
        """Record the block's result for ``retry_until``; returns ``value`` unchanged."""
        self._result = value
        return value

    def __enter__(self) -> Attempt:
        if self._entered:
            raise RuntimeError("each attempt can be entered only once")
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        run = self._run
        if exc is not None:
            wait = run.after_exception(exc, self.number)
            if wait is None:
                return False
            self._wait = wait
            return True
        if run.config._validators:
            if self._result is _UNSET:
                raise RuntimeError(
                    "retry_until is set but the block never called attempt.set_result(value)"
                )
            self._wait = run.after_result(self._result, self.number)
        self._done = self._wait is None
        return False

    async def __aenter__(self) -> Attempt:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        return self.__exit__(exc_type, exc, tb)

    def __repr__(self) -> str:
        return f"Attempt(number={self.number})"


class Retrying:
    """Iterable of :class:`Attempt`; build it with :func:`retrying`.

    Iterate it with ``for`` in sync code or ``async for`` in async code; each
    iteration starts a fresh run of attempts.

    Attributes:
        config: The retry policy.
        method_name: Name shown to filters, validators, hooks and errors.
    """

    __slots__ = ("config", "method_name")

    def __init__(self, config: RetryConfig, method_name: str | None = None) -> None:
        self.config = config
        self.method_name = method_name

    def _attempts(self) -> Iterator[Attempt]:
        run = RetryRun(self.config, monotonic(), self.method_name or "block", (), {})
        number = 1
        while True:
            yield Attempt(run, number)
            number += 1

    @staticmethod
    def _next_wait(attempt: Attempt) -> float | None:
        if not attempt._entered:
            raise RuntimeError("each attempt of a retrying loop must be used as 'with attempt:'")
        return None if attempt._done else attempt._wait

    def __iter__(self) -> Iterator[Attempt]:
        for attempt in self._attempts():
            yield attempt
            wait = self._next_wait(attempt)
            if wait is None:
                return
            sleep_sync(self.config, wait)

    async def __aiter__(self) -> AsyncIterator[Attempt]:
        for attempt in self._attempts():
            yield attempt
            wait = self._next_wait(attempt)
            if wait is None:
                return
            await sleep_async(self.config, wait)

    def __repr__(self) -> str:
        return f"Retrying({self.config!r})"


def retrying(
    config: RetryConfig | None = None, /, *, method_name: str | None = None, **fields: Any
) -> Retrying:
    """Retry a block of code: ``for attempt in retrying(...): with attempt: ...``.

    Args:
        config: A ready :class:`RetryConfig` (keywords, if also given, replace its fields).
        method_name: Name for the block in context, hooks and errors (default ``"block"``).
        **fields: :class:`RetryConfig` fields.

    Returns:
        A :class:`Retrying` to iterate with ``for`` or ``async for``.

    Example:
        >>> for attempt in retrying(num_retries=2, retry_wait=0):
        ...     with attempt:
        ...         value = attempt.set_result(42)
        >>> value
        42
    """
    return Retrying(resolve_config(config, fields), method_name)
