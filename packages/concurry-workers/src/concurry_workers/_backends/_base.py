"""The internal interface every execution backend (a *transport*) implements.

A transport runs one worker instance somewhere and carries calls to it. It
holds no call state of its own: the ``Link`` above it (``_link.py``) owns
every call in flight, so admission, future arguments, cancellation and death
are handled once for every mode, Ray included.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from .._invoke import Call
from .._runtime import Runtime

if TYPE_CHECKING:
    from .._link import CallFuture, Link

__all__ = ["Backend", "Transport", "WorkerBackend"]


class Transport(ABC):
    """Runs one worker instance and carries calls to it (a transport).

    The contract with the ``Link``:

    - ``start(link)`` creates the instance (raising its ``__init__`` error with
      the original type) and remembers the link.
    - ``send(batch)`` hands over calls (``CallFuture`` objects carrying
      ``name``, ``args``, ``kwargs``) in the order they must run. It is called
      with the link's lock held: it must not block and must not call back
      into the link. It may return True to have ``kick()`` called once the
      lock is released (to start a thread, say, which blocks briefly).
    - Just before a call runs, ``link.begin(call)``; if that returns False the
      call was cancelled or already failed: skip it. Its outcome goes to
      ``link.deliver(call, OK | ERROR, value)``; a call discarded unrun (on
      stop) to ``link.drop(call)``.
    - A transport that can die (a process, an actor) reports it once with
      ``link.died(error)``; every call not finished fails there.
    - ``stop(deadline)`` returns by ``deadline`` plus a short fixed grace.

    Two optional hooks, read by the link as attributes: ``future_class`` (a
    ``CallFuture`` subclass the link creates for each call, e.g. one that fetches
    a remote value only when asked) and ``adopt_futures(call) -> bool``, called
    at submission for a call with future arguments: it may replace those it can
    pass to the worker natively (a Ray object reference, resolved by Ray where
    the call runs) and returns True when others remain for the link to resolve.

    Args:
        runtime: The worker class, init arguments and per-worker settings.
        options: Backend-specific options (``mp_context`` for processes, actor
            options for Ray, ...), already validated.
    """

    #: True when calls run in the caller's thread (``run_inline``; no futures).
    inline: bool = False
    #: True when calls run one at a time in the order sent (a death during
    #: ``stop()`` then fails only the oldest call and cancels the rest).
    serial: bool = True

    def __init__(self, runtime: Runtime, options: dict[str, Any]) -> None:
        self.runtime = runtime
        self.options = options

    @classmethod  # noqa: B027 (an optional hook: most backends need nothing)
    def prepare(cls) -> None:
        """Called once in the thread that creates a worker or pool, before any start.

        A pool starts workers that run elsewhere on helper threads; a backend
        that must set something up from the caller's thread (Ray's session,
        which installs signal handlers) does it here.
        """

    @abstractmethod
    def start(self, link: Link) -> None:
        """Create the instance; raise its ``__init__`` error with the original type."""

    def send(self, batch: Sequence[CallFuture]) -> bool | None:
        """Hand calls over, in order (called with the link's lock held: never block).

        Returns:
            True to ask for ``kick()`` after the link's lock is released.
        """
        raise NotImplementedError

    def kick(self) -> None:  # noqa: B027 (optional hook: most transports defer nothing)
        """Do what ``send`` deferred (called without the link's lock)."""

    @abstractmethod
    def stop(self, deadline: float) -> None:
        """Stop by ``deadline`` (a ``time.monotonic()`` value) plus a short grace.

        Calls sent but not started are dropped (``link.drop``); the running
        call may finish until the deadline; after it a transport that can
        (processes) ends what still runs, one that cannot (threads) abandons
        it to finish on its own.
        """

    @abstractmethod
    def close_when_idle(self) -> None:
        """Everything sent has finished: release resources without waiting."""

    def run_inline(self, call: Call) -> Any:
        """Run ``call`` in the caller's thread and return its result (inline transports)."""
        raise NotImplementedError


#: The public name (the plugin interface of the ``concurry.worker_backends`` entry points).
WorkerBackend: TypeAlias = Transport
#: Short internal name.
Backend: TypeAlias = Transport
