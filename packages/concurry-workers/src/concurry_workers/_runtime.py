"""``Runtime``: what a backend needs to build and serve one worker instance.

It is created once per worker on the client, crosses to the worker (pickled for
processes) and there builds the instance and its ``Invoker``.
"""

from __future__ import annotations

from typing import Any

from ._auto_init import plain_new
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
        instance = _new(cls, self.args, self.kwargs)
        if not _set_limits(instance, self.limits):
            # every class of the MRO uses __slots__ and none has a "limits" slot:
            # run a subclass that adds one (isinstance and methods are unchanged)
            instance = _new(_with_limits_slot(cls), self.args, self.kwargs)
            _set_limits(instance, self.limits)
        instance.__init__(*self.args, **self.kwargs)
        # Pydantic-style models replace __dict__ during __init__; set it again.
        _set_limits(instance, self.limits)
        return Invoker(instance, self.unwrap_futures, self.retry)


def _new(cls: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if cls.__new__ is object.__new__:
        return object.__new__(cls)
    return plain_new(cls, args, kwargs)  # never auto-init's __new__ (a worker in the worker)


def _set_limits(instance: Any, limits: Any) -> bool:
    """Store ``limits`` on the instance; False when the instance has no room for it."""
    try:
        object.__setattr__(instance, "limits", limits)
    except AttributeError:
        # no __dict__ and no "limits" slot, or the class's own read-only "limits"
        return hasattr(type(instance), "limits")
    except TypeError:
        return True  # an immutable built-in base: nothing we can add
    return True


def _with_limits_slot(cls: type) -> type:
    namespace = {
        "__slots__": ("limits",),
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
    }
    return type(cls)(cls.__name__, (cls,), namespace)  # type: ignore[no-any-return]


#: Short internal name.
Runtime = WorkerRuntime
