"""``TaskWorker``: a worker that runs arbitrary functions (an Executor-like interface)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import Any

from ._invoke import BOUND, TASK, Call
from ._map import start_map
from ._pool import WorkerPool
from ._proxy import WorkerProxy
from ._worker import Worker

__all__ = ["TaskWorker", "TaskWorkerPool", "TaskWorkerProxy"]


class _TaskMethods:
    """``submit`` / ``map`` / ``__call__`` shared by the single-worker and pool proxies."""

    _init_args: tuple[tuple[Any, ...], dict[str, Any]]
    _submit: Callable[[Any], Any]  # provided by WorkerProxy / WorkerPool
    _submit_future: Callable[[Call], Future[Any]]
    _spec: Any

    @property
    def _bound(self) -> bool:
        args, kwargs = self._init_args
        return (kwargs.get("fn") if "fn" in kwargs else (args[0] if args else None)) is not None

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(*args, **kwargs)`` on the worker: ``submit(fn, *args, **kwargs)``.

        With a bound function (``.init(fn=f)``) every argument goes to it:
        ``submit(*args, **kwargs)``. Returns a future, or the value when blocking.
        """
        if self._bound:
            return self._submit((TASK, (BOUND, *args), kwargs))
        if not args or not callable(args[0]):
            raise TypeError(_not_callable("submit", args))
        return self._submit((TASK, args, kwargs))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the bound function on the worker (same as ``submit``)."""
        return self.submit(*args, **kwargs)

    def map(
        self,
        *args: Any,
        timeout: float | None = None,
        progress: Any = False,
        chunksize: int = 1,
        ordered: bool = True,
        window: int | None = None,
    ) -> Iterator[Any]:
        """Run a function over iterables on the worker(s), yielding the results.

        ``map(fn, *iterables)``; with a bound function ``map(*iterables)`` (one
        iterable of tuples is unpacked into arguments). Items are spread over
        every worker of a pool. The input is read lazily: at most ``window``
        calls are alive at once (submitted and not yet consumed), so a very
        long input maps in bounded memory. The first window is submitted
        before ``map`` returns.

        Iteration stops at the first failed item, raising its exception (the
        items before it were yielded); the calls still alive are cancelled, as
        they are when the iterator is closed or dropped.

        Args:
            timeout: Seconds, counted from the ``map`` call, after which waiting
                for a result raises ``TimeoutError`` naming the item.
            progress: False, True, or a dict of ``ProgressBar`` options.
            chunksize: Items sent and run per call (as ``ProcessPoolExecutor.map``);
                results still come one by one.
            ordered: Yield in input order (True) or as calls finish (False).
            window: Calls alive at once (with ``chunksize > 1``, chunks). Default:
                ``max_workers x max_queued_tasks`` (100 per worker when uncapped;
                on-demand pools: twice their concurrency cap).

        Raises:
            ValueError: ``chunksize`` or ``window`` is not an int >= 1, ``timeout``
                is negative, or ``progress`` is not a bool or dict.
            WorkerStoppedError: the worker was stopped.
        """
        if self._bound:
            fn: Callable[..., Any] | str = BOUND
            iterables: tuple[Iterable[Any], ...] = args
        else:
            if not args or not callable(args[0]):
                raise TypeError(_not_callable("map", args))
            fn, iterables = args[0], args[1:]
        if not iterables:
            raise TypeError("map() needs at least one iterable")
        return start_map(
            self._submit_future,
            self._spec,
            fn,
            iterables,
            timeout=timeout,
            progress=progress,
            chunksize=chunksize,
            ordered=ordered,
            window=window,
        )


def _not_callable(method: str, args: tuple[Any, ...]) -> str:
    got = f"{args[0]!r} ({type(args[0]).__name__})" if args else "no arguments"
    return (
        f"{method}() requires a callable as its first argument (no function was bound "
        f"with .init(fn=...)), got {got}"
    )


class TaskWorkerProxy(_TaskMethods, WorkerProxy):
    """The proxy of a single ``TaskWorker``."""


class TaskWorkerPool(_TaskMethods, WorkerPool):
    """The proxy of a ``TaskWorker`` pool."""


class TaskWorker(Worker):
    """A worker that runs any function you give it.

    ``TaskWorker.options(mode="process").init()`` returns a proxy with
    ``submit(fn, *args, **kwargs)``, ``map(fn, *iterables)`` and, when a
    function is bound with ``.init(fn=f)``, ``submit(*args)``, ``map(iterable)``
    and ``proxy(*args)``. Functions may be async. A function with a ``limits``
    parameter receives the worker's limits.

    Args:
        fn: A function to bind (optional).
    """

    __concurry_proxy_class__ = TaskWorkerProxy
    __concurry_pool_class__ = TaskWorkerPool
    _concurry_inject_limits_ = True

    def __init__(self, fn: Callable[..., Any] | None = None) -> None:
        self._bound_fn = fn
