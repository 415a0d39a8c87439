"""`async_wait` / `async_gather`: wait/gather inside an event loop without blocking it.

Every leaf becomes a future of the running loop: coroutines are scheduled as
tasks, asyncio futures of this loop are used as they are, and everything else
(worker futures, concurrent futures, asyncio futures of other loops) gets a
loop future completed by its done-callback through ``call_soon_threadsafe``.
"""

from __future__ import annotations

import time
from collections.abc import Coroutine
from functools import partial
from typing import TYPE_CHECKING, Any

from ._asyncio import AsyncioFuture
from ._base import BaseFuture, _bridge
from ._constants import ALL_COMPLETED, ReturnWhen
from ._polling import PollingAlgorithm, PollingStrategy, polling_strategy
from ._reporter import Reporter, make_reporter
from ._shape import parse
from ._wait import wrap_all
from ._waiter import _failed, deadline_of, done_mask, is_done, outcome, timeout_error

if TYPE_CHECKING:
    import asyncio

__all__ = ["async_gather", "async_wait"]

_Pair = tuple[BaseFuture, "asyncio.Future[Any] | None"]


def _prepare(
    leaves: list[Any], loop: asyncio.AbstractEventLoop, polling: Any
) -> tuple[list[_Pair], list[asyncio.Future[Any]]]:
    """Pair each leaf's wrapper with a future of ``loop`` (None when already done).

    Also returns the helper futures created only to bridge (cancelled by the
    caller once it no longer needs them).
    """
    pairs: list[_Pair] = []
    helpers: list[asyncio.Future[Any]] = []
    tasks: dict[int, asyncio.Future[Any]] = {}
    wrapped: list[BaseFuture] = []
    for i, x in enumerate(leaves):
        if isinstance(x, Coroutine):
            tasks[i] = task = loop.create_task(x)
            wrapped.append(AsyncioFuture(task))
        else:
            wrapped.extend(wrap_all([x]))
    for i, (w, finished) in enumerate(zip(wrapped, done_mask(wrapped), strict=True)):
        if i in tasks:
            pairs.append((w, tasks[i]))
        elif finished:
            pairs.append((w, None))
        elif type(w) is AsyncioFuture and w._loop is loop:
            pairs.append((w, w._future))
        else:
            helper = (
                _bridge(w)
                if w.supports_done_callbacks
                else loop.create_task(_poll(w, polling_strategy(polling)))
            )
            helpers.append(helper)
            pairs.append((w, helper))
    return pairs, helpers


async def _poll(future: BaseFuture, strategy: PollingStrategy) -> None:
    """Complete when ``future`` (a kind that cannot call back) reports done."""
    import asyncio

    while not future.done():
        strategy.record_no_completion()
        await asyncio.sleep(strategy.get_next_interval())


def _discard(helpers: list[asyncio.Future[Any]]) -> None:
    for helper in helpers:
        if not helper.done():
            helper.cancel()


async def _until(
    pairs: list[_Pair],
    mode: ReturnWhen,
    deadline: float | None,
    reporter: Reporter | None,
) -> bool:
    """Suspend until ``mode`` holds for ``pairs``; False on timeout."""
    stop_on_error = mode is ReturnWhen.FIRST_EXCEPTION
    pending: list[tuple[BaseFuture, asyncio.Future[Any]]] = []
    finished = 0
    for w, lf in pairs:
        if lf is None or lf.done():
            finished += 1
            if mode is ReturnWhen.FIRST_COMPLETED or (stop_on_error and _failed(w)):
                pending = []
                break
        else:
            pending.append((w, lf))
    else:
        if reporter is not None:
            reporter.update(finished)
    if not pending:
        return True
    needed = 1 if mode is ReturnWhen.FIRST_COMPLETED else len(pending)
    import asyncio

    loop = asyncio.get_running_loop()
    wake: asyncio.Future[None] = loop.create_future()
    count = 0

    def on_done(w: BaseFuture, _: Any) -> None:
        nonlocal count
        count += 1
        if reporter is not None:
            reporter.update(finished + count)
        if not wake.done() and (count >= needed or (stop_on_error and _failed(w))):
            wake.set_result(None)

    callbacks = [(lf, partial(on_done, w)) for w, lf in pending]
    for lf, cb in callbacks:
        lf.add_done_callback(cb)
    try:
        remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
        await asyncio.wait([wake], timeout=remaining)
        return wake.done()
    finally:
        for lf, cb in callbacks:
            lf.remove_done_callback(cb)
        if not wake.done():
            wake.cancel()


def _close(reporter: Reporter | None, outcome_name: str) -> None:
    if reporter is not None:
        reporter.close(outcome_name)


async def async_wait(
    fs: Any,
    *futs: Any,
    timeout: float | None = None,
    return_when: ReturnWhen | str = ALL_COMPLETED,
    polling: PollingAlgorithm | str | Any = PollingAlgorithm.Adaptive,
    progress: Any = None,
    recurse: bool = False,
) -> tuple[set[BaseFuture], set[BaseFuture]]:
    """`wait` for use inside an event loop: same arguments, same result, never blocks the loop.

    Accepts coroutines (scheduled as tasks), asyncio futures of any loop,
    concurrent futures and every `BaseFuture` (worker futures are awaited).

    Raises:
        TimeoutError: The condition did not hold in time (says how many completed).
        ValueError: Bad arguments, as for `wait`.
    """
    import asyncio

    mode = ReturnWhen(return_when)
    polling_strategy(polling)
    deadline = deadline_of(timeout)
    leaves = parse(fs, futs, recurse).leaves
    reporter = make_reporter(progress, len(leaves), "Waiting")
    pairs, helpers = _prepare(leaves, asyncio.get_running_loop(), polling)
    try:
        ok = await _until(pairs, mode, deadline, reporter)
    except BaseException:
        _close(reporter, "failure")
        raise
    finally:
        _discard(helpers)
    futures = [w for w, _ in pairs]
    if not ok:
        _close(reporter, "failure")
        raise timeout_error("async_wait", timeout, futures)
    done = {w for w, finished in zip(futures, done_mask(futures), strict=True) if finished}
    _close(reporter, "success")
    return done, {w for w in futures if w not in done}


async def async_gather(
    fs: Any,
    *futs: Any,
    return_exceptions: bool = False,
    timeout: float | None = None,
    polling: PollingAlgorithm | str | Any = PollingAlgorithm.Adaptive,
    progress: Any = None,
    recurse: bool = False,
) -> Any:
    """`gather` for use inside an event loop: the results, in the shape of the input.

    Accepts coroutines, asyncio futures, concurrent futures and every
    `BaseFuture`. On timeout, what is still pending is cancelled (tasks
    created here and asyncio futures of this loop at once; other futures
    through their own `cancel`) and `TimeoutError` is raised.

    Raises:
        Exception: The first failure in input order, unless ``return_exceptions``.
        TimeoutError: Not everything finished in time (says how many did).
        ValueError: Bad arguments, as for `gather`.
    """
    import asyncio

    polling_strategy(polling)
    deadline = deadline_of(timeout)
    shape = parse(fs, futs, recurse)
    reporter = make_reporter(progress, len(shape.leaves), "Gathering")
    pairs, helpers = _prepare(shape.leaves, asyncio.get_running_loop(), polling)
    mode = ReturnWhen.ALL_COMPLETED if return_exceptions else ReturnWhen.FIRST_EXCEPTION
    try:
        if not await _until(pairs, mode, deadline, reporter):
            raise _cancel_pending(pairs, timeout)
        values: list[Any] = []
        for w, lf in pairs:
            if not is_done(w) and not await _until(
                [(w, lf)], ReturnWhen.ALL_COMPLETED, deadline, None
            ):
                raise _cancel_pending(pairs, timeout)
            exc, value = outcome(w)
            if exc is not None and not return_exceptions:
                raise exc
            values.append(value if exc is None else exc)
    except BaseException:
        _close(reporter, "failure")
        raise
    finally:
        _discard(helpers)
    _close(reporter, "success")
    return shape.rebuild(values)


def _cancel_pending(pairs: list[_Pair], timeout: float | None) -> TimeoutError:
    futures = [w for w, _ in pairs]
    error = timeout_error("async_gather", timeout, futures)
    for (w, lf), finished in zip(pairs, done_mask(futures), strict=True):
        if finished:
            continue
        if type(w) is AsyncioFuture and lf is w._future:
            lf.cancel()
        else:
            w.cancel()
            if lf is not None:
                lf.cancel()
    return error
