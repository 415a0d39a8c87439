"""``TaskWorker``: a worker that runs arbitrary functions (an Executor-like interface)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from time import monotonic
from typing import Any

from ._invoke import BOUND, TASK
from ._pool import WorkerPool
from ._proxy import WorkerProxy
from ._worker import Worker

__all__ = ["TaskWorker", "TaskWorkerPool", "TaskWorkerProxy"]

_DEFAULT_WINDOW = 64


class _TaskMethods:
    """``submit`` / ``map`` / ``__call__`` shared by the single-worker and pool proxies."""

    _init_args: tuple[tuple[Any, ...], dict[str, Any]]
    _submit: Callable[[Any], Any]  # provided by WorkerProxy / WorkerPool

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
            raise TypeError(f"submit() needs a callable first argument, got {args[:1]!r}")
        return self._submit((TASK, args, kwargs))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the bound function on the worker (same as ``submit``)."""
        return self.submit(*args, **kwargs)

    def map(
        self,
        *args: Any,
        timeout: float | None = None,
        progress: Any = False,
        window: int | None = None,
    ) -> Iterator[Any]:
        """Run a function over iterables, yielding results in input order.

        ``map(fn, *iterables)``; with a bound function ``map(*iterables)`` (one
        iterable of tuples is unpacked into arguments). The input is consumed
        lazily: at most ``window`` calls are alive at once, so very long inputs
        run in bounded memory. The first window is submitted at once.

        Args:
            timeout: Seconds from the ``map`` call after which waiting for a
                result raises ``TimeoutError``.
            progress: False, True, or a dict of progress-bar options.
            window: Calls alive at once (default 64, at least the submission queue).
        """
        if self._bound:
            fn: Callable[..., Any] | str = BOUND
            iterables: tuple[Iterable[Any], ...] = args
        else:
            if not args or not callable(args[0]):
                raise TypeError(f"map() needs a callable first argument, got {args[:1]!r}")
            fn, iterables = args[0], args[1:]
        if not iterables:
            raise TypeError("map() needs at least one iterable")
        spec = getattr(self, "_spec", None)
        size = window or max(_DEFAULT_WINDOW, 2 * ((spec.max_queued_tasks or 0) if spec else 0))
        if size < 1:
            raise ValueError(f"window must be >= 1, got {size}")
        unpack = fn == BOUND and len(iterables) == 1
        items = iter(iterables[0]) if len(iterables) == 1 else zip(*iterables)
        deadline = None if timeout is None else monotonic() + timeout
        total = _length(iterables)
        bar = _progress_bar(progress, total)
        pending: deque[Any] = deque()

        def submit_next() -> bool:
            try:
                item = next(items)
            except StopIteration:
                return False
            if len(iterables) == 1 and not (unpack and type(item) is tuple):
                item = (item,)
            pending.append(self._submit((TASK, (fn, *item), {})))
            return True

        while len(pending) < size and submit_next():
            pass
        return _drain(pending, submit_next, deadline, bar, blocking=bool(spec and spec.blocking))


def _drain(
    pending: deque[Any],
    submit_next: Callable[[], bool],
    deadline: float | None,
    bar: Any,
    blocking: bool,
) -> Iterator[Any]:
    try:
        while pending:
            head = pending.popleft()
            if blocking:
                value = head
            else:
                wait = None if deadline is None else max(0.0, deadline - monotonic())
                value = head.result(timeout=wait)
            if bar is not None:
                bar.update(1)
            submit_next()
            yield value
        if bar is not None and hasattr(bar, "success"):
            bar.success()
    finally:
        for future in pending:
            if not blocking:
                future.cancel()
        if bar is not None:
            bar.close()


def _length(iterables: tuple[Iterable[Any], ...]) -> int | None:
    try:
        return min(len(it) for it in iterables)  # type: ignore[arg-type]
    except TypeError:
        return None


def _progress_bar(progress: Any, total: int | None) -> Any:
    if progress is None or progress is False:
        return None
    if progress is True:
        options: dict[str, Any] = {}
    elif isinstance(progress, dict):
        options = dict(progress)
    else:
        raise ValueError(f"progress must be a bool or a dict of bar options, got {progress!r}")
    options.setdefault("total", total)
    from concurry_futures import ProgressBar

    return ProgressBar(**options)


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
