"""``WorkerProxy``: the client-side handle of a running worker.

Any public attribute of the worker class becomes a remote method: calling it
returns a future (or the value when ``blocking=True``). The proxy's own
names are few: ``stop`` and the read-only options of ``_proxy_attrs``
(``mode``, ``blocking``, ``max_queued_tasks``, ...); a worker method with
one of those names other than ``stop`` wins over it.

Lifetime: the proxy and every remote method taken from it share one
``_Handle``; nothing inside the worker refers back to it. When the last of
them goes away (plain reference counting, no cycle to wait for) the handle's
finalizer tells the link to finish what was submitted and let the worker go.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from concurry_futures import ConcurrentFuture, SyncFuture

from ._errors import WorkerStoppedError
from ._invoke import Call
from ._link import Link
from ._options import WorkerSpec
from ._proxy_attrs import MODE_ONLY, ProxyAttributes, mode_only_error
from ._sentinel import _NO_ARG
from ._validate import as_stop_timeout

__all__ = ["RemoteMethod", "WorkerProxy", "proxy_class_for", "resolve_stop_timeout"]


class RemoteMethod:
    """A bound remote method: ``proxy.name(*args, **kwargs)``.

    Args:
        submit: The owner's submit function (a ``_Handle`` or a pool's).
        name: The worker method's name.
        owner: Name of the worker class (for the repr).
    """

    __slots__ = ("__name__", "_owner", "_submit")

    def __init__(self, submit: Callable[[Call], Any], name: str, owner: str) -> None:
        self._submit = submit
        self._owner = owner
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._submit((self.__name__, args, kwargs))

    def __repr__(self) -> str:
        return f"<remote method {self._owner}.{self.__name__}>"


class _Handle:
    """Submits calls to one link; shared by a proxy and its remote methods (see module doc)."""

    __slots__ = ("__weakref__", "blocking", "inline", "link")

    def __init__(self, link: Link, blocking: bool) -> None:
        self.link = link
        self.blocking = blocking
        self.inline = link.transport.inline

    def __call__(self, call: Call) -> Any:
        name, args, kwargs = call
        if self.inline:
            try:
                value = self.link.run_inline(name, args, kwargs)
            except WorkerStoppedError:
                raise
            except BaseException as exc:
                if self.blocking:
                    raise
                return SyncFuture(exception_value=exc)
            return value if self.blocking else SyncFuture(value)
        future = self.link.submit(name, args, kwargs)
        if self.blocking:
            return future.result()
        return ConcurrentFuture(future)

    def future(self, call: Call) -> Future[Any]:
        """Submit ``call`` and return its ``concurrent.futures.Future``, never blocking.

        Used by ``map``: whatever ``blocking`` says, the caller keeps a window of
        calls in flight. An inline transport runs the call now and returns a
        finished future.
        """
        name, args, kwargs = call
        if self.inline:
            return _finished(self.link.run_inline, name, args, kwargs)
        return self.link.submit(name, args, kwargs)


def _finished(run: Callable[..., Any], *args: Any) -> Future[Any]:
    """A settled ``Future`` holding ``run(*args)``'s result or exception."""
    future: Future[Any] = Future()
    future.set_running_or_notify_cancel()
    try:
        future.set_result(run(*args))
    except WorkerStoppedError:
        raise
    except BaseException as exc:
        future.set_exception(exc)
    return future


class _ProxyBase(ProxyAttributes):
    """What single-worker proxies and pools share: remote methods over one link.

    Subclasses set ``_kind`` (how errors name them: "Worker" or "Worker pool").
    """

    _kind = "Worker"

    def __init__(self, worker_cls: type, spec: WorkerSpec, link: Link) -> None:
        self._worker_cls = worker_cls
        self._spec = spec
        self._link = link
        link.stopped_names = (self._kind, worker_cls.__name__)
        # the handle submits calls; remote methods share it (see the module doc)
        handle = _Handle(link, spec.blocking)
        self._submit: Callable[[Call], Any] = handle
        #: Submit returning a ``concurrent.futures.Future`` whatever ``blocking`` says.
        self._submit_future: Callable[[Call], Future[Any]] = handle.future
        self._dynamic = hasattr(worker_cls, "__getattr__")
        self._init_args: tuple[tuple[Any, ...], dict[str, Any]] = ((), {})
        # Dropped without stop(): finish what was submitted, then free the worker.
        # (A weak reference with a callback, kept by the link: cheaper than
        # weakref.finalize, and close_when_idle() is a no-op once stop() ran.)
        link.owner = weakref.ref(handle, link.owner_dropped)

    # -- attribute access -------------------------------------------------------------
    def __getattr__(self, name: str) -> RemoteMethod:
        if name in MODE_ONLY and not hasattr(self._worker_cls, name):
            raise mode_only_error(name, self._spec.mode)  # (the property refused it)
        if name.startswith("_") or not (self._dynamic or hasattr(self._worker_cls, name)):
            raise AttributeError(f"{self._worker_cls.__name__!r} worker has no method {name!r}")
        method = RemoteMethod(self._submit, name, self._worker_cls.__name__)
        self.__dict__[name] = method  # no cycle: the method holds the handle, not the proxy
        return method

    # -- lifecycle --------------------------------------------------------------------
    def stop(self, timeout: float | None = None) -> None:
        """Stop the worker(s); idempotent and always bounded in time.

        New calls raise ``WorkerStoppedError`` (a ``RuntimeError``: "Worker is
        stopped", for a pool "Worker pool is stopped"), calls still
        queued are cancelled, a running call finishes and gets its result.

        Args:
            timeout: Seconds to wait for running calls (for a pool: the whole
                pool's stop, its workers stop in parallel); None (the default)
                uses the ``stop_timeout`` option (``global_config``: 30 s). A
                process still busy afterwards is terminated (its call fails with
                ``WorkerDiedError``); a thread is left to finish as a daemon.

        Raises:
            ValueError: ``timeout`` is negative or not a number.
        """
        self._link.stop(resolve_stop_timeout(self._spec, timeout))

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __dir__(self) -> list[str]:
        names = {n for n in dir(self._worker_cls) if not n.startswith("_")}
        return sorted(names | {n for n in dir(type(self)) if not n.startswith("_")})


class WorkerProxy(_ProxyBase):
    """Handle to one worker; created by ``WorkerBuilder.init``, not directly.

    Attributes:
        mode: The worker's ``ExecutionMode``.
        blocking: Whether calls return values instead of futures.
        worker_cls: The user's worker class (also ``worker_class``).
        max_queued_tasks: The cap on calls in flight (None: none).
        unwrap_futures: Whether future arguments are resolved first.
        mp_context: The process start method (process mode only).
    """

    def __repr__(self) -> str:
        state = "running" if self._link.alive else "stopped"
        return f"<{self._worker_cls.__name__} worker mode={self._spec.mode.value!r} {state}>"


def resolve_stop_timeout(spec: WorkerSpec, timeout: Any) -> float:
    """The number of seconds ``stop(timeout)`` waits: ``timeout``, or the spec's default."""
    if timeout is None or timeout is _NO_ARG:
        return float(spec.stop_timeout)
    return as_stop_timeout("stop timeout", timeout)


# worker class -> {proxy base -> proxy class}
_proxy_classes: weakref.WeakKeyDictionary[type, dict[type, type]] = weakref.WeakKeyDictionary()


class _RemoteMethodDescriptor:
    """Class attribute that shadows a proxy name with the worker's own method."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, proxy: Any, owner: type | None = None) -> Any:
        if proxy is None:
            return self
        return RemoteMethod(proxy._submit, self._name, proxy._worker_cls.__name__)


def proxy_class_for(worker_cls: type, base: type[Any] = WorkerProxy) -> type[Any]:
    """The proxy class for ``worker_cls``: ``base`` with clashing names routed to the worker.

    ``base`` is a single-worker proxy class or a pool class.
    """
    try:
        return _proxy_classes[worker_cls][base]
    except (KeyError, TypeError):
        pass
    reserved = frozenset(n for n in dir(base) if not n.startswith("_")) - {"stop"}
    clashes = [n for n in dir(worker_cls) if n in reserved and n in _user_names(worker_cls, base)]
    if not clashes:
        cls = base
    else:
        namespace = {name: _RemoteMethodDescriptor(name) for name in clashes}
        cls = type(f"{worker_cls.__name__}{base.__name__}", (base,), namespace)
    try:
        _proxy_classes.setdefault(worker_cls, {})[base] = cls
    except TypeError:
        pass
    return cls


def _user_names(worker_cls: type, base: type) -> set[str]:
    # Names the user's class defines itself (not those inherited from Worker / the proxy).
    names: set[str] = set()
    for klass in worker_cls.__mro__:
        if klass is object or "__concurry_worker_base__" in vars(klass) or issubclass(base, klass):
            continue
        names.update(vars(klass))
    return names
