"""``@task``: a function turned into a ``TaskWorker`` bound to it, started at first use.

The decorator validates its options at once but starts nothing: the worker (or
pool) is created by the first call, ``submit``, ``map`` or attribute that needs
it. A module-level ``@task(mode="process")`` function can therefore be imported
anywhere, including by the worker processes themselves (a ``spawn`` child runs
the main script again; concurry's fork server imports the function's module),
without starting workers there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from ._config import global_config
from ._enums import ExecutionMode
from ._errors import WorkerStoppedError
from ._sentinel import _NO_ARG
from ._task_worker import TaskWorker
from ._validate import as_bool

__all__ = ["LazyTask", "task"]

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

    Returns a ``LazyTask`` bound to the function: calling it returns a future;
    it also has ``.submit``, ``.map``, ``.stop`` and works as a context manager.
    A ``limits`` parameter of the function receives the worker's limits. The
    options are validated at decoration; the worker starts at first use.

    Args:
        mode: Execution mode (default ``global_config.defaults.mode``).
        on_demand: Start a worker per call (default
            ``global_config.defaults.task_decorator_on_demand``); always False for
            sync and asyncio. On-demand pools run at most ``max_workers`` calls at
            once (0 or unset: ``cpu_count() - 1`` for thread/process).
        **options: Any other ``Worker.options()`` option.

    Raises:
        ValueError: An option or its value is invalid (at decoration).
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

    def decorate(function: Callable[..., Any]) -> LazyTask:
        if not callable(function):
            raise TypeError(f"@task applies to functions, got {function!r}")
        return LazyTask(function, builder)

    return decorate(fn) if fn is not None else decorate


class LazyTask:
    """A function run on workers that start at first use (what ``@task`` returns).

    Calling it, ``submit``, ``map`` and any other worker attribute
    (``get_pool_stats``, ``mode``, ...) start the worker once, even when
    several threads use it first at the same time. ``stop()`` before first use
    starts nothing; after ``stop()`` calls raise ``WorkerStoppedError``.

    Args:
        function: The function to run.
        builder: The validated ``TaskWorker.options(...)`` builder.
    """

    __wrapped__: Callable[..., Any]

    def __init__(self, function: Callable[..., Any], builder: Any) -> None:
        self.__wrapped__ = function
        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            try:
                setattr(self, attr, getattr(function, attr))
            except (AttributeError, TypeError):
                pass
        self._builder = builder
        self._worker: Any = None
        self._stopped = False
        self._start_lock = threading.Lock()

    def _started(self) -> Any:
        worker = self._worker
        if worker is not None:
            return worker
        with self._start_lock:
            if self._stopped:
                raise WorkerStoppedError()
            if self._worker is None:
                self._worker = self._builder.init(fn=self.__wrapped__)
            return self._worker

    # -- the TaskWorker API -------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the function on a worker; returns a future (the value when blocking)."""
        return self._started().submit(*args, **kwargs)

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """Same as calling it."""
        return self._started().submit(*args, **kwargs)

    def map(self, *iterables: Any, **kwargs: Any) -> Iterator[Any]:
        """``TaskWorker.map`` over the bound function: results in input order."""
        return self._started().map(*iterables, **kwargs)  # type: ignore[no-any-return]

    def stop(self, timeout: float | None = None) -> None:
        """Stop the worker if it started; later calls raise ``WorkerStoppedError``."""
        with self._start_lock:
            self._stopped = True
            worker = self._worker
        if worker is not None:
            worker.stop(timeout)

    def __enter__(self) -> LazyTask:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __getattr__(self, name: str) -> Any:
        # only reached for names not set above: worker attributes (get_pool_stats, ...)
        if name.startswith("__") or name in _NOT_FORWARDED:
            raise AttributeError(name)
        return getattr(self._started(), name)

    def __reduce__(self) -> str:
        # by reference, as the function it replaces: an importable task pickles
        # (into a worker process, say) as its module attribute, never started
        return self.__qualname__

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "started" if self._worker else "not started"
        name = getattr(self, "__qualname__", None) or repr(self.__wrapped__)
        return f"<task {name} ({state})>"


# Attributes set in __init__: while __init__ runs (or on an object built by
# copy/pickle) they may be missing, and looking them up must not start a worker.
_NOT_FORWARDED = frozenset({"_builder", "_worker", "_stopped", "_start_lock"})
