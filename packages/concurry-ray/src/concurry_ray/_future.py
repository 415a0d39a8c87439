"""``RayFuture``: a concurry future over a Ray ``ObjectRef``.

Nothing is fetched into the driver until someone asks for the value:
``result()`` is ``ray.get`` with the timeout, ``done()`` is a zero-timeout
``ray.wait``. Done-callbacks use Ray's own completion notification
(``ObjectRef._on_completed``), registered once, on the first callback: no
thread and no polling loop per future. ``wrap_future(object_ref)`` returns one
(the ``concurry.future_adapters`` entry point ``ray``), so ObjectRefs mix with
every other future kind in ``wait`` and ``gather``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Any

from concurry_futures import BaseFuture

__all__ = ["RayFuture", "adapt_object_ref"]


class RayFuture(BaseFuture):
    """A read-only future over ``object_ref`` (see the module doc).

    Args:
        object_ref: The Ray ``ObjectRef`` of a task's or an actor method's result.
    """

    __slots__ = ("_callbacks", "_lock", "_outcome", "_watching", "object_ref")

    def __init__(self, object_ref: Any) -> None:
        self.object_ref = object_ref
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[BaseFuture], Any]] = []
        self._watching = False
        self._outcome: tuple[bool, Any] | None = None  # (ok, value or exception)

    # -- outcome ------------------------------------------------------------------------
    def _settle(self, value: Any) -> None:
        outcome = _outcome_of(value)
        with self._lock:
            if self._outcome is None:
                self._outcome = outcome
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            _call(fn, self)

    def _fetch(self, timeout: float | None) -> tuple[bool, Any]:
        with self._lock:
            if self._outcome is not None:
                return self._outcome
        import ray

        try:
            value = ray.get(self.object_ref, timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            raise TimeoutError(f"no result within {timeout} s") from None
        except ray.exceptions.TaskCancelledError:
            outcome: tuple[bool, Any] = (False, CancelledError())
        except ray.exceptions.RayTaskError as exc:
            outcome = (False, _cause(exc))
        except ray.exceptions.RayError as exc:
            outcome = (False, exc)
        else:
            outcome = (True, value)
        with self._lock:
            if self._outcome is None:
                self._outcome = outcome
            return self._outcome

    def result(self, timeout: float | None = None) -> Any:
        """The value (``ray.get``), blocking up to ``timeout`` seconds."""
        ok, value = self._fetch(timeout)
        if ok:
            return value
        raise value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The exception the task raised, or None."""
        ok, value = self._fetch(timeout)
        if ok:
            return None
        if isinstance(value, CancelledError):
            raise value
        return value  # type: ignore[no-any-return]

    def done(self) -> bool:
        """True once the object is ready (a zero-timeout ``ray.wait``)."""
        with self._lock:
            if self._outcome is not None:
                return True
        import ray

        ready, _ = ray.wait([self.object_ref], timeout=0, fetch_local=False)
        return bool(ready)

    def cancelled(self) -> bool:
        """True when the task was cancelled (known once its outcome was read)."""
        with self._lock:
            outcome = self._outcome
        return outcome is not None and isinstance(outcome[1], CancelledError)

    def running(self) -> bool:
        """False: Ray does not tell whether a task has started."""
        return False

    def cancel(self) -> bool:
        """Ask Ray to cancel the task (``ray.cancel``); False once it is done."""
        if self.done():
            return False
        import ray

        try:
            ray.cancel(self.object_ref)
        except Exception:  # actor tasks that already run cannot be cancelled
            return False
        return True

    def add_done_callback(self, fn: Callable[[BaseFuture], Any]) -> None:
        """Call ``fn(self)`` once the object is ready (Ray's completion notification)."""
        with self._lock:
            done_now = self._outcome is not None
            watch = False
            if not done_now:
                self._callbacks.append(fn)
                watch, self._watching = not self._watching, True
        if done_now:
            _call(fn, self)
        elif watch:
            self.object_ref._on_completed(self._settle)

    def __repr__(self) -> str:
        state = "done" if self._outcome is not None else "pending"
        return f"<RayFuture {self.object_ref} {state}>"


def _outcome_of(value: Any) -> tuple[bool, Any]:
    from ray.exceptions import RayError, RayTaskError, TaskCancelledError

    if isinstance(value, TaskCancelledError):
        return False, CancelledError()
    if isinstance(value, RayTaskError):
        return False, _cause(value)
    if isinstance(value, RayError):
        return False, value
    return True, value


def _cause(error: Any) -> BaseException:
    """The exception the remote code raised, with its original type when Ray kept it."""
    try:
        return error.as_instanceof_cause()  # type: ignore[no-any-return]
    except Exception:
        return error  # type: ignore[no-any-return]


def _call(fn: Callable[[BaseFuture], Any], future: BaseFuture) -> None:
    try:
        fn(future)
    except Exception:  # as concurrent.futures does: a bad callback must not break the rest
        import logging

        logging.getLogger("concurry").exception("exception calling callback for %r", future)


def adapt_object_ref(obj: Any) -> RayFuture | None:
    """``wrap_future``'s adapter: a ``RayFuture`` for an ``ObjectRef``, None for anything else."""
    if type(obj).__name__ == "ObjectRef" and type(obj).__module__.startswith("ray"):
        return RayFuture(obj)
    return None
