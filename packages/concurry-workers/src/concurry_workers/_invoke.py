"""``Invoker``: the one place that runs a call on a worker instance.

Every backend hands its calls to an ``Invoker``: it resolves future arguments,
finds the target (a method, or a function for task calls), applies the retry
plan and runs sync or async code. ``call`` is for threads and processes (async
methods run to completion on a private event loop); ``acall`` is its twin for
the asyncio backend.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from types import CoroutineType
from typing import Any

from ._retry import FIRST_TRY, PLAIN
from ._unwrap import aunwrap_call, unwrap_call

__all__ = ["BOUND", "TASK", "Call", "Invoker"]

#: A call crossing from the proxy to a backend: (method name or TASK, args, kwargs).
Call = tuple[str | None, tuple[Any, ...], dict[str, Any]]

#: Method name of a task call: ``args[0]`` is the function to run on ``args[1:]``.
TASK = None

#: ``args[0]`` of a task call that runs the worker's bound function (``TaskWorker``).
BOUND = "__concurry_bound_fn__"


class Invoker:
    """Runs calls against one worker instance.

    Args:
        instance: The user's worker object.
        unwrap_futures: Resolve ``BaseFuture`` arguments before the call.
        retry: A retry plan (``_retry.RetryPlan``) or None for no retries.
    """

    def __init__(self, instance: Any, unwrap_futures: bool = True, retry: Any = None) -> None:
        self.instance = instance
        self._unwrap = unwrap_futures
        self._retry = retry
        self._lanes: dict[str | None, int] = retry.lanes if retry is not None else {}
        self._default_lane: int = retry.default_lane if retry is not None else PLAIN
        self._loop: Any = None
        self._is_async: dict[str | None, bool] = {}
        self._inject_limits = bool(getattr(instance, "_concurry_inject_limits_", False))
        self._limits_params: dict[Any, bool] = {}

    def _target(
        self, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
        if name is not TASK:
            return getattr(self.instance, name), args, kwargs
        fn, args = args[0], args[1:]
        if isinstance(fn, str) and fn == BOUND:
            fn = self.instance._bound_fn
        if self._inject_limits and "limits" not in kwargs and self._takes_limits(fn):
            kwargs = {**kwargs, "limits": self.instance.limits}
        return fn, args, kwargs

    def _takes_limits(self, fn: Callable[..., Any]) -> bool:
        try:
            return self._limits_params[fn]
        except (KeyError, TypeError):
            pass
        import inspect

        try:
            found = "limits" in inspect.signature(fn).parameters
        except (TypeError, ValueError):
            found = False
        try:
            self._limits_params[fn] = found
        except TypeError:
            pass
        return found

    def is_async(self, name: str | None, args: tuple[Any, ...]) -> bool:
        """True when the call's target is a coroutine function (decides the asyncio lane)."""
        if name is not TASK:
            try:
                return self._is_async[name]
            except KeyError:
                pass
        from inspect import iscoroutinefunction

        if name is TASK:
            fn = args[0] if args else None
            if isinstance(fn, str) and fn == BOUND:
                fn = getattr(self.instance, "_bound_fn", None)
            return iscoroutinefunction(fn)
        found = iscoroutinefunction(getattr(self.instance, name, None))
        self._is_async[name] = found
        return found

    def call(self, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run one call to completion in the current thread and return its result."""
        if self._unwrap and (args or kwargs):
            args, kwargs = unwrap_call(args, kwargs)
        if name is TASK and getattr(args[0], "_concurry_batch_", False):
            # a batch of task calls (map's chunks): the runner calls back ``call`` per
            # item, so bound functions, limits, retries and coroutines apply per item
            return args[0](self, *args[1:])
        retry = self._retry
        if retry is None:
            if name is not TASK:  # the hot path, kept flat
                result = getattr(self.instance, name)(*args, **kwargs)
            else:
                fn, args, kwargs = self._target(name, args, kwargs)
                result = fn(*args, **kwargs)
            if isinstance(result, CoroutineType):
                return self._run_coroutine(result)
            return result
        if name is not TASK:
            fn = getattr(self.instance, name)  # before any try: a missing method is not retried
        else:
            fn, args, kwargs = self._target(name, args, kwargs)
        lane = self._lanes.get(name, self._default_lane)
        if lane == FIRST_TRY:  # retrying's happy case: one clock read, one try, one call
            started = monotonic()
            try:
                result = fn(*args, **kwargs)
                if type(result) is CoroutineType:
                    result = self._run_coroutine(result)
                return result
            except Exception as err:
                error: Exception | None = err
            # Outside the except block, so a later attempt's error is not chained to this one.
            try:
                return retry.run(fn, args, kwargs, name, self._run_coroutine, error, started)
            finally:
                error = None  # break the frame <-> traceback cycle
        if lane == PLAIN:
            result = fn(*args, **kwargs)
            if isinstance(result, CoroutineType):
                return self._run_coroutine(result)
            return result
        return retry.run(fn, args, kwargs, name, self._run_coroutine)

    async def acall(self, name: str | None, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run one call on the running event loop and return its result."""
        if self._unwrap:
            args, kwargs = await aunwrap_call(args, kwargs)
        fn, args, kwargs = self._target(name, args, kwargs)
        retry = self._retry
        lane = PLAIN if retry is None else self._lanes.get(name, self._default_lane)
        if lane == FIRST_TRY:
            started = monotonic()
            try:
                result = fn(*args, **kwargs)
                if hasattr(result, "__await__"):
                    result = await result
                return result
            except Exception as err:
                error: Exception | None = err
            try:
                return await retry.arun(fn, args, kwargs, name, error, started)
            finally:
                error = None  # break the frame <-> traceback cycle
        if lane == PLAIN:
            result = fn(*args, **kwargs)
            if hasattr(result, "__await__"):
                return await result
            return result
        return await retry.arun(fn, args, kwargs, name)

    def _run_coroutine(self, coro: Any) -> Any:
        import asyncio

        if asyncio._get_running_loop() is not None:
            # Called from inside someone's event loop (a sync worker used from async
            # code): a second loop cannot run in this thread, so borrow one.
            return _run_in_helper_thread(coro)
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(coro)

    def close(self) -> None:
        """Release the private event loop, if one was made."""
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            loop.close()


def _run_in_helper_thread(coro: Any) -> Any:
    import asyncio
    import threading

    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=runner, name="concurry-coroutine", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]
