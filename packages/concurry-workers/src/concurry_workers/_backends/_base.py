"""The internal interface every execution backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from concurrent.futures import Future
from typing import Any

from .._invoke import Call
from .._runtime import Runtime

__all__ = ["Backend", "WorkerBackend", "cancel_unrun"]


class WorkerBackend(ABC):
    """Runs one worker instance somewhere and feeds it calls.

    The proxy above owns options, validation, the submission queue and the
    user-facing futures; a backend only starts the instance, runs calls in
    order of arrival (or concurrently for async methods on asyncio) and
    completes the ``concurrent.futures.Future`` it was handed for each call.
    A backend marks a future running (``set_running_or_notify_cancel``) only
    when its call really starts, so a queued call can still be cancelled.

    Args:
        runtime: The worker class, init arguments and per-worker settings.
        options: Backend-specific options (``mp_context`` for processes, actor
            options for Ray, ...), already validated.
    """

    #: True when calls run in the caller's thread (the proxy then skips futures).
    inline: bool = False

    def __init__(self, runtime: Runtime, options: dict[str, Any]) -> None:
        self.runtime = runtime
        self.options = options

    @abstractmethod
    def start(self) -> None:
        """Create the instance; raise its ``__init__`` error with the original type."""

    @abstractmethod
    def submit(self, future: Future[Any], call: Call) -> None:
        """Queue ``call``; complete ``future`` with its outcome later."""

    @abstractmethod
    def stop(self, timeout: float | None) -> None:
        """Stop: the running call finishes, queued calls are cancelled, resources freed.

        ``timeout`` is a finite number of seconds (the proxy resolves ``None``
        to the ``stop_timeout`` option) and every wait in here must be bounded
        by it plus a short grace. After it a backend that can (processes) kills
        what is still running; one that cannot (threads) abandons it as a
        daemon. Calls dropped without running end ``cancelled()``
        (``cancel_unrun`` for those already marked running).
        """

    @abstractmethod
    def close_when_idle(self) -> None:
        """Finish every queued call, then release resources (for a forgotten proxy)."""

    @property
    @abstractmethod
    def is_alive(self) -> bool:
        """True while the backend can run calls."""

    def run_inline(self, call: Call) -> Any:
        """Run ``call`` in the caller's thread and return its result (inline backends)."""
        raise NotImplementedError


#: Short internal name.
Backend = WorkerBackend


def cancel_unrun(future: Future[Any]) -> None:
    """Cancel ``future`` even though a backend already marked it running.

    For a call that was handed over (marked running) but never ran, or whose
    run was abandoned by ``stop()``: the future ends up ``cancelled()`` and
    ``result()`` raises ``CancelledError``, exactly like a call cancelled
    while still queued. ``Future.cancel()`` refuses running futures, hence
    the state change by hand (under the future's own condition, notifying
    waiters and callbacks as ``cancel()`` plus ``set_running_or_notify_cancel()``
    would).
    """
    if future.cancel():
        return
    from concurrent.futures import _base

    with future._condition:  # type: ignore[attr-defined]
        if future._state != _base.RUNNING:  # type: ignore[attr-defined]
            return  # finished or cancelled already
        future._state = _base.CANCELLED_AND_NOTIFIED  # type: ignore[attr-defined]
        for waiter in future._waiters:  # type: ignore[attr-defined]
            waiter.add_cancelled(future)
        future._condition.notify_all()  # type: ignore[attr-defined]
    future._invoke_callbacks()  # type: ignore[attr-defined]
