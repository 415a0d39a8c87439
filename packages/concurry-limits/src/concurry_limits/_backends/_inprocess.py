"""In-process backend: limit state in this process, shared by its threads and event loops.

Blocking waits sleep on a condition variable until the earliest moment the
request could succeed (from the algorithms) or until a release wakes them;
async waits await a future woken by a timer at that moment or by a release.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable, Sequence
from time import monotonic

from concurry_limits._algorithms import algorithm_of, initial_state, settle_of
from concurry_limits._backends._base import Backend, Entries, Store
from concurry_limits._limits import Limit

__all__ = ["InProcessBackend", "InProcessStore"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_INF = float("inf")
_LIVE: weakref.WeakSet[InProcessStore] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # a lock held by another thread of the parent would stay held forever in the child
    for store in list(_LIVE):
        store._after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _wake(fut: Any) -> None:
    if not fut.done():
        fut.set_result(None)


class InProcessStore(Store):
    """State as Python lists guarded by one lock; see the module docstring."""

    #: Longest single sleep; shared stores lower it to notice releases made elsewhere.
    max_wait: float = _INF

    def __init__(self, limits: tuple[Limit, ...], states: Sequence[Any] | None = None) -> None:
        self._limits = limits
        modules = [algorithm_of(limit) for limit in limits]
        self._takes = tuple(m.take for m in modules)
        self._untakes = tuple(m.untake for m in modules)
        self._gives = tuple(settle_of(limit) for limit in limits)
        self._stats = tuple(m.stats for m in modules)
        self._states: Sequence[Any] = (
            states if states is not None else [initial_state(limit) for limit in limits]
        )
        self._reset_locks()
        _LIVE.add(self)

    def _after_fork(self) -> None:
        self._reset_locks()

    def _reset_locks(self) -> None:
        self._lock: Any = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._waiting = 0
        self._async_waiters: list[tuple[Any, Any]] = []

    def _attempt(self, entries: Entries, now: float) -> float:
        takes = self._takes
        states = self._states
        for k, (i, n) in enumerate(entries):
            r = takes[i](states[i], n, now)
            if r:
                untakes = self._untakes
                for j in range(k):
                    i2, n2 = entries[j]
                    untakes[i2](states[i2], n2, now)
                return r
        return 0.0

    def try_take(self, entries: Entries) -> float:
        with self._lock:
            return self._attempt(entries, monotonic())

    def compile(self, entries: Entries) -> Callable[[], float]:
        if type(self) is not InProcessStore:
            return super().compile(entries)
        store = self  # the lock is read per call: a forked child replaces it
        if len(entries) == 1:
            ((i, n),) = entries
            take = self._takes[i]
            state = self._states[i]

            def one() -> float:
                with store._lock:
                    return take(state, n, monotonic())

            return one
        attempt = self._attempt

        def many() -> float:
            with store._lock:
                return attempt(entries, monotonic())

        return many

    def _delay(self, r: float, now: float, deadline: float | None, tries: int) -> float:
        delay = r - now
        if deadline is not None and deadline - now < delay:
            delay = deadline - now
        cap = self.max_wait
        if cap != _INF and r == _INF:
            # a resource held elsewhere: back off from 1 ms up to max_wait
            cap = min(cap, 0.001 * (2 ** min(tries, 10)))
        return delay if delay < cap else cap

    def take(self, entries: Entries, deadline: float | None) -> bool:
        tries = 0
        with self._cond:
            while True:
                now = monotonic()
                r = self._attempt(entries, now)
                if not r:
                    return True
                if deadline is not None and now >= deadline:
                    return False
                delay = self._delay(r, now, deadline, tries)
                tries += 1
                self._waiting += 1
                try:
                    self._cond.wait(None if delay == _INF else max(delay, 0.0))
                finally:
                    self._waiting -= 1

    async def async_take(self, entries: Entries, deadline: float | None) -> bool:
        import asyncio

        loop = asyncio.get_running_loop()
        tries = 0
        while True:
            with self._lock:
                now = monotonic()
                r = self._attempt(entries, now)
                if not r:
                    return True
                if deadline is not None and now >= deadline:
                    return False
                fut = loop.create_future()
                waiter = (loop, fut)
                self._async_waiters.append(waiter)
            delay = self._delay(r, now, deadline, tries)
            tries += 1
            handle = loop.call_later(max(delay, 0.0), _wake, fut) if delay != _INF else None
            try:
                await fut
            finally:
                if handle is not None:
                    handle.cancel()
                with self._lock:
                    try:
                        self._async_waiters.remove(waiter)
                    except ValueError:
                        pass

    def give_back(self, items: Entries) -> None:
        with self._lock:
            now = monotonic()
            gives = self._gives
            states = self._states
            for i, n in items:
                gives[i](states[i], n, now)
            if self._waiting:
                self._cond.notify_all()
            waiters = self._async_waiters
            if waiters:
                self._async_waiters = []
        if waiters:
            for loop, fut in waiters:
                try:
                    loop.call_soon_threadsafe(_wake, fut)
                except RuntimeError:  # that loop is closed: nobody is waiting any more
                    pass

    def stats(self) -> list[dict[str, float]]:
        with self._lock:
            now = monotonic()
            return [f(s, now) for f, s in zip(self._stats, self._states)]

    def __reduce__(self) -> tuple[Any, ...]:
        # a private in-process state cannot be shared: a pickled copy starts fresh
        return (InProcessStore, (self._limits,))


class InProcessBackend(Backend):
    """State in this process (threads and asyncio); the default backend.

    Pickling a LimitSet that uses it (e.g. into a child process) gives the child
    a fresh, independent copy: use :class:`MultiprocessBackend` to share.
    """

    name = "inprocess"

    def create_store(self, limits: tuple[Limit, ...]) -> InProcessStore:
        """Allocate the state of ``limits`` in this process's memory."""
        return InProcessStore(limits)

    def __reduce__(self) -> tuple[Any, ...]:
        return (InProcessBackend, ())
