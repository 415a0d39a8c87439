"""``Worker`` (the base class) and the ``@worker`` decorator."""

from __future__ import annotations

import warnings
from typing import Any

from ._auto_init import FLAG, auto_init_enabled, enable_auto_init
from ._builder import WorkerBuilder, class_keyword_options
from ._options import validate_options
from ._sentinel import _NO_ARG
from ._validate import as_bool

__all__ = ["Worker", "worker"]

#: Where ``@worker(...)`` stores its options on the class it returns.
DECORATOR_OPTIONS = "__concurry_decorator_options__"


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

    A class given options (class keywords or ``@worker(...)``) is *auto-init*:
    calling it starts a worker with them, ``Counter()`` being
    ``Counter.options().init()``. The class keyword ``auto_init=False``
    keeps it a plain class (``Counter()`` is then a local object), as is a
    class with no options. ``self.limits`` is available inside the worker
    (an empty ``LimitSet`` when no limits were configured).
    """

    # marks the library's own base: its names are not the user's (see _proxy._user_names)
    __concurry_worker_base__ = True

    def __init_subclass__(cls, auto_init: Any = _NO_ARG, **options: Any) -> None:
        validated = validate_options(options)
        super().__init_subclass__()
        cls.__concurry_class_options__ = validated  # type: ignore[attr-defined]
        _set_auto_init(cls, auto_init, bool(validated))
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


def _set_auto_init(cls: type, auto_init: Any, has_options: bool) -> None:
    """Record ``cls``'s auto-init setting (options imply it) and arm it when on."""
    if auto_init is not _NO_ARG:
        setattr(cls, FLAG, as_bool("auto_init", auto_init))
    elif has_options and FLAG not in vars(cls):
        setattr(cls, FLAG, True)
    if auto_init_enabled(cls):
        enable_auto_init(cls)


def worker(cls: type | None = None, /, *, auto_init: Any = _NO_ARG, **options: Any) -> Any:
    """Turn any class (plain, dataclass, pydantic model) into a worker class.

    ``@worker`` alone returns a subclass that also inherits ``Worker`` (so it
    has ``.options()``; calling it still makes a local object). With options,
    ``@worker(mode="thread", ...)`` returns a subclass carrying them that is
    auto-init: calling it starts a worker and returns the proxy
    (``auto_init=False`` keeps calls local); ``.options()`` on it overrides
    them. The result can be subclassed and decorated again; the options of
    a more derived class win.

    Args:
        cls: The class (when used as ``@worker`` without parentheses).
        auto_init: Whether calling the class starts a worker (default: True
            when options are given, else inherited).
        **options: Any ``Worker.options()`` option.

    Raises:
        TypeError: An unknown option name, or applied to something not a class.
        ValueError: An invalid option value.

    Warns:
        UserWarning: The options are applied to a ``Worker`` subclass that
            already has class-keyword options (the decorator's win).
    """
    validated = validate_options(options)
    explicit = auto_init if auto_init is _NO_ARG else as_bool("auto_init", auto_init)

    def decorate(target: type) -> Any:
        if not isinstance(target, type):
            raise TypeError(f"@worker applies to classes, got {target!r}")
        if issubclass(target, Worker):
            new_cls: type = target
            keywords = class_keyword_options(target)
            if validated and keywords:
                warnings.warn(
                    f"@worker({_show(validated)}) decorates {target.__qualname__}, which "
                    f"already has class options ({_show(keywords)}); the decorator's "
                    f"options take precedence over them",
                    UserWarning,
                    stacklevel=2,
                )
        else:
            new_cls = _subclass(target, (target, Worker), {})
        if validated or explicit is not _NO_ARG:
            namespace: dict[str, Any] = {DECORATOR_OPTIONS: validated}
            if explicit is not _NO_ARG:
                namespace[FLAG] = explicit
            elif validated:
                namespace[FLAG] = True
            new_cls = _subclass(new_cls, (new_cls,), namespace)
        return new_cls

    if cls is not None:
        return decorate(cls)
    return decorate


def _subclass(target: type, bases: tuple[type, ...], namespace: dict[str, Any]) -> type:
    """A subclass of ``bases`` that looks like ``target`` (name, module, docs)."""
    namespace = {
        "__module__": target.__module__,
        "__qualname__": target.__qualname__,
        "__doc__": target.__doc__,
        **namespace,
    }
    return type(target)(target.__name__, bases, namespace)  # type: ignore[no-any-return]


def _show(options: dict[str, Any]) -> str:
    return ", ".join(f"{k}={getattr(v, 'value', v)!r}" for k, v in options.items())
