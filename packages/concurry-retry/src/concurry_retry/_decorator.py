"""``@retry(...)``: retry a function, method or coroutine function."""

from __future__ import annotations

import functools
from time import monotonic

from ._config import RetryConfig, resolve_config
from ._engine import RetryRun
from ._execute import _continue, async_execute_with_retry

# Not ``typing.TYPE_CHECKING``: importing ``typing`` would slow down ``import concurry_retry``.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])


def _kind(fn: Any) -> str:
    """``"async"``, ``"generator"`` or ``"sync"``."""
    import inspect  # decoration time only

    target = fn
    while isinstance(target, functools.partial):
        target = target.func
    call = getattr(target, "__call__", None)  # noqa: B004 - callable objects
    if inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(call):
        return "async"
    if inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target):
        return "generator"
    return "sync"


def retry(config: RetryConfig | None = None, /, **fields: Any) -> Callable[[F], F]:
    """Decorate a function (sync or ``async def``) so failed calls are retried.

    Args:
        config: A ready :class:`RetryConfig` (keywords, if also given, replace its fields).
        **fields: :class:`RetryConfig` fields, e.g. ``num_retries=3, retry_on=OSError``.

    Returns:
        A decorator. The wrapped function keeps its name, docstring and
        signature metadata (``functools.wraps``) and exposes the policy as
        ``.retry_config``. Works on methods too (``self`` is in ``args``).

    Raises:
        TypeError: ``@retry`` used without parentheses, or a bad field.
        ValueError: A field is out of range.

    Example:
        >>> @retry(num_retries=3, retry_on=ConnectionError, retry_wait=0.5)
        ... def fetch(url): ...
    """
    if config is not None and not isinstance(config, RetryConfig) and callable(config):
        raise TypeError(
            "retry needs its settings: write @retry(num_retries=3, ...) or @retry(config), "
            f"not @retry on {getattr(config, '__qualname__', config)!r}"
        )
    cfg = resolve_config(config, fields)

    def decorate(fn: F) -> F:
        if not callable(fn):
            raise TypeError(f"retry can only wrap a callable, got {fn!r}")
        name = getattr(fn, "__qualname__", None) or repr(fn)
        kind = _kind(fn)
        if kind == "generator":
            raise TypeError(
                f"retry cannot wrap the generator function {name}: its body runs after the "
                f"call returns; retry the code that consumes it with retrying() instead"
            )
        wrapper: Callable[..., Any]
        if kind == "async":

            async def wrapper(*args: Any, **kwargs: Any) -> Any:
                return await async_execute_with_retry(fn, args, kwargs, cfg, method_name=name)

        elif cfg._passthrough:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                return fn(*args, **kwargs)

        elif not cfg._validators:
            # The hot path: one clock read and a try block; the retry
            # machinery is only built after a failure.
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = monotonic()
                try:
                    return fn(*args, **kwargs)
                except Exception as err:
                    exc = err
                run = RetryRun(cfg, start, name, args, kwargs)
                return _continue(fn, args, kwargs, cfg, run, exc, None)

        else:

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                start = monotonic()
                try:
                    result = fn(*args, **kwargs)
                except Exception as err:
                    exc: Exception | None = err
                    result = None
                else:
                    exc = None
                run = RetryRun(cfg, start, name, args, kwargs)
                return _continue(fn, args, kwargs, cfg, run, exc, result)

        functools.update_wrapper(wrapper, fn)
        wrapper.retry_config = cfg  # type: ignore[attr-defined,union-attr]
        return wrapper  # type: ignore[return-value]

    return decorate
