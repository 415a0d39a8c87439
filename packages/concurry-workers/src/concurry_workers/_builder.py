"""``WorkerBuilder``: validated options waiting for ``.init(*args, **kwargs)``."""

from __future__ import annotations

from typing import Any

from ._auto_init import set_starter
from ._config import config_version
from ._options import WorkerSpec, resolve_spec, validate_options
from ._pool import start_pool
from ._retry import build_retry_plan
from ._start import start_worker

__all__ = ["WorkerBuilder", "class_keyword_options", "class_options"]

# (class, config version, options) -> validated options, version, spec, retry plan
_CACHE: dict[Any, tuple[Any, ...]] = {}


class WorkerBuilder:
    """Creates workers of one class with one set of options.

    Returned by ``Worker.options(...)``; options are validated when the
    builder is made, so a bad option fails before any worker starts.

    Args:
        worker_cls: The user's worker class.
        options: Options given to ``.options()`` (highest precedence).
    """

    def __init__(self, worker_cls: type, options: dict[str, Any]) -> None:
        self._worker_cls = worker_cls
        key: Any = None
        cached = None
        if options.get("limits") is None:  # never keep a user's limit state alive here
            try:
                key = (worker_cls, config_version(), tuple(sorted(options.items())))
                cached = _CACHE.get(key)
            except TypeError:  # unhashable option values: no caching
                key = None
        if cached is not None:
            self._options, self._version, self._spec, self._retry_plan = cached
            return
        self._options = validate_options(options)
        self._version = -1
        self._spec, self._retry_plan = self._resolve()  # eager: every rule is checked here
        if key is not None:
            if len(_CACHE) > 256:
                _CACHE.clear()
            _CACHE[key] = (self._options, self._version, self._spec, self._retry_plan)

    def _resolve(self) -> tuple[WorkerSpec, Any]:
        version = config_version()
        if version == self._version:
            return self._spec, self._retry_plan
        cls = self._worker_cls
        spec = resolve_spec(self._options, class_options(cls))
        plan = build_retry_plan(spec.retry, cls)
        self._version = version
        self._spec, self._retry_plan = spec, plan
        return spec, plan

    @property
    def spec(self) -> WorkerSpec:
        """The resolved options (as of when the builder was made)."""
        return self._spec

    def options(self, **options: Any) -> WorkerBuilder:
        """A new builder with ``options`` layered over this one's."""
        return WorkerBuilder(self._worker_cls, {**self._options, **options})

    def init(self, *args: Any, **kwargs: Any) -> Any:
        """Start a worker (or pool) and return its proxy.

        Raises:
            Exception: Whatever the class's ``__init__`` raised, with its original
                type and message.
        """
        spec, plan = self._resolve()
        if spec.max_workers != 1 or spec.on_demand:
            return start_pool(self._worker_cls, spec, args, kwargs)
        return start_worker(self._worker_cls, spec, args, kwargs, retry_plan=plan)

    def __repr__(self) -> str:
        return f"WorkerBuilder({self._worker_cls.__name__}, mode={self._spec.mode.value!r})"


def class_options(cls: type) -> dict[str, Any]:
    """The options ``cls`` carries: class keywords and ``@worker(...)`` arguments.

    Merged along the MRO, a more derived class winning; on one class the
    decorator's (it makes a subclass) win over the keywords of the class it wraps.
    """
    merged: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        own = vars(klass)
        merged.update(own.get("__concurry_class_options__", {}))
        merged.update(own.get("__concurry_decorator_options__", {}))
    return merged


def class_keyword_options(cls: type) -> dict[str, Any]:
    """The class-keyword options of ``cls`` and its bases (``class W(Worker, mode=...)``)."""
    merged: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        merged.update(vars(klass).get("__concurry_class_options__", {}))
    return merged


def _start_auto_init(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Start a worker of an auto-init class called like a plain class (``_auto_init``)."""
    return WorkerBuilder(cls, {}).init(*args, **kwargs)


set_starter(_start_auto_init)
