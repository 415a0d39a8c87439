"""``RayFuture``: a concurry future over a Ray ``ObjectRef``.

Nothing is fetched into the driver until someone asks for the value:
``result()`` is ``ray.get`` with the timeout, ``done()`` is a zero-timeout
``ray.wait`` (remembered once true). Done-callbacks use Ray's own readiness
notification (``ObjectRef._on_ready``, which neither fetches nor deserialises
the value), registered once, on the first callback: no thread and no polling
loop per future. ``wait`` / ``gather`` over many RayFutures hand them to
`RayFuture._wait_many`: one ``ray.wait`` over all their refs per round.
``wrap_future(object_ref)`` returns one (the ``concurry.future_adapters``
entry point ``ray``), so ObjectRefs mix with every other future kind in
``wait`` and ``gather``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from typing import Any, cast

from concurry_futures import BaseFuture, ReturnWhen

__all__ = ["RayFuture", "adapt_object_ref"]


class RayFuture(BaseFuture):
    """A read-only future over ``object_ref`` (see the module doc).

    Args:
        object_ref: The Ray ``ObjectRef`` of a task's or an actor method's result.
    """

    __slots__ = ("_callbacks", "_lock", "_outcome", "_ready", "_watching", "object_ref")

    def __init__(self, object_ref: Any) -> None:
        self.object_ref = object_ref
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[BaseFuture], Any]] = []
        self._watching = False
        self._ready = False  # the object exists (its value may not be fetched yet)
        self._outcome: tuple[bool, Any] | None = None  # (ok, value or exception)

    # -- outcome ------------------------------------------------------------------------
    def _on_ready(self, error: Any) -> None:
        """Ray's readiness callback (on a Ray thread): run the done-callbacks."""
        with self._lock:
            if error is not None and self._outcome is None:
                self._outcome = _failure(error)
            self._ready = True
            callbacks, self._callbacks = self._callbacks, []
        for fn in callbacks:
            _call(fn, self)

    def _fetch(self, timeout: float | None) -> tuple[bool, Any]:
        known = self._outcome
        if known is not None:
            return known
        import ray

        if self._ready:
            # The task is over: what is left is moving the value here, which
            # result(0) on a done future must wait for (the object may be remote).
            timeout = None
        try:
            value = ray.get(self.object_ref, timeout=timeout)
        except ray.exceptions.GetTimeoutError:
            raise TimeoutError(f"Future did not complete within timeout={timeout} s") from None
        except ray.exceptions.RayError as exc:
            outcome: tuple[bool, Any] = _failure(exc)
        else:
            outcome = (True, value)
        with self._lock:
            if self._outcome is None:
                self._outcome = outcome
            else:
                outcome = self._outcome
            self._ready = True
        return outcome

    def _failed(self) -> bool:
        """True when the (ready) task raised; reads the outcome (cancelled is not a failure)."""
        ok, value = self._fetch(None)
        return not ok and not isinstance(value, CancelledError)

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
        """True once the object is ready (a zero-timeout ``ray.wait`` until it is)."""
        if self._ready:
            return True
        import ray

        ready, _ = ray.wait([self.object_ref], timeout=0, fetch_local=False)
        if ready:
            self._ready = True
        return self._ready

    @classmethod
    def _wait_many(
        cls, futures: Sequence[BaseFuture], timeout: float | None, return_when: ReturnWhen
    ) -> set[BaseFuture]:
        """Wait for many RayFutures with one ``ray.wait`` over all their refs.

        ``ALL_COMPLETED`` is one ``ray.wait`` (``num_returns`` = all refs);
        ``FIRST_COMPLETED`` one with ``num_returns=1`` and one zero-timeout look
        at the rest. A failure is only known once a value is read, so
        ``FIRST_EXCEPTION`` looks once at what is ready, then takes Ray's
        readiness notification of each pending ref and reads each value as it
        arrives, in the calling thread, stopping at the first failure (rounds
        of ``ray.wait`` would cost one call over all refs per completion when
        tasks finish one by one). Values are not fetched otherwise.

        Returns:
            The futures found done (a set of the given RayFutures).
        """
        mode = ReturnWhen(return_when)
        stop_on_error = mode is ReturnWhen.FIRST_EXCEPTION
        done, waiting = _split(futures)
        if (
            not waiting
            or (mode is ReturnWhen.FIRST_COMPLETED and done)
            or (stop_on_error and any(f._failed() for f in done))
        ):
            return cast("set[BaseFuture]", done)
        import ray

        refs = list(waiting)
        if mode is not ReturnWhen.FIRST_COMPLETED or timeout == 0:
            wait_for = 0 if stop_on_error else timeout
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=wait_for, fetch_local=False)
        else:
            ready, rest = ray.wait(refs, num_returns=1, timeout=timeout, fetch_local=False)
            if ready and rest:  # what else is ready now counts as done too
                more, _ = ray.wait(rest, num_returns=len(rest), timeout=0, fetch_local=False)
                ready += more
        newly = [f for ref in ready for f in waiting.pop(ref)]
        for f in newly:
            f._ready = True
        done.update(newly)
        if stop_on_error and waiting and timeout != 0 and not any(f._failed() for f in newly):
            pending = [f for group in waiting.values() for f in group]
            done.update(_until_failure(pending, timeout))
        return cast("set[BaseFuture]", done)

    def cancelled(self) -> bool:
        """True when the task was cancelled (known once its outcome was read)."""
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
        """Call ``fn(self)`` once the object is ready (Ray's readiness notification).

        The value is not fetched: ``fn`` reads it with `result` if it wants it.
        """
        with self._lock:
            done_now = self._ready
            watch = False
            if not done_now:
                self._callbacks.append(fn)
                watch, self._watching = not self._watching, True
        if done_now:
            _call(fn, self)
        elif watch:
            # The callback may run before this returns; the ref stays alive in self.
            self.object_ref._on_ready(self._on_ready)

    def _remove_done_callback(self, fn: Callable[[BaseFuture], Any]) -> None:
        with self._lock:
            try:
                self._callbacks.remove(fn)
            except ValueError:
                pass

    def __repr__(self) -> str:
        state = "done" if self._ready else "pending"
        return f"<RayFuture {self.object_ref} {state}>"


def _split(futures: Sequence[BaseFuture]) -> tuple[set[RayFuture], dict[Any, list[RayFuture]]]:
    """The futures known to be done, and the others by ref (``ray.wait`` needs each ref once)."""
    done: set[RayFuture] = set()
    waiting: dict[Any, list[RayFuture]] = {}
    for f in dict.fromkeys(futures):
        if not isinstance(f, RayFuture):
            raise TypeError(f"RayFuture._wait_many takes RayFutures only, got {f!r}")
        if f._ready:
            done.add(f)
        else:
            waiting.setdefault(f.object_ref, []).append(f)
    return done, waiting


def _until_failure(pending: list[RayFuture], timeout: float | None) -> list[RayFuture]:
    """Read each of ``pending`` as Ray reports it ready; stop at a failure or the timeout.

    Returns:
        The ones that became done.
    """
    arrivals: deque[BaseFuture] = deque()
    event = threading.Event()

    def arrive(f: BaseFuture) -> None:
        arrivals.append(f)
        event.set()

    deadline = None if timeout is None else time.monotonic() + timeout
    done: list[RayFuture] = []
    try:
        for f in pending:
            f.add_done_callback(arrive)
        while len(done) < len(pending):
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            event.wait(left)
            event.clear()  # before draining: a later arrival sets it again
            while arrivals:
                arrived = arrivals.popleft()
                assert isinstance(arrived, RayFuture)
                done.append(arrived)
                if arrived._failed():
                    return done
    finally:
        for f in pending:
            f._remove_done_callback(arrive)
    return done


def _failure(error: Any) -> tuple[bool, Any]:
    """The outcome for a Ray error: cancellation is a `CancelledError`, a task's own
    exception keeps its original type."""
    from ray.exceptions import RayTaskError, TaskCancelledError

    if isinstance(error, TaskCancelledError):
        return False, CancelledError()
    if isinstance(error, RayTaskError):
        return False, _cause(error)
    return False, error


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
