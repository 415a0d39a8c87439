"""`gather`: the results of many futures, in input order or as they complete."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Generator
from functools import partial
from typing import Any

from ._base import BaseFuture, waits_many
from ._concurrent import ConcurrentFuture
from ._constants import ReturnWhen
from ._polling import PollingAlgorithm, polling_strategy
from ._reporter import Reporter, make_reporter
from ._shape import parse
from ._wait import wrap_all
from ._waiter import (
    _CF_DONE,
    block_until,
    deadline_of,
    done_mask,
    is_done,
    outcome,
    plain_result,
    timeout_error,
)

__all__ = ["gather"]


def gather(
    fs: Any,
    *futs: Any,
    return_exceptions: bool = False,
    iter: bool = False,
    timeout: float | None = None,
    polling: PollingAlgorithm | str | Any = PollingAlgorithm.Adaptive,
    progress: Any = None,
    recurse: bool = False,
) -> Any:
    """Wait for futures of any kind and return their results.

    Args:
        fs: A list, tuple, set, dict, iterator, or a single future/value.
        *futs: More single futures, only when ``fs`` is not a collection.
        return_exceptions: Put a failed future's exception in its slot instead
            of raising it.
        iter: Return a generator of ``(index_or_key, result)`` pairs in
            completion order instead of a collection (with ``recurse=True`` the
            key is the path tuple of the leaf).
        timeout: Seconds to wait at most, counted from the call (None: no limit).
        polling: `PollingAlgorithm` for future kinds that cannot call back.
        progress: None/False, True, a dict of `ProgressBar` options, a
            `ProgressBar`, or a callable ``fn(completed, total, elapsed)``.
        recurse: Walk nested lists, tuples, sets and dicts and return the same
            structure with every future replaced by its result (sets become lists).

    Returns:
        A list in input order for a list, tuple, set, iterator or several
        arguments; a dict with the same keys for a dict; ``[result]`` for one
        non-collection argument; or a generator when ``iter=True``.

    Raises:
        Exception: The first failure in input order, unless ``return_exceptions``.
        TimeoutError: Not everything finished in time (says how many did).
        ValueError: Bad ``polling``, ``progress`` or ``timeout``, or extra
            futures after a collection.

    Example:
        >>> gather({"a": 1, "b": 2})
        {'a': 1, 'b': 2}
    """
    polling_strategy(polling)
    deadline = deadline_of(timeout)
    shape = parse(fs, futs, recurse)
    futures = wrap_all(shape.leaves)
    reporter = make_reporter(progress, len(futures), "Gathering")
    if iter:
        return _iterate(
            futures, shape.keys, deadline, timeout, return_exceptions, polling, reporter
        )
    try:
        values = _collect(futures, deadline, timeout, return_exceptions, polling, reporter)
    except BaseException:
        if reporter is not None:
            reporter.close("failure")
        raise
    if reporter is not None:
        reporter.close("success")
    return shape.rebuild(values)


def _collect(
    futures: list[BaseFuture],
    deadline: float | None,
    timeout: float | None,
    return_exceptions: bool,
    polling: Any,
    reporter: Reporter | None,
) -> list[Any]:
    mode = ReturnWhen.ALL_COMPLETED if return_exceptions else ReturnWhen.FIRST_EXCEPTION
    if not block_until(futures, deadline, mode, polling, reporter):
        raise timeout_error("gather", timeout, futures)
    values: list[Any] = []
    append = values.append
    for w in futures:
        if type(w) is ConcurrentFuture:
            f = w._future  # type: ignore[attr-defined]
            # Lock-free read of a finished concurrent future (see _waiter._CF_DONE).
            if f._state == "FINISHED" and f._exception is None and plain_result(type(f), f._result):
                append(f._result)
                continue
        # A pending one here means a later future failed: everything before that
        # failure must finish to know which failure comes first in input order.
        if not is_done(w) and not block_until(
            [w], deadline, ReturnWhen.ALL_COMPLETED, polling, None
        ):
            raise timeout_error("gather", timeout, futures)
        exc, value = outcome(w)
        if exc is not None:
            if not return_exceptions:
                raise exc
            append(exc)
        else:
            append(value)
    return values


def _iterate(
    futures: list[BaseFuture],
    keys: list[Any],
    deadline: float | None,
    timeout: float | None,
    return_exceptions: bool,
    polling: Any,
    reporter: Reporter | None,
) -> Generator[tuple[Any, Any], None, None]:
    arrivals: deque[int] = deque()
    event = threading.Event()

    def arrive(i: int, _: Any) -> None:
        arrivals.append(i)
        event.set()

    ending = "failure"
    try:
        ready: list[int] = []
        polled: dict[int, BaseFuture] = {}
        batched: list[int] = []  # kinds that say at once which of many are done
        for i, w in enumerate(futures):
            t = type(w)
            if t is ConcurrentFuture:
                f = w._future  # type: ignore[attr-defined]
                if f._state in _CF_DONE:
                    ready.append(i)
                else:
                    f.add_done_callback(partial(arrive, i))
            elif waits_many(t):
                batched.append(i)
            elif is_done(w):
                ready.append(i)
            elif not w.supports_done_callbacks:
                polled[i] = w
            else:
                w.add_done_callback(partial(arrive, i))
        if batched:
            mask = done_mask([futures[i] for i in batched])
            for i, finished in zip(batched, mask, strict=True):
                if finished:
                    ready.append(i)
                elif futures[i].supports_done_callbacks:
                    futures[i].add_done_callback(partial(arrive, i))
                else:
                    polled[i] = futures[i]
            ready.sort()
        arrivals.extendleft(reversed(ready))
        strategy = polling_strategy(polling) if polled else None
        remaining = len(futures)
        count = 0
        while remaining:
            event.clear()
            while arrivals:
                i = arrivals.popleft()
                remaining -= 1
                count += 1
                exc, value = outcome(futures[i])
                if reporter is not None:
                    reporter.update(count)
                if exc is not None and not return_exceptions:
                    raise exc
                yield keys[i], (exc if exc is not None else value)
            if not remaining:
                break
            wait_for = None if deadline is None else deadline - time.monotonic()
            if wait_for is not None and wait_for <= 0:
                raise timeout_error("gather", timeout, futures)
            if strategy is not None:
                interval = strategy.get_next_interval()
                wait_for = interval if wait_for is None else min(wait_for, interval)
            event.wait(wait_for)
            if strategy is not None:
                newly = [i for i, w in polled.items() if w.done()]
                for i in newly:
                    del polled[i]
                    arrivals.append(i)
                (strategy.record_completion if newly else strategy.record_no_completion)()
        ending = "success"
    except GeneratorExit:
        ending = "stop"  # the caller stopped iterating early
        raise
    finally:
        if reporter is not None:
            reporter.close(ending)
