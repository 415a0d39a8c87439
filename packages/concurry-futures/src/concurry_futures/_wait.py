"""`wait`: block until some or all of many futures are done."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from ._asyncio import AsyncioFuture
from ._base import BaseFuture
from ._concurrent import ConcurrentFuture
from ._constants import ALL_COMPLETED, ReturnWhen
from ._polling import PollingAlgorithm, polling_strategy
from ._reporter import make_reporter
from ._shape import parse
from ._sync import SyncFuture
from ._waiter import block_until, deadline_of, done_mask, outcome, timeout_error
from ._wrap import wrap_future

__all__ = ["wait", "wrap_all"]

_new = object.__new__
_OURS = frozenset((ConcurrentFuture, SyncFuture, AsyncioFuture))


def wrap_all(items: list[Any]) -> list[BaseFuture]:
    """`wrap_future` over a list, with a cheap path for the common kinds."""
    out: list[BaseFuture] = []
    append = out.append
    for x in items:
        t = type(x)
        # Exact type checks first: isinstance against an ABC costs more than the wrapper.
        if t is Future:
            w = _new(ConcurrentFuture)
            w._future = x
            append(w)
        elif t in _OURS or isinstance(x, BaseFuture):
            append(x)
        else:
            append(wrap_future(x))
    return out


def wait(
    fs: Any,
    *futs: Any,
    timeout: float | None = None,
    return_when: ReturnWhen | str = ALL_COMPLETED,
    polling: PollingAlgorithm | str | Any = PollingAlgorithm.Adaptive,
    progress: Any = None,
    recurse: bool = False,
) -> tuple[set[BaseFuture], set[BaseFuture]]:
    """Wait for futures of any kind; return ``(done, not_done)`` sets of wrapped futures.

    Waiting is event-driven: each pending future gets one done-callback and the
    calling thread sleeps until the condition holds, so it costs no CPU while
    nothing completes and notices every completion at once. Futures of a class
    that waits for many at once (``RayFuture``: one ``ray.wait``) are handed
    to it together when nothing else is pending.

    Args:
        fs: A list, tuple, set, dict (its values are waited for), an iterator,
            or a single future/value.
        *futs: More single futures, only when ``fs`` is not a collection.
        timeout: Seconds to wait at most (None: no limit).
        return_when: `ReturnWhen` member, constant or alias (``"all"``,
            ``"first"``, ``"exception"``). ``FIRST_EXCEPTION`` returns when a
            future fails or, if none fails, when all are done.
        polling: `PollingAlgorithm` (or a `PollingStrategy`) pacing the checks
            of future kinds that cannot call back; validated and otherwise unused.
        progress: None/False, True (a bar), a dict of `ProgressBar` options, a
            `ProgressBar`, or a callable ``fn(completed, total, elapsed)``.
        recurse: Also look into nested lists, tuples, sets and dicts.

    Returns:
        ``(done, not_done)``: sets of `BaseFuture`. Plain values count as done.

    Raises:
        TimeoutError: The condition did not hold in time; the message says how
            many of how many futures completed.
        ValueError: Bad ``return_when``, ``polling``, ``progress`` or ``timeout``,
            or extra futures after a collection.

    Example:
        >>> done, not_done = wait([1, 2], timeout=5)
        >>> len(done), len(not_done)
        (2, 0)
    """
    mode = ReturnWhen(return_when)
    polling_strategy(polling)  # validate now, not only when a future needs polling
    deadline = deadline_of(timeout)
    futures = wrap_all(parse(fs, futs, recurse).leaves)
    reporter = make_reporter(progress, len(futures), "Waiting")
    try:
        ok = block_until(futures, deadline, mode, polling, reporter)
    except BaseException:
        if reporter is not None:
            reporter.close("failure")
        raise
    if not ok:
        if reporter is not None:
            reporter.close("failure")
        raise timeout_error("wait", timeout, futures)
    done: set[BaseFuture]
    not_done: set[BaseFuture] = set()
    if mode is ReturnWhen.ALL_COMPLETED:
        done = set(futures)
    else:
        done = set()
        for w, finished in zip(futures, done_mask(futures), strict=True):
            (done if finished else not_done).add(w)
    if reporter is not None:
        failed = mode is ReturnWhen.FIRST_EXCEPTION and any(outcome(w)[0] is not None for w in done)
        reporter.close("failure" if failed else "success")
    return done, not_done
