"""Results that stay in Ray until someone asks for them.

Two pieces keep a ray-mode call's value out of the driver:

- ``RayCallFuture``, the future of every ray-mode call. A value small enough
  to come back inline with Ray's reply is there already and is delivered as
  usual. A bigger one stays in Ray's object store: the call is delivered as
  done with a ``StoredValue`` placeholder, and the first ``result()`` fetches
  it (``ray.get``). So a pipeline that never reads an intermediate result
  never copies it into the driver.
- ``adopt_futures``, the link's hook at submission: a top-level argument that
  is the future of another ray-mode call (already handed to Ray), or a
  ``RayFuture``, is replaced by its ``ObjectRef``. Ray then resolves it where
  the receiving call runs, and the call is handed over at once instead of
  waiting in the driver for the value. An upstream call that fails delivers a
  ``Failure``; the receiving actor returns it as its own outcome (``checked``),
  so the call fails with the upstream exception, as it would locally.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from concurry_futures import ConcurrentFuture
from concurry_workers.plugin import (
    CallFuture,
    call_has_futures,
    unpack_exception,
)

from ._failure import Failure, call_error
from ._future import RayFuture
from ._waiting import wait_calls

__all__ = [
    "Failure",
    "RayCallFuture",
    "StoredValue",
    "adopt_futures",
    "failed_argument",
    "raise_outcome",
]


def failed_argument(values: Any) -> Failure | None:
    """The first ``Failure`` among a call's resolved arguments (a failed upstream call)."""
    for value in values:
        if type(value) is Failure:
            return value
    return None


def raise_outcome(value: Any) -> Any:
    """``value`` itself, or the exception a ``Failure`` holds, raised.

    A method may return an exception object as its value: only a ``Failure`` is
    raised (Ray's own errors are raised by ``ray.get`` and translated there).
    """
    if type(value) is Failure:
        raise unpack_exception(value.packed)
    return value


class StoredValue:
    """Placeholder for a result left in Ray's object store (fetched on first read)."""

    __slots__ = ("name", "ref")

    def __init__(self, ref: Any, name: str | None = None) -> None:
        self.ref = ref
        #: The call's method name, for the errors (None for a task).
        self.name = name

    def fetch(self, timeout: float | None) -> Any:
        """The value, fetched with ``ray.get``; raises what the call raised."""
        import ray

        try:
            value = ray.get(self.ref, timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            raise TimeoutError(f"the result was not fetched within {timeout} s") from None
        except ray.exceptions.RayError as exc:
            # translated as for a call's completion: an upstream actor's death is a
            # WorkerDiedError here too (its error object may be in the store)
            raise call_error(self.name, exc) from None
        return raise_outcome(value)


class RayCallFuture(CallFuture):
    """The future of a ray-mode call; a big value is fetched by the first ``result()``.

    A call nobody has asked for yet may be *unseen* by its transport (no Ray
    notification registered; see ``_backend``): asking for it in any way
    (``result``, ``exception``, ``done``, a done-callback) has the transport
    look at it first; ``wait`` and ``gather`` over such calls alone wait for
    them with ``ray.wait`` (`_wait_many`).
    """

    #: The call's ObjectRef once it was handed to Ray (set by the transport).
    _ray_ref: Any = None
    #: The ``RayBackend`` that sent it (set with ``_ray_ref``).
    _ray_transport: Any = None
    #: Set by the transport once the outcome was taken (callback or a waiting reader).
    _ray_done = False
    #: True while a reader fetches the result itself (the transport's ``await_call``).
    _ray_reader = False
    #: True while no one watches for its completion (see the class doc).
    _ray_unseen = False
    #: True while the transport holds it back, to send it with others (``_batching``).
    _ray_held = False
    #: The ``_batching.Batch`` it was sent in, if any.
    _ray_batch = None
    _adopted = False
    #: What ``result()`` replaces by the value it fetches (see ``plain_result``).
    _result_placeholder = StoredValue

    def result(self, timeout: float | None = None) -> Any:
        if self._ray_transport is not None and not self._ray_done:
            # Wait in Ray, in this thread, as ``ray.get`` does: the outcome is then
            # taken here instead of being handed over from Ray's callback thread.
            self._ray_transport.await_call(self, timeout)
        value = super().result(timeout)
        if type(value) is StoredValue:
            value = self._fetched(value, timeout)
        return value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if self._ray_transport is not None and not self._ray_done:
            self._ray_transport.await_call(self, timeout)
        error = super().exception(timeout)
        stored = self._result  # type: ignore[attr-defined]
        if error is None and type(stored) is StoredValue:
            try:
                self._fetched(stored, timeout)
            except Exception as exc:  # the stored object was lost, or held a failure
                return exc
        return error

    def done(self) -> bool:
        if self._ray_unseen:
            self._ray_transport.look()
        return super().done()

    def add_done_callback(self, fn: Any) -> None:
        if self._ray_unseen:
            self._ray_transport.look(arm=True)
        super().add_done_callback(fn)

    @classmethod
    def _wait_many(
        cls, futures: Sequence[Future[Any]], timeout: float | None, return_when: Any
    ) -> None:
        """Wait for many unseen calls with ``ray.wait`` in this thread (``_waiting``)."""
        wait_calls(futures, timeout, return_when)

    def _fetched(self, stored: StoredValue, timeout: float | None) -> Any:
        # The call is over: what is left is moving the value here, which result(0)
        # on a done future must wait for (as RayFuture's does).
        value = stored.fetch(None)
        with self._mutex:  # the lock of its condition: no condition made for this
            if self._result is stored:  # type: ignore[attr-defined]
                self._result = value  # fetched once; the placeholder lets the ref go
        return value


def _native(value: Any) -> Any:
    """The ObjectRef standing for ``value``, or ``value`` itself when there is none."""
    kind = type(value)
    if kind is ConcurrentFuture:
        inner = value.future
        if type(inner) is RayCallFuture:
            if inner._ray_held:  # it needs its ObjectRef now
                inner._ray_transport.flush()
            ref = inner._ray_ref
            # a call already failed or cancelled is left to the link, which fails the
            # receiving call with the same exception
            if ref is not None and not (inner.done() and _failed(inner)):
                return ref
        return value
    if kind is RayFuture:
        return value.object_ref
    return value


def _failed(future: Future[Any]) -> bool:
    return future.cancelled() or Future.exception(future, 0) is not None


def adopt_futures(call: CallFuture) -> bool:
    """Pass ray futures among ``call``'s top-level arguments as ObjectRefs (see module doc).

    Returns:
        True when other future arguments remain, for the link to resolve.
    """
    args = tuple([_native(a) for a in call.args])
    kwargs = {k: _native(v) for k, v in call.kwargs.items()} if call.kwargs else call.kwargs
    changed = any(a is not b for a, b in zip(args, call.args)) or any(
        kwargs[k] is not v for k, v in call.kwargs.items()
    )
    if changed:
        call.args, call.kwargs = args, kwargs
        call._adopted = True  # type: ignore[attr-defined]
    return call_has_futures(args, kwargs)
