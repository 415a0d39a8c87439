"""``WorkerProxy``: the client-side handle of a running worker.

Any public attribute of the worker class becomes a remote method: calling it
returns a future (or the value when ``blocking=True``). The proxy's own
names are few (``stop``, ``mode``, ``blocking``, ``worker_class``) and a
worker method with one of those names other than ``stop`` wins over it.
"""

from __future__ import annotations

import threading
import weakref
from concurrent.futures import Future
from typing import Any

from concurry_futures import ConcurrentFuture, SyncFuture

from ._backends import Backend
from ._enums import ExecutionMode
from ._errors import WorkerStoppedError
from ._invoke import Call
from ._options import WorkerSpec
from ._sentinel import _NO_ARG
from ._submission import SubmissionQueue

__all__ = ["RemoteMethod", "WorkerProxy", "proxy_class_for", "resolve_stop_timeout"]


class RemoteMethod:
    """A bound remote method: ``proxy.name(*args, **kwargs)``."""

    __slots__ = ("__name__", "_proxy")

    def __init__(self, proxy: WorkerProxy, name: str) -> None:
        self._proxy = proxy
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._proxy._submit((self.__name__, args, kwargs))

    def __repr__(self) -> str:
        return f"<remote method {self._proxy._worker_cls.__name__}.{self.__name__}>"


class WorkerProxy:
    """Handle to one worker; created by ``WorkerBuilder.init``, not directly.

    Attributes:
        mode: The worker's ``ExecutionMode``.
        blocking: Whether calls return values instead of futures.
        worker_class: The user's worker class.
    """

    def __init__(self, worker_cls: type, spec: WorkerSpec, backend: Backend) -> None:
        self._worker_cls = worker_cls
        self._spec = spec
        self._backend = backend
        self._inline = backend.inline
        self._blocking = spec.blocking
        self._stopped = False
        self._stop_lock = threading.Lock()
        self._stop_done = threading.Event()
        cap = spec.max_queued_tasks
        self._queue = SubmissionQueue(cap, backend.submit) if cap is not None else None
        self._direct = backend.submit
        self._dynamic = hasattr(worker_cls, "__getattr__")
        self._init_args: tuple[tuple[Any, ...], dict[str, Any]] = ((), {})
        # A proxy dropped without stop(): finish what was submitted, then free the worker.
        self._finalizer = weakref.finalize(self, _close_forgotten, backend, self._queue)

    # -- attribute access -------------------------------------------------------------
    def __getattr__(self, name: str) -> RemoteMethod:
        if name.startswith("_") or not (self._dynamic or hasattr(self._worker_cls, name)):
            raise AttributeError(f"{self._worker_cls.__name__!r} worker has no method {name!r}")
        method = RemoteMethod(self, name)
        self.__dict__[name] = method
        return method

    @property
    def mode(self) -> ExecutionMode:
        """The worker's execution mode."""
        return self._spec.mode

    @property
    def blocking(self) -> bool:
        """True when calls return results directly."""
        return self._blocking

    @property
    def worker_class(self) -> type:
        """The user's worker class."""
        return self._worker_cls

    # -- calls ------------------------------------------------------------------------
    def _submit(self, call: Call) -> Any:
        if self._stopped:
            raise WorkerStoppedError()
        if self._inline:
            try:
                value = self._backend.run_inline(call)
            except WorkerStoppedError:
                raise
            except BaseException as exc:
                if self._blocking:
                    raise
                return SyncFuture(exception_value=exc)
            return value if self._blocking else SyncFuture(value)
        queue = self._queue
        if queue is not None:
            future = queue.new_future()
            queue.submit(future, call)
            return ConcurrentFuture(future)
        future = Future()
        self._direct(future, call)
        if self._blocking:
            return future.result()
        return ConcurrentFuture(future)

    # -- lifecycle --------------------------------------------------------------------
    def stop(self, timeout: float | None = None) -> None:
        """Stop the worker; idempotent and always bounded in time.

        New calls raise ``RuntimeError("worker is stopped")``, calls still
        queued are cancelled, the running call finishes and gets its result.

        Args:
            timeout: Seconds to wait for the running call; None (the default)
                uses the ``stop_timeout`` option (``global_config``: 30 s). A
                process still busy afterwards is terminated (its call fails with
                ``WorkerDiedError``); a thread is left to finish as a daemon.

        Raises:
            ValueError: ``timeout`` is negative or not a number.
        """
        wait = resolve_stop_timeout(self._spec, timeout)
        with self._stop_lock:
            first = not self._stopped
            self._stopped = True
        if not first:
            self._stop_done.wait(wait + _STOP_SLACK)
            return
        self._finalizer.detach()
        try:
            if self._queue is not None:
                for future in self._queue.close():
                    future.cancel()
            self._backend.stop(wait)
        finally:
            self._stop_done.set()

    def __enter__(self) -> WorkerProxy:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<{self._worker_cls.__name__} worker mode={self._spec.mode.value!r} {state}>"

    def __dir__(self) -> list[str]:
        names = {n for n in dir(self._worker_cls) if not n.startswith("_")}
        return sorted(names | {"stop", "mode", "blocking", "worker_class"})


#: Extra seconds a second ``stop()`` waits for the first (a terminate's grace period).
_STOP_SLACK = 10.0


def resolve_stop_timeout(spec: WorkerSpec, timeout: Any) -> float:
    """The number of seconds ``stop(timeout)`` waits: ``timeout``, or the spec's default."""
    if timeout is None or timeout is _NO_ARG:
        return float(spec.stop_timeout)
    from ._validate import as_stop_timeout

    return as_stop_timeout("stop timeout", timeout)


def _close_forgotten(backend: Backend, queue: SubmissionQueue | None) -> None:
    if queue is None:
        backend.close_when_idle()
    else:
        queue.when_drained(backend.close_when_idle)


# worker class -> {proxy base -> proxy class}
_proxy_classes: weakref.WeakKeyDictionary[type, dict[type, type]] = weakref.WeakKeyDictionary()


class _RemoteMethodDescriptor:
    """Class attribute that shadows a proxy name with the worker's own method."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __get__(self, proxy: Any, owner: type | None = None) -> Any:
        if proxy is None:
            return self
        return RemoteMethod(proxy, self._name)


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
    from ._worker import Worker

    names: set[str] = set()
    for klass in worker_cls.__mro__:
        if klass in (Worker, object) or issubclass(base, klass):
            continue
        names.update(vars(klass))
    return names
