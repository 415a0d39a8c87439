"""``@task``: a function turned into an initialised ``TaskWorker`` bound to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._config import global_config
from ._enums import ExecutionMode
from ._sentinel import _NO_ARG
from ._task_worker import TaskWorker
from ._validate import as_bool

__all__ = ["task"]

_ON_DEMAND_MODES = (ExecutionMode.Threads, ExecutionMode.Processes, ExecutionMode.Ray)


def task(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    mode: Any = _NO_ARG,
    on_demand: Any = _NO_ARG,
    **options: Any,
) -> Any:
    """Run a function on workers: ``@task(mode="thread", max_workers=4)``.

    Returns an initialised ``TaskWorker`` (or pool) bound to the function:
    calling it returns a future; it also has ``.submit``, ``.map``, ``.stop``
    and works as a context manager. A ``limits`` parameter of the function
    receives the worker's limits.

    Args:
        mode: Execution mode (default ``global_config.defaults.mode``).
        on_demand: Start a worker per call (default
            ``global_config.defaults.task_decorator_on_demand``); always False for
            sync and asyncio. On-demand pools run at most ``max_workers`` calls at
            once (0 or unset: ``cpu_count() - 1`` for thread/process).
        **options: Any other ``Worker.options()`` option.
    """
    resolved = ExecutionMode(global_config.defaults.mode if mode is _NO_ARG else mode)
    if resolved in _ON_DEMAND_MODES:
        demand = (
            global_config.defaults.task_decorator_on_demand
            if on_demand is _NO_ARG
            else as_bool("on_demand", on_demand)
        )
    else:
        demand = False
    builder = TaskWorker.options(mode=resolved, on_demand=demand, **options)

    def decorate(function: Callable[..., Any]) -> Any:
        if not callable(function):
            raise TypeError(f"@task applies to functions, got {function!r}")
        proxy = builder.init(fn=function)
        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            try:
                object.__setattr__(proxy, attr, getattr(function, attr))
            except (AttributeError, TypeError):
                pass
        proxy.__wrapped__ = function
        return proxy

    return decorate(fn) if fn is not None else decorate
