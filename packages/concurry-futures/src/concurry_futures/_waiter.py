"""The event-driven core behind wait/gather: block until a condition on many futures.

Already-finished futures are recognised without registering anything. When
every pending future is of one class that waits for many at once (`RayFuture`
through ``ray.wait``; or a ``concurrent.futures.Future`` subclass with a
``_wait_many`` classmethod, as ray-mode calls have), that class waits for all
of them in one call.
Otherwise each pending future gets one done-callback (the same bound method for all) that
counts the completion and sets a `threading.Event` once the condition is met,
so the waiting thread sleeps until then: no rescanning, no CPU while nothing
completes. Only futures whose kind cannot call back are polled, paced by a
polling strategy.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future
from typing import Any

from ._asyncio import AsyncioFuture
from ._base import BaseFuture, waits_many
from ._concurrent import ConcurrentFuture
from ._constants import ReturnWhen
from ._polling import polling_strategy
from ._reporter import Reporter
from ._sync import SyncFuture

__all__ = [
    "block_until",
    "deadline_of",
    "done_mask",
    "is_done",
    "outcome",
    "plain_result",
    "timeout_error",
]

# concurrent.futures.Future keeps its state in `_state`; reading it (as
# concurrent.futures.wait does) avoids a lock round-trip per finished future.
_CF_DONE = frozenset(("FINISHED", "CANCELLED", "CANCELLED_AND_NOTIFIED"))
_ALL = ReturnWhen.ALL_COMPLETED
_FIRST = ReturnWhen.FIRST_COMPLETED
_EXC = ReturnWhen.FIRST_EXCEPTION


def deadline_of(timeout: float | None) -> float | None:
    """The monotonic deadline for ``timeout`` seconds (None: no deadline).

    Raises:
        ValueError: ``timeout`` is negative or not a number.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout < 0:
        raise ValueError(f"timeout must be None or a number >= 0, got {timeout!r}")
    return time.monotonic() + timeout


def is_done(w: BaseFuture) -> bool:
    """`done()` with a lock-free fast path for the common kinds."""
    t = type(w)
    if t is ConcurrentFuture:
        return w._future._state in _CF_DONE  # type: ignore[attr-defined]
    if t is SyncFuture:
        return True
    return w.done()


def done_mask(futures: Sequence[BaseFuture]) -> list[bool]:
    """`is_done` of each future; a class that waits for many at once is asked once."""
    mask: list[bool] = []
    append = mask.append
    groups: dict[type[BaseFuture], list[int]] | None = None
    for i, w in enumerate(futures):
        t = type(w)
        if t is ConcurrentFuture:
            append(w._future._state in _CF_DONE)  # type: ignore[attr-defined]
        elif t is SyncFuture:
            append(True)
        elif waits_many(t):
            if groups is None:
                groups = {}
            groups.setdefault(t, []).append(i)
            append(False)
        else:
            append(w.done())
    if groups is not None:
        for cls, indices in groups.items():
            done = cls._wait_many([futures[i] for i in indices], 0, _ALL)
            for i in indices:
                if futures[i] in done:
                    mask[i] = True
    return mask


def _failed(f: Any) -> bool:
    """True when a finished future (ours or a raw concurrent one) raised."""
    if type(f) is Future:
        return f._state == "FINISHED" and f._exception is not None
    return not f.cancelled() and f.exception() is not None


_PLAIN_RESULT: dict[type, Any] = {}


def plain_result(cls: type, value: Any) -> bool:
    """True when ``value``, the stored ``_result`` of a finished ``cls`` future (a
    ``concurrent.futures.Future`` class), is its result as it is.

    So it is when ``cls`` does not override ``result()``, or overrides it only to
    replace a placeholder of the type it names as ``_result_placeholder`` (a
    ray-mode call's future keeps one for a value it fetches on demand) and
    ``value`` is not one. Decided once per class.
    """
    known = _PLAIN_RESULT.get(cls)
    if known is None:
        if getattr(cls, "result", None) is Future.result:
            known = True
        else:
            known = getattr(cls, "_result_placeholder", None) or False
        _PLAIN_RESULT[cls] = known
    return known is True or (known is not False and type(value) is not known)


def outcome(w: BaseFuture) -> tuple[BaseException | None, Any]:
    """``(exception, value)`` of a finished future; cancellation is a `CancelledError`."""
    t = type(w)
    if t is ConcurrentFuture:
        f = w._future  # type: ignore[attr-defined]
        if f._state == "FINISHED" and (
            f._exception is not None or plain_result(type(f), f._result)
        ):
            return f._exception, f._result
    elif t is SyncFuture:
        return w._exception, w._result  # type: ignore[attr-defined]
    try:
        exc = w.exception(0)
    except CancelledError as e:
        return e, None
    if exc is not None:
        return exc, None
    return None, w.result(0)


def timeout_error(action: str, timeout: float | None, futures: list[BaseFuture]) -> TimeoutError:
    """A `TimeoutError` saying how many of how many futures completed."""
    finished = sum(done_mask(futures))
    return TimeoutError(
        f"{action} timed out after {timeout} s: {finished} of {len(futures)} futures completed"
    )


class _Collector:
    """Counts completions of pending futures; wakes the waiter when it should."""

    __slots__ = ("_count", "arrivals", "event", "failed", "stop_on_error", "target")

    def __init__(self, target: int, stop_on_error: bool, track: bool):
        self.event = threading.Event()
        self._count = itertools.count(1)
        self.target = target
        self.stop_on_error = stop_on_error
        self.failed = False
        self.arrivals: deque[Any] | None = deque() if track else None

    def hit(self, fut: Any) -> None:
        if self.arrivals is not None:
            self.arrivals.append(fut)
        # next() on itertools.count is atomic under the GIL: no lock on the hot path.
        if next(self._count) >= self.target:
            self.event.set()
        if self.stop_on_error and _failed(fut):
            self.failed = True
            self.event.set()


def block_until(
    futures: list[BaseFuture],
    deadline: float | None,
    return_when: ReturnWhen,
    polling: Any,
    reporter: Reporter | None,
    helped: bool = False,
) -> bool:
    """Block until ``return_when`` holds for ``futures`` or the deadline passes.

    ``helped``: the pending concurrent futures had their class's ``_wait_many``
    already (it is offered them once).

    Returns:
        True when the condition holds, False on timeout.

    Raises:
        RuntimeError: A pending asyncio future belongs to the loop of this thread.
    """
    stop_on_error = return_when is _EXC
    pending_cf: list[Any] = []
    pending_cb: list[BaseFuture] = []
    pending_poll: list[BaseFuture] = []
    groups: dict[type[BaseFuture], list[BaseFuture]] | None = None
    finished = 0
    for w in futures:
        t = type(w)
        if t is ConcurrentFuture:
            f = w._future  # type: ignore[attr-defined]
            if f._state not in _CF_DONE:
                pending_cf.append(f)
                continue
            failed = stop_on_error and f._state == "FINISHED" and f._exception is not None
        elif t is SyncFuture:
            failed = stop_on_error and w._exception is not None  # type: ignore[attr-defined]
        elif waits_many(t):
            if groups is None:
                groups = {}
            groups.setdefault(t, []).append(w)
            continue
        elif not w.done():
            if not w.supports_done_callbacks:
                pending_poll.append(w)
            else:
                if t is AsyncioFuture and w._on_loop_thread():  # type: ignore[attr-defined]
                    raise RuntimeError(
                        "cannot block on a pending asyncio future from its own event loop's "
                        "thread (it would deadlock); use 'await async_wait(...)' instead"
                    )
                pending_cb.append(w)
            continue
        else:
            failed = stop_on_error and _failed(w)
        finished += 1
        if failed or return_when is _FIRST:
            if reporter is not None:
                reporter.update(finished)
            return True
    if groups is not None:
        if reporter is None and len(groups) == 1 and not (pending_cf or pending_cb or pending_poll):
            ((cls, group),) = groups.items()
            return _wait_group(cls, group, deadline, return_when)
        # Mixed with other kinds (or reporting each completion): one look per class
        # at what is done, then done-callbacks for the rest like any other kind.
        for cls, group in groups.items():
            done = cls._wait_many(group, 0, _ALL)
            for w in group:
                if w not in done:
                    (pending_cb if w.supports_done_callbacks else pending_poll).append(w)
                    continue
                finished += 1
                if return_when is _FIRST or (stop_on_error and _failed(w)):
                    if reporter is not None:
                        reporter.update(finished)
                    return True
    if pending_cf and not (helped or pending_cb or pending_poll or reporter):
        wait_many = _class_wait_many(pending_cf)
        if wait_many is not None:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            wait_many(pending_cf, timeout, return_when)
            return block_until(futures, deadline, return_when, polling, reporter, helped=True)
    n_pending = len(pending_cf) + len(pending_cb) + len(pending_poll)
    if reporter is not None:
        reporter.update(finished)
    if n_pending == 0:
        return True
    needed = 1 if return_when is _FIRST else n_pending
    collector = _Collector(
        1 if reporter is not None else needed, stop_on_error, reporter is not None
    )
    hit = collector.hit
    try:
        for f in pending_cf:
            f.add_done_callback(hit)
        for w in pending_cb:
            w.add_done_callback(hit)
        return _sleep(collector, needed, finished, deadline, polling, pending_poll, reporter)
    finally:
        _unregister(pending_cf, hit)


def _class_wait_many(futures: list[Any]) -> Any:
    """The ``_wait_many`` classmethod of ``futures``' one class (a ``concurrent.futures``
    Future subclass that waits for many of its own at once), or None.

    It may wait for them and settle them (up to the timeout, until ``return_when``
    holds) or do nothing; the caller then counts what is done as usual.
    """
    cls = type(futures[0])
    if cls is Future:
        return None
    wait_many = getattr(cls, "_wait_many", None)
    if wait_many is None or any(type(f) is not cls for f in futures):
        return None
    return wait_many


def _wait_group(
    cls: type[BaseFuture],
    group: list[BaseFuture],
    deadline: float | None,
    return_when: ReturnWhen,
) -> bool:
    """`block_until` for futures of one class that waits for many at once."""
    timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    done = cls._wait_many(group, timeout, return_when)
    if all(w in done for w in group):
        return True
    if return_when is _FIRST:
        return bool(done)
    return return_when is _EXC and any(_failed(w) for w in done)


def _unregister(futures: list[Any], hit: Any) -> None:
    """Take our callback off concurrent futures that are still pending.

    `concurrent.futures.Future` has no public way to remove a callback; without
    this, loops like ``while not_done: wait(not_done, FIRST_COMPLETED)`` would
    pile up one stale callback per call on every future.
    """
    for f in futures:
        if f._state in _CF_DONE:
            continue
        with f._condition:
            try:
                f._done_callbacks.remove(hit)
            except ValueError:
                pass


def _sleep(
    collector: _Collector,
    needed: int,
    finished: int,
    deadline: float | None,
    polling: Any,
    pending_poll: list[BaseFuture],
    reporter: Reporter | None,
) -> bool:
    event = collector.event
    strategy = polling_strategy(polling) if pending_poll else None
    arrived = 0
    while True:
        wait_for = None if deadline is None else deadline - time.monotonic()
        if wait_for is not None and wait_for <= 0:
            if reporter is None:
                return event.is_set()
            arrivals = collector.arrivals
            return arrived + len(arrivals or ()) >= needed or collector.failed
        if strategy is not None:
            interval = strategy.get_next_interval()
            wait_for = interval if wait_for is None else min(wait_for, interval)
        fired = event.wait(wait_for)
        if strategy is not None:
            newly = [w for w in pending_poll if w.done()]
            if newly:
                strategy.record_completion()
                pending_poll[:] = [w for w in pending_poll if w not in newly]
                for w in newly:
                    collector.hit(w)
                fired = True
            else:
                strategy.record_no_completion()
        if not fired:
            continue
        if reporter is None:
            if event.is_set():
                return True
            continue
        # Clear before draining: a completion arriving after the drain sets it again.
        event.clear()
        arrivals = collector.arrivals
        assert arrivals is not None
        while arrivals:
            arrivals.popleft()
            arrived += 1
        reporter.update(finished + arrived)
        if arrived >= needed or collector.failed:
            return True
