"""``Worker`` (the base class) and the ``@worker`` decorator."""

from __future__ import annotations

from typing import Any

from ._builder import WorkerBuilder
from ._options import validate_options

__all__ = ["Worker", "worker"]


class Worker:
    """Base class for actor-style workers.

    Subclass it and write plain methods; ``Cls.options(mode=...).init(*args)``
    starts an instance in that mode and returns a proxy whose methods return
    futures. Options can also be given as class keywords, which subclasses
    inherit and ``.options()`` overrides::

        class Counter(Worker, mode="thread"):
            def __init__(self): self.n = 0
            def incr(self): self.n += 1; return self.n

        with Counter.options().init() as c:
            c.incr().result()  # 1

    Instantiating the class directly (``Counter()``) gives a plain local
    object. ``self.limits`` is available inside the worker (an empty
    ``LimitSet`` when no limits were configured).
    """

    # marks the library's own base: its names are not the user's (see _proxy._user_names)
    __concurry_worker_base__ = True

    def __init_subclass__(cls, **options: Any) -> None:
        validated = validate_options(options)
        super().__init_subclass__()
        cls.__concurry_class_options__ = validated  # type: ignore[attr-defined]
        own = next((vars(k)["options"] for k in cls.__mro__ if "options" in vars(k)), None)
        if own is not None and not isinstance(own, (classmethod, _HybridOptions)):
            # The class defines its own ``options`` method: instances (and the
            # worker) see it, while ``Cls.options(...)`` still configures workers.
            cls.options = _HybridOptions(own)  # type: ignore[method-assign,assignment]

    @classmethod
    def options(cls, **options: Any) -> WorkerBuilder:
        """Configure how workers of this class run; returns a ``WorkerBuilder``.

        Args:
            **options: ``mode``, ``blocking``, ``max_workers``, ``load_balancing``,
                ``on_demand``, ``max_queued_tasks``, ``unwrap_futures``, ``limits``,
                ``num_retries``, ``retry_on``, ``retry_algorithm``, ``retry_wait``,
                ``retry_jitter``, ``retry_until``, ``retry_max_wait``,
                ``stop_timeout``, ``mp_context`` (process) and ``actor_options``,
                ``num_cpus``, ``num_gpus``, ``resources`` (ray). Omitted options
                come from ``@worker`` arguments, class keywords, then
                ``global_config``.

        Raises:
            TypeError: An unknown option name.
            ValueError: An invalid value or combination (named in the message).
        """
        return WorkerBuilder(cls, options)


class _HybridOptions:
    """``Cls.options(...)`` builds a worker; ``instance.options`` is the user's method."""

    def __init__(self, method: Any) -> None:
        self._method = method

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return lambda **options: WorkerBuilder(owner, options)  # type: ignore[arg-type]
        return self._method.__get__(instance, owner)


class _WorkerFactory:
    """What ``@worker(...)`` with options returns: calling it starts a worker."""

    def __init__(self, cls: type) -> None:
        self.__wrapped__ = cls
        self.__name__ = cls.__name__
        self.__qualname__ = cls.__qualname__
        self.__module__ = cls.__module__
        self.__doc__ = cls.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__.options().init(*args, **kwargs)  # type: ignore[attr-defined]

    def options(self, **options: Any) -> WorkerBuilder:
        """Same as ``Worker.options`` on the wrapped class."""
        return self.__wrapped__.options(**options)  # type: ignore[attr-defined,no-any-return]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__wrapped__, name)

    def __repr__(self) -> str:
        return f"<worker factory {self.__qualname__}>"


def worker(cls: type | None = None, /, **options: Any) -> Any:
    """Turn any class (plain, dataclass, pydantic model) into a worker class.

    ``@worker`` alone returns a subclass that also inherits ``Worker`` (so it
    has ``.options()``; calling it still makes a local object). With options,
    ``@worker(mode="thread", ...)`` returns a factory: calling it starts a
    worker with those options and returns the proxy; ``.options()`` on it
    overrides them.

    Raises:
        TypeError: An unknown option name, or applied to something not a class.
        ValueError: An invalid option value.
    """
    validated = validate_options(options)

    def decorate(target: type) -> Any:
        if not isinstance(target, type):
            raise TypeError(f"@worker applies to classes, got {target!r}")
        if issubclass(target, Worker):
            new_cls: type = target
        else:
            new_cls = type(target)(  # type: ignore[misc]
                target.__name__,
                (target, Worker),
                {
                    "__module__": target.__module__,
                    "__qualname__": target.__qualname__,
                    "__doc__": target.__doc__,
                },
            )
        if validated:
            new_cls = type(new_cls)(  # type: ignore[misc]
                new_cls.__name__,
                (new_cls,),
                {
                    "__module__": new_cls.__module__,
                    "__qualname__": new_cls.__qualname__,
                    "__doc__": new_cls.__doc__,
                    "__concurry_decorator_options__": validated,
                },
            )
            return _WorkerFactory(new_cls)
        return new_cls

    if cls is not None:
        return decorate(cls)
    return decorate
