"""`wrap_future`: turn anything future-like (or not) into a `BaseFuture`.

Kinds this package does not know (Ray's ``ObjectRef``) are wrapped by
adapters that other packages plug in, so this package never imports them:

- an entry point in the group ``concurry.future_adapters`` naming a callable
  ``adapter(obj) -> BaseFuture | None``; the group is read once, lazily, the
  first time an object from a ``ray`` module is seen;
- or `register_future_adapter(adapter)` at run time.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any

from ._asyncio import AsyncioFuture, _running_loop, is_asyncio_future
from ._base import BaseFuture
from ._concurrent import ConcurrentFuture
from ._errors import MissingPluginError
from ._sync import SyncFuture

__all__ = ["ADAPTER_GROUP", "register_future_adapter", "wrap_future"]

#: Entry-point group read to find adapters for foreign future kinds.
ADAPTER_GROUP = "concurry.future_adapters"

Adapter = Callable[[Any], "BaseFuture | None"]

_adapters: list[Adapter] = []
_entry_points_loaded = False
_load_lock = threading.Lock()


def register_future_adapter(adapter: Adapter) -> Adapter:
    """Teach `wrap_future` a new kind of future.

    ``adapter(obj)`` returns a `BaseFuture` for objects it understands and None
    for the rest. Adapters are tried in registration order for every object
    that is not a known future kind. Registering the same callable twice is a
    no-op. Returns the adapter, so this works as a decorator.

    Raises:
        TypeError: ``adapter`` is not callable.
    """
    if not callable(adapter):
        raise TypeError(f"adapter must be callable, got {type(adapter).__name__}")
    with _load_lock:
        if adapter not in _adapters:
            _adapters.append(adapter)
    return adapter


def _load_entry_points() -> None:
    global _entry_points_loaded
    with _load_lock:
        if _entry_points_loaded:
            return
        _entry_points_loaded = True
        from importlib.metadata import entry_points

        found = list(entry_points(group=ADAPTER_GROUP))
    for ep in found:
        try:
            register_future_adapter(ep.load())
        except Exception as e:  # a broken plugin must not break wrapping everything else
            warnings.warn(
                f"cannot load future adapter {ep.name!r} ({ep.value}): {e!r}",
                RuntimeWarning,
                stacklevel=3,
            )


def _adapt(obj: Any) -> BaseFuture | None:
    module = type(obj).__module__ or ""
    if module.startswith("ray") and not _entry_points_loaded:
        _load_entry_points()
    for adapter in tuple(_adapters):
        wrapped = adapter(obj)
        if wrapped is not None:
            if not isinstance(wrapped, BaseFuture):
                raise TypeError(
                    f"future adapter {adapter!r} must return a BaseFuture or None, "
                    f"got {type(wrapped).__name__}"
                )
            return wrapped
    if module.startswith("ray") and type(obj).__name__ == "ObjectRef":
        raise MissingPluginError(
            "wrapping a ray ObjectRef needs the ray backend: pip install concurry[ray]"
        )
    return None


def wrap_future(obj: Any) -> BaseFuture:
    """Return a `BaseFuture` for ``obj``.

    - a `BaseFuture` is returned unchanged;
    - a `concurrent.futures.Future` becomes a `ConcurrentFuture`;
    - an asyncio future or task becomes an `AsyncioFuture`;
    - a coroutine is scheduled as a task on the running loop (`AsyncioFuture`);
    - a Ray ``ObjectRef`` becomes a ``RayFuture`` (via the concurry-ray adapter);
    - anything else is a finished value: ``SyncFuture(obj)``.

    Raises:
        RuntimeError: ``obj`` is a coroutine and no event loop is running.
        MissingPluginError: ``obj`` is a Ray ObjectRef and concurry-ray is missing.

    Example:
        >>> wrap_future(5).result()
        5
    """
    if type(obj) is Future:  # the common case, before the costlier ABC check
        return ConcurrentFuture(obj)
    if isinstance(obj, BaseFuture):
        return obj
    if isinstance(obj, Future):
        return ConcurrentFuture(obj)
    if is_asyncio_future(obj):
        return AsyncioFuture(obj)
    if isinstance(obj, Coroutine):
        loop = _running_loop()
        if loop is None:
            raise RuntimeError(
                "cannot wrap a coroutine without a running event loop; "
                "call wrap_future inside 'async def' or await the coroutine yourself"
            )
        return AsyncioFuture(loop.create_task(obj))
    if _adapters or (type(obj).__module__ or "").startswith("ray"):
        wrapped = _adapt(obj)
        if wrapped is not None:
            return wrapped
    return SyncFuture(obj)
