"""``limited``: limits around a ``with`` block, an ``async with`` block or every call of a function."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from concurry_limits._acquisition import LimitSetAcquisition
from concurry_limits._errors import LimitUsageError, LimitValidationError
from concurry_limits._limit_pool import LimitPool
from concurry_limits._limit_set import LimitSet
from concurry_limits._limits import Limit

__all__ = ["limited"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TypeVar

    F = TypeVar("F", bound=Callable[..., Any])
    Requested = Mapping[str, float] | Callable[..., Mapping[str, float]] | None

_CO_COROUTINE = 0x80


def _full_usage(acq: LimitSetAcquisition) -> None:
    plan = acq._plan
    if plan.needs_update:
        acq.update({k: plan.amounts[k] for k in plan.needs_update})


class limited:
    """Hold limits around a block or around every call of a function.

    ``limited(...)`` takes one :class:`LimitSet` or :class:`LimitPool`, or any
    number of :class:`Limit` objects (then it builds one private in-process
    LimitSet, shared by every call of the decorated function)::

        api = limited(RateLimit("tokens", capacity=10_000, per="minute"), CallLimit(1, 5))

        @limited(api.limits, requested=lambda prompt: {"tokens": len(prompt)})
        def ask(prompt): ...

        with limited(shared_set, requested={"tokens": 100}) as acq:
            acq.update(usage={"tokens": 42})

        async with limited(shared_set) as acq: ...

    As a decorator (sync or async functions), each call acquires and, when the
    call returns, reports the full requested amounts as used (report real usage
    with the ``with`` form instead). As a context manager it hands out the
    :class:`LimitSetAcquisition`, whose usual rules apply; one object serves one
    block at a time (create one per block, they are cheap).

    Args:
        *limits: One LimitSet or LimitPool, or Limit objects.
        requested: Amounts per key, or (decorator only) a callable receiving the
            function's arguments and returning them.
        timeout: Seconds to wait at most per acquire (``TimeoutError`` after).
    """

    __slots__ = ("_acq", "_requested", "_target", "_timeout")

    def __init__(
        self,
        *limits: Limit | LimitSet | LimitPool | Any,
        requested: Requested = None,
        timeout: float | None = None,
    ) -> None:
        if len(limits) == 1 and isinstance(limits[0], LimitSet | LimitPool):
            self._target: LimitSet | LimitPool = limits[0]
        else:
            flat: list[Any] = []
            for item in limits:
                flat.extend(item if isinstance(item, list | tuple) else [item])
            if not flat or not all(isinstance(x, Limit) for x in flat):
                raise LimitValidationError(
                    f"limited() takes one LimitSet or LimitPool, or Limit objects, got {limits!r}"
                )
            self._target = LimitSet(flat)
        self._requested = requested
        self._timeout = timeout
        self._acq: LimitSetAcquisition | None = None

    @property
    def limits(self) -> LimitSet | LimitPool:
        """The LimitSet or LimitPool acquired from."""
        return self._target

    def _static_requested(self) -> Mapping[str, float] | None:
        if callable(self._requested):
            raise LimitValidationError(
                "a callable requested= only works when decorating a function"
            )
        return self._requested

    def __enter__(self) -> LimitSetAcquisition:
        if self._acq is not None:
            raise LimitUsageError("this limited(...) object is already in use; make one per block")
        self._acq = self._target.acquire(self._static_requested(), self._timeout)
        return self._acq

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        acq, self._acq = self._acq, None
        assert acq is not None
        acq.__exit__(exc_type, exc, tb)

    async def __aenter__(self) -> LimitSetAcquisition:
        if self._acq is not None:
            raise LimitUsageError("this limited(...) object is already in use; make one per block")
        self._acq = await self._target.async_acquire(self._static_requested(), self._timeout)
        return self._acq

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        acq, self._acq = self._acq, None
        assert acq is not None
        await acq._async_exit(exc_type)

    def __call__(self, fn: F) -> F:
        target = self._target
        requested = self._requested
        timeout = self._timeout
        dynamic = callable(requested)
        code = getattr(fn, "__code__", None)
        if code is not None and code.co_flags & _CO_COROUTINE:

            @functools.wraps(fn)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                req: Any = requested(*args, **kwargs) if dynamic else requested  # type: ignore[misc, operator]
                async with target.async_acquire(req, timeout) as acq:
                    result = await fn(*args, **kwargs)
                    _full_usage(acq)
                    return result

            async_wrapper.limits = target  # type: ignore[attr-defined]
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            req: Any = requested(*args, **kwargs) if dynamic else requested  # type: ignore[misc, operator]
            with target.acquire(req, timeout) as acq:
                result = fn(*args, **kwargs)
                _full_usage(acq)
                return result

        wrapper.limits = target  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"limited({self._target!r}, requested={self._requested!r})"
