"""``execute_with_retry`` and its async twin: run one call under a retry policy.

These are what concurry-workers calls around every method call inside a
worker. With ``num_retries=0`` and no ``retry_until`` they are a plain call;
on the success path they add one clock read and nothing else. A caller that
wants even less makes the first attempt itself and hands over only when it
raises (``first_error=..., started=...``).
"""

from __future__ import annotations

from time import monotonic

from ._config import DEFAULT_CONFIG, RetryConfig
from ._engine import RetryRun, sleep_async, sleep_sync

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from typing import Any, TypeVar

    T = TypeVar("T")


_NO_KWARGS: dict[str, Any] = {}


def _config(config: Any) -> RetryConfig:
    if config is None:
        return DEFAULT_CONFIG
    if isinstance(config, RetryConfig):
        return config
    raise TypeError(f"config must be a RetryConfig or None, got {config!r}")


def _started(started: float | None) -> float:
    if started is None:
        raise TypeError("first_error needs started=<time.monotonic() when attempt 1 started>")
    return started


def execute_with_retry(
    fn: Callable[..., T],
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    config: RetryConfig | None = None,
    *,
    method_name: str | None = None,
    worker_class: Any = None,
    first_error: Exception | None = None,
    started: float | None = None,
) -> T:
    """Call ``fn(*args, **kwargs)``, retrying as ``config`` says.

    A caller whose success path must stay a bare call can make the first
    attempt itself and hand over only when it raised, with ``first_error`` and
    ``started``: that exception is judged like any attempt's (re-raised when
    not retryable) and the retries continue with attempt 2.

    Args:
        fn: The callable to run.
        args: Its positional arguments.
        kwargs: Its keyword arguments.
        config: The retry policy; ``None`` means ``RetryConfig()`` (no retries).
        method_name: Name shown to filters, validators, hooks and errors;
            defaults to ``fn.__qualname__``.
        worker_class: The worker class (or name) for the context; ``None`` standalone.
        first_error: The exception of a first attempt the caller already made.
        started: ``time.monotonic()`` when that attempt started (required with
            ``first_error``): elapsed times are measured from it.

    Returns:
        The first result that passes every ``retry_until`` validator.

    Raises:
        Exception: The original exception of the last attempt when it is not
            retryable or no attempts are left.
        RetryValidationError: The last allowed attempt's result failed validation.
        TypeError: ``first_error`` without ``started``.
    """
    cfg = config if type(config) is RetryConfig else _config(config)
    if kwargs is None:
        kwargs = _NO_KWARGS
    if first_error is not None:
        ctx_kwargs = kwargs if kwargs is not _NO_KWARGS else {}
        run = RetryRun(cfg, _started(started), method_name, args, ctx_kwargs, worker_class, fn)
        try:
            return _continue(fn, args, kwargs, cfg, run, first_error, None)
        finally:
            first_error = None  # break the frame <-> traceback cycle
    if cfg._passthrough:
        return fn(*args, **kwargs)
    start = monotonic()
    exc: Exception | None
    if not cfg._validators:
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            exc = err
        result = None
    else:
        try:
            result = fn(*args, **kwargs)
            exc = None
        except Exception as err:
            exc, result = err, None
    ctx_kwargs = kwargs if kwargs is not _NO_KWARGS else {}  # callables must not share it
    run = RetryRun(cfg, start, method_name, args, ctx_kwargs, worker_class, fn)
    return _continue(fn, args, kwargs, cfg, run, exc, result)


def _continue(
    fn: Callable[..., T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    cfg: RetryConfig,
    run: RetryRun,
    exc: Exception | None,
    result: Any,
) -> T:
    attempt = 1
    while True:
        if exc is not None:
            wait = run.after_exception(exc, attempt)
            if wait is None:
                try:
                    raise exc
                finally:
                    exc = None  # break the frame <-> traceback cycle
        else:
            wait = run.after_result(result, attempt)
            if wait is None:
                return result  # type: ignore[no-any-return]
        sleep_sync(cfg, wait)
        attempt += 1
        try:
            result = fn(*args, **kwargs)
            exc = None
        except Exception as err:
            exc = err


async def async_execute_with_retry(
    fn: Callable[..., Awaitable[T]] | Callable[..., T],
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    config: RetryConfig | None = None,
    *,
    method_name: str | None = None,
    worker_class: Any = None,
    first_error: Exception | None = None,
    started: float | None = None,
) -> T:
    """Async twin of :func:`execute_with_retry`; waits with ``asyncio.sleep``.

    ``fn`` may be a coroutine function or a plain callable; an awaitable result
    is awaited. ``asyncio.CancelledError`` is never retried.

    Args:
        fn: The callable to run.
        args: Its positional arguments.
        kwargs: Its keyword arguments.
        config: The retry policy; ``None`` means ``RetryConfig()`` (no retries).
        method_name: Name shown to filters, validators, hooks and errors.
        worker_class: The worker class (or name) for the context; ``None`` standalone.
        first_error: The exception of a first attempt the caller already made
            (awaiting included); the retries continue with attempt 2.
        started: ``time.monotonic()`` when that attempt started (required with
            ``first_error``).

    Returns:
        The first result that passes every ``retry_until`` validator.

    Raises:
        Exception: The original exception of the last attempt.
        RetryValidationError: The last allowed attempt's result failed validation.
        TypeError: ``first_error`` without ``started``.
    """
    cfg = config if type(config) is RetryConfig else _config(config)
    if kwargs is None:
        kwargs = _NO_KWARGS
    # ``run`` stays the first attempt's start time until a retry decision needs a RetryRun.
    run: RetryRun | float
    if first_error is not None:
        run = RetryRun(cfg, _started(started), method_name, args, dict(kwargs), worker_class, fn)
        wait = run.after_exception(first_error, 1)
        if wait is None:
            try:
                raise first_error
            finally:
                first_error = None  # break the frame <-> traceback cycle
        await sleep_async(cfg, wait)
        attempt = 2
    elif cfg._passthrough:
        outcome = fn(*args, **kwargs)
        if hasattr(outcome, "__await__"):
            return await outcome  # type: ignore[no-any-return]
        return outcome  # type: ignore[return-value]
    else:
        run = monotonic()
        attempt = 1
    while True:
        try:
            outcome = fn(*args, **kwargs)
            result = await outcome if hasattr(outcome, "__await__") else outcome
        except Exception as err:
            if isinstance(run, float):
                run = RetryRun(cfg, run, method_name, args, dict(kwargs), worker_class, fn)
            wait = run.after_exception(err, attempt)
            if wait is None:
                raise
        else:
            if not cfg._validators:
                return result  # type: ignore[no-any-return]
            if isinstance(run, float):
                run = RetryRun(cfg, run, method_name, args, dict(kwargs), worker_class, fn)
            wait = run.after_result(result, attempt)
            if wait is None:
                return result  # type: ignore[no-any-return]
        await sleep_async(cfg, wait)
        attempt += 1
