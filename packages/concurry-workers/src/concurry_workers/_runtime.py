"""``Runtime``: what a backend needs to build and serve one worker instance.

It is created once per worker on the client, crosses to the worker (pickled for
processes) and there builds the instance and its ``Invoker``.
"""

from __future__ import annotations

from typing import Any

from ._invoke import Invoker

__all__ = ["Runtime", "WorkerRuntime"]


class WorkerRuntime:
    """Everything, besides the class and its init arguments, a worker instance needs.

    Attributes:
        worker_cls: The user's class (not a proxy).
        args: Positional arguments of ``.init()``.
        kwargs: Keyword arguments of ``.init()``.
        unwrap_futures: Resolve ``BaseFuture`` arguments before each call.
        retry: A retry plan or None.
        limits: The object ``self.limits`` refers to inside the worker.
    """

    def __init__(
        self,
        worker_cls: type,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        unwrap_futures: bool = True,
        retry: Any = None,
        limits: Any = None,
    ) -> None:
        self.worker_cls = worker_cls
        self.args = args
        self.kwargs = kwargs
        self.unwrap_futures = unwrap_futures
        self.retry = retry
        self.limits = limits

    def build(self) -> Invoker:
        """Instantiate the worker (raising its ``__init__`` errors) and wrap it in an Invoker."""
        cls: Any = self.worker_cls
        instance = cls.__new__(cls)
        _set_limits(instance, self.limits)
        instance.__init__(*self.args, **self.kwargs)
        # Pydantic-style models replace __dict__ during __init__; set it again.
        _set_limits(instance, self.limits)
        return Invoker(instance, self.unwrap_futures, self.retry)


def _set_limits(instance: Any, limits: Any) -> None:
    try:
        object.__setattr__(instance, "limits", limits)
    except (AttributeError, TypeError):
        pass  # a class with __slots__ and no "limits" slot: it cannot hold limits


#: Short internal name.
Runtime = WorkerRuntime
