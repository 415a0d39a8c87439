"""``map`` over a worker or a pool: a bounded window of calls alive, results as an iterator.

``start_map`` reads the input lazily. It submits a first *window* of calls
(one call per item, or one per chunk of ``chunksize`` items) before it
returns, then submits one more each time the consumer takes a result, so at
most ``window`` calls (running, queued or finished and not yet consumed) are
alive and a million-item generator maps in bounded memory::

    input --next--> call --submit--> pool (spreads calls over its workers)
                                      |
    consumer <--yield-- window (deque in input order, or a queue fed by
                                done-callbacks in completion order)
                 \\--> refill: one call per call consumed

A chunk is one task call running ``run_chunk`` on the worker: it calls the
function once per item through the worker's ``Invoker`` (bound functions,
``limits``, retries and coroutines behave as for single calls) and returns
``(values, errors)``: ``errors`` is None when every item succeeded, else a
dict of item index to exception, so one failing item loses nothing else.

The iterator stops at the first failed item, as ``concurrent.futures`` does:
the items before it were yielded, the calls still alive are cancelled. So do
``close()``, a ``timeout`` and dropping the iterator.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from functools import partial
from itertools import islice, repeat
from queue import Empty, SimpleQueue
from time import monotonic
from types import CoroutineType
from typing import Any

from concurry_futures import as_progress_bar

from ._enums import ExecutionMode
from ._invoke import BOUND, TASK, Call

__all__ = ["default_window", "run_chunk", "start_map"]

#: Calls per worker kept alive when the worker has no submission queue cap.
QUEUE_PER_WORKER = 100
_REMOTE = (ExecutionMode.Processes, ExecutionMode.Ray)


def default_window(spec: Any, chunked: bool = False) -> int:
    """Calls a map keeps alive on a worker or pool of ``spec`` (chunks when chunking).

    With chunks it is twice the count below: each worker then has its next
    chunks at hand while the consumer unpacks a whole chunk's results.

    ``max_workers x max_queued_tasks`` (``QUEUE_PER_WORKER`` per worker when
    uncapped); on-demand pools, which have no submission queue per worker:
    ``QUEUE_PER_WORKER x`` their concurrency cap. The calls beyond what runs
    wait in the pool's queue, so the next one starts the moment one ends.
    """
    factor = 2 if chunked else 1
    if spec.on_demand:
        cap = spec.max_workers or max(1, (os.cpu_count() or 2) - 1)
        return int(factor * QUEUE_PER_WORKER * cap)
    per_worker = spec.max_queued_tasks or QUEUE_PER_WORKER
    return int(factor * max(1, spec.max_workers) * per_worker)


def _check_count(name: str, value: Any) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return value


def _check_timeout(timeout: Any) -> float | None:
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
        raise ValueError(f"timeout must be None or a number >= 0, got {timeout!r}")
    return None if math.isinf(timeout) else float(timeout)


def run_chunk(
    invoker: Any, fn: Any, chunk: list[Any], star: bool, remote: bool
) -> tuple[list[Any], dict[int, Any] | None]:
    """Run ``fn`` on each item of ``chunk`` on the worker (see the module doc).

    Args:
        invoker: The worker's ``Invoker`` (passed by ``Invoker.call``).
        fn: The function, or ``BOUND`` for the worker's bound function.
        chunk: The items: arguments, or tuples of arguments when ``star``.
        star: Items are argument tuples (else each item is the one argument;
            a flat list is cheaper to scan for futures and to pickle).
        remote: Pack exceptions for the trip back from another process.

    Returns:
        The values (None where an item failed) and None or ``{index: exception}``.
    """
    if invoker._retry is None:  # the common case: find the function once, call it per item
        target, _, kwargs = invoker._target(TASK, (fn,), {})
        run = partial(target, **kwargs) if kwargs else target
    else:  # each item retried on its own
        run = partial(_call_one, invoker.call, fn)
    values: list[Any] = []
    append = values.append
    errors: dict[int, Any] | None = None
    for index, args in enumerate(chunk if star else zip(chunk)):
        try:
            value = run(*args)
            if type(value) is CoroutineType:
                value = invoker._run_coroutine(value)
            append(value)
        except BaseException as exc:  # as a single call would deliver it
            if errors is None:
                errors = {}
            errors[index] = _pack(exc) if remote else exc
            append(None)
    return values, errors


def _call_one(call: Callable[..., Any], fn: Any, *args: Any) -> Any:
    return call(TASK, (fn, *args), {})


run_chunk._concurry_batch_ = True  # type: ignore[attr-defined]


def _pack(exc: BaseException) -> Any:
    from ._backends._wire import pack_exception

    return pack_exception(exc)


def _unpack(error: Any, remote: bool) -> BaseException:
    if not remote:
        return error  # type: ignore[no-any-return]
    from ._backends._wire import unpack_exception

    return unpack_exception(error)


def _argument_tuples(
    iterables: tuple[Iterable[Any], ...], head: tuple[Any, ...], unpack: bool
) -> Iterator[tuple[Any, ...]]:
    """``head + args`` of each item, built lazily (in C where possible)."""
    if unpack:  # a bound function over one iterable: tuples are argument lists
        return ((*head, *x) if type(x) is tuple else (*head, x) for x in iterables[0])
    if head:
        return zip(repeat(head[0]), *iterables)
    return zip(*iterables)


def start_map(
    submit: Callable[[Call], Future[Any]],
    spec: Any,
    fn: Callable[..., Any] | str,
    iterables: tuple[Iterable[Any], ...],
    *,
    timeout: float | None = None,
    progress: Any = False,
    chunksize: int = 1,
    ordered: bool = True,
    window: int | None = None,
) -> Iterator[Any]:
    """Submit the first window of ``fn`` over ``iterables`` and return the result iterator.

    Args:
        submit: Submits one call, returning a ``concurrent.futures.Future`` (never blocks).
        spec: The ``WorkerSpec`` of the worker or pool (sizes the default window).
        fn: The function, or ``BOUND`` (one iterable of tuples is then unpacked).
        iterables: The input, zipped.
        timeout: Seconds from this call after which a result not yet there
            raises ``TimeoutError``.
        progress: False, True, a dict of ``ProgressBar`` options or a ``ProgressBar``.
        chunksize: Items per call.
        ordered: Yield in input order (else in completion order).
        window: Calls alive at once (default: ``default_window(spec)``).
    """
    chunksize = _check_count("chunksize", chunksize)
    if window is None:
        size = default_window(spec, chunked=chunksize > 1)
    else:
        size = _check_count("window", window)
    wait = _check_timeout(timeout)
    started = monotonic()
    deadline = None if wait is None else started + wait
    unpack = isinstance(fn, str) and fn == BOUND and len(iterables) == 1
    bar = as_progress_bar(progress, _length(iterables))
    remote = spec.mode in _REMOTE
    if chunksize == 1:
        args = _argument_tuples(iterables, (fn,), unpack)
        next_call: Callable[[], Call] = lambda: (TASK, next(args), {})  # noqa: E731
    else:
        star = unpack or len(iterables) > 1
        args = _argument_tuples(iterables, (), unpack) if star else iter(iterables[0])

        def next_call() -> Call:
            chunk = list(islice(args, chunksize))
            if not chunk:
                raise StopIteration
            return (TASK, (run_chunk, fn, chunk, star, remote), {})

    state = _State(submit, next_call, chunksize > 1, remote, deadline, wait, started, bar)
    iterator = state.ordered(size) if ordered else state.unordered(size)
    next(iterator)  # fills the first window; from here on close() and garbage collection cancel
    return iterator


class _State:
    """What one map's iterator works with (kept together so ``start_map`` stays short)."""

    __slots__ = (
        "bar",
        "chunked",
        "deadline",
        "next_call",
        "remote",
        "started",
        "submit",
        "submitted",
        "timeout",
    )

    def __init__(
        self,
        submit: Callable[[Call], Future[Any]],
        next_call: Callable[[], Call],
        chunked: bool,
        remote: bool,
        deadline: float | None,
        timeout: float | None,
        started: float,
        bar: Any,
    ) -> None:
        self.submit = submit
        self.next_call = next_call
        self.chunked = chunked
        self.remote = remote
        self.deadline = deadline
        self.timeout = timeout
        self.started = started
        self.bar = bar
        self.submitted = 0  # items submitted so far (a chunk counts its items)

    def _take(self) -> tuple[Future[Any], int, int] | None:
        """Submit the next call: its future and the input indices of its first item
        and of the item after its last (None at the end of the input)."""
        try:
            call = self.next_call()
        except StopIteration:
            return None
        start = self.submitted
        self.submitted = stop = start + (len(call[1][2]) if self.chunked else 1)
        return self.submit(call), start, stop

    def _timed_out(self, start: int, stop: int, alive: int | None = None) -> TimeoutError:
        """The error of a map whose call for input items ``start`` to ``stop - 1`` (one
        item, or a chunk) missed the deadline; ``alive``: the calls pending, when the
        map waits in completion order (the call named is the oldest of them)."""
        notes = []
        if stop - start > 1:
            notes.append(f"in the chunk of items {start}-{stop - 1}")
        if alive is not None and alive > 1:
            notes.append(f"the oldest of {alive} calls still pending")
        item = f"item {start} ({'; '.join(notes)})" if notes else f"item {start}"
        return TimeoutError(
            f"map: {item} did not complete within timeout={self.timeout:g} s "
            f"(counted from the map call; waited {monotonic() - self.started:.3g} s)"
        )

    def _finish(self, alive: list[Future[Any]], completed: bool) -> None:
        # newest first: cancelling a call frees its place in the worker's queue,
        # which would admit (and start) the next call before its own cancel came
        for future in reversed(alive):
            future.cancel()
        bar = self.bar
        if bar is not None:
            if completed and hasattr(bar, "success"):
                bar.success()
            bar.close()

    def _values(self, outcome: tuple[list[Any], dict[int, Any] | None]) -> Iterator[Any]:
        """The items of a chunk's outcome, raising at the first failed one."""
        values, errors = outcome
        bar = self.bar
        if errors is None and bar is None:
            return iter(values)  # the common case: the list yields in C
        return self._checked_values(values, errors, bar)

    def _checked_values(
        self, values: list[Any], errors: dict[int, Any] | None, bar: Any
    ) -> Iterator[Any]:
        for position, value in enumerate(values):
            if errors is not None and position in errors:
                raise _unpack(errors[position], self.remote)
            if bar is not None:
                bar.update(1)
            yield value

    def ordered(self, size: int) -> Iterator[Any]:
        """Results in input order (the head of the window holds the rest back)."""
        take, deadline, bar, chunked = self._take, self.deadline, self.bar, self.chunked
        window: deque[tuple[Future[Any], int, int]] = deque()
        completed = False
        try:
            window.extend(islice(iter(take, None), size))
            yield None  # primed by start_map
            while window:
                future, start, stop = window[0]
                if deadline is None:
                    outcome = future.result()
                else:
                    try:
                        outcome = future.result(max(0.0, deadline - monotonic()))
                    except TimeoutError:
                        if future.done():
                            raise  # the item itself raised TimeoutError
                        raise self._timed_out(start, stop) from None
                window.popleft()
                taken = take()
                if taken is not None:
                    window.append(taken)
                if chunked:
                    yield from self._values(outcome)
                    continue
                if bar is not None:
                    bar.update(1)
                yield outcome
            completed = True
        finally:
            self._finish([entry[0] for entry in window], completed)

    def unordered(self, size: int) -> Iterator[Any]:
        """Results as their calls finish: done-callbacks feed a queue, no polling."""
        take, deadline, bar, chunked = self._take, self.deadline, self.bar, self.chunked
        finished: SimpleQueue[Future[Any]] = SimpleQueue()
        put, get = finished.put, finished.get
        alive: dict[Future[Any], tuple[int, int]] = {}  # -> its items (start, stop), oldest first
        completed = False
        try:
            for future, start, stop in islice(iter(take, None), size):
                alive[future] = start, stop
                future.add_done_callback(put)
            yield None  # primed by start_map
            while alive:
                if deadline is None:
                    future = get()
                else:
                    try:
                        future = get(timeout=max(0.0, deadline - monotonic()))
                    except Empty:
                        start, stop = next(iter(alive.values()))
                        raise self._timed_out(start, stop, len(alive)) from None
                del alive[future]
                taken = take()
                if taken is not None:
                    alive[taken[0]] = taken[1], taken[2]
                    taken[0].add_done_callback(put)
                outcome = future.result()  # done: raises the item's error here
                if chunked:
                    yield from self._values(outcome)
                    continue
                if bar is not None:
                    bar.update(1)
                yield outcome
            completed = True
        finally:
            self._finish(list(alive), completed)


def _length(iterables: tuple[Iterable[Any], ...]) -> int | None:
    try:
        return min(len(it) for it in iterables)  # type: ignore[arg-type]
    except TypeError:
        return None
