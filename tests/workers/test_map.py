"""``TaskWorker.map`` and ``Executor.map``: order, windows, chunks, errors, timeouts, progress."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import io
import itertools
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from concurry_workers import Executor, TaskWorker

sys.path.insert(0, str(Path(__file__).parent))
from workers_helpers import FileEvent

T = 30
POOL_MODES = ["thread", "process"]


def square(x: int) -> int:
    return x * x


def add(x: int, y: int) -> int:
    return x + y


async def asquare(x: int) -> int:
    await asyncio.sleep(0)
    return x * x


def fail_on_seven(x: int) -> int:
    if x == 7:
        raise ValueError(f"seven is not allowed, got {x}")
    return x * x


def wait_on_gate(x: int, gate: Any, started: Any) -> int:
    """Item 0 waits for ``gate``; every item first sets ``started``."""
    started.set()
    if x == 0:
        assert gate.wait(T)
    return x


def wait_at_one(x: int, gate: Any) -> int:
    if x == 1:
        assert gate.wait(T)
    return x


def record(x: int, gate: Any, seen: Any) -> int:
    seen.append(x)
    if x == 0:
        assert gate.wait(T)
    return x


def slow_every_hundredth(x: int) -> int:
    if x % 100 == 0:
        time.sleep(0.2)  # the work itself is slow: this is what the test measures
    return x


@contextlib.contextmanager
def shared(mode: str) -> Iterator[SimpleNamespace]:
    """Events and lists a task can use, and the worker options they need.

    In-process modes get threading ones; process workers get managed ones and
    ``mp_context="spawn"`` (children of the fork server do not share our
    authkey, which a manager's proxies need); Ray workers, which share no authkey
    either, get events over marker files (and no list).
    """
    if mode == "ray":
        with tempfile.TemporaryDirectory() as folder:
            names = itertools.count()

            def event() -> FileEvent:
                return FileEvent(os.path.join(folder, f"event-{next(names)}"))

            yield SimpleNamespace(Event=event, options={"mode": mode})
        return
    if mode != "process":
        yield SimpleNamespace(Event=threading.Event, list=list, options={"mode": mode})
        return
    with multiprocessing.get_context("spawn").Manager() as manager:
        options = {"mode": mode, "mp_context": "spawn"}
        yield SimpleNamespace(Event=manager.Event, list=manager.list, options=options)


def counting(n: int) -> tuple[Iterator[int], list[int]]:
    """A generator of ``range(n)`` and a one-item list counting the items it handed out."""
    taken = [0]

    def source() -> Iterator[int]:
        for i in range(n):
            taken[0] += 1
            yield i

    return source(), taken


# -- order and shapes ---------------------------------------------------------------------
@pytest.mark.parametrize("chunksize", [1, 3])
def test_results_come_in_input_order(worker_mode, chunksize, no_leaks):
    with TaskWorker.options(mode=worker_mode).init() as w:
        assert list(w.map(square, range(50), chunksize=chunksize)) == [x * x for x in range(50)]
        assert list(w.map(add, range(10), range(5), chunksize=chunksize)) == [0, 2, 4, 6, 8]
        assert list(w.map(asquare, range(7), chunksize=chunksize)) == [x * x for x in range(7)]
        unordered = list(w.map(square, range(50), chunksize=chunksize, ordered=False))
        assert sorted(unordered) == [x * x for x in range(50)]
        assert list(w.map(square, [], chunksize=chunksize)) == []


@pytest.mark.parametrize("mode", POOL_MODES)
def test_pool_map_keeps_order_across_workers(mode, no_leaks):
    with TaskWorker.options(mode=mode, max_workers=3).init() as pool:
        assert list(pool.map(square, range(300))) == [x * x for x in range(300)]
        assert list(pool.map(square, range(300), chunksize=7)) == [x * x for x in range(300)]


@pytest.mark.parametrize("chunksize", [1, 4])
def test_bound_function_with_chunks(worker_mode, chunksize, no_leaks):
    with TaskWorker.options(mode=worker_mode).init(fn=add) as w:
        pairs = [(i, 10 * i) for i in range(9)]
        assert list(w.map(pairs, chunksize=chunksize)) == [11 * i for i in range(9)]
        assert list(w.map(range(9), range(9), chunksize=chunksize)) == [2 * i for i in range(9)]
    with TaskWorker.options(mode=worker_mode).init(fn=asquare) as w:
        assert list(w.map(range(9), chunksize=chunksize)) == [i * i for i in range(9)]


# -- completion order -----------------------------------------------------------------------
@pytest.mark.parametrize("mode", POOL_MODES)
def test_unordered_slow_items_do_not_hold_back_the_rest(mode, no_leaks):
    # 4 slow items of 0.2 s over 4 workers: ideally about 0.2 s; in input order each
    # slow item would hold back the window behind it, about 0.8 s
    with TaskWorker.options(mode=mode, max_workers=4, max_queued_tasks=2).init() as pool:
        list(pool.map(square, range(100)))  # warm up the workers
        t0 = time.monotonic()
        fast_only = list(pool.map(square, range(400), ordered=False))
        fast_time = time.monotonic() - t0
        t0 = time.monotonic()
        out = list(pool.map(slow_every_hundredth, range(400), ordered=False))
        elapsed = time.monotonic() - t0
    assert sorted(out) == list(range(400)) and len(fast_only) == 400
    ideal = 0.2 + fast_time
    assert elapsed < 2 * ideal, (elapsed, ideal)
    # fast items were yielded while item 0 slept
    assert out.index(0) > 100, out[:20]
    assert all(x % 100 for x in out[:50]), out[:50]


# -- windows and laziness -----------------------------------------------------------------
def test_window_counts_calls_alive_not_items_finished(no_leaks):
    # item 0 blocks one worker; every other item of the window finishes on the others
    # (one call per worker at a time, so none waits behind item 0); no more input is read
    with TaskWorker.options(mode="thread", max_workers=4, max_queued_tasks=1).init() as pool:
        gate = threading.Event()
        finished = itertools.count()
        all_others_done = threading.Event()

        def item(x: int) -> int:
            if x == 0:
                assert gate.wait(T)
            elif next(finished) == 8:  # the 9 other items of a window of 10
                all_others_done.set()
            return x

        source, taken = counting(10_000)
        results = pool.map(item, source, window=10)
        assert all_others_done.wait(T)
        assert taken[0] == 10  # exactly the window: nothing refilled on completion
        gate.set()
        assert next(results) == 0
        assert taken[0] == 11  # one more for the one consumed
        results.close()


@pytest.mark.parametrize(
    ("options", "chunksize", "expected"),
    [
        ({"max_workers": 3, "max_queued_tasks": 4}, 1, 12),
        # the window counts chunks, twice as many (a chunk is unpacked while others run)
        ({"max_workers": 3, "max_queued_tasks": 4}, 5, 120),
        ({"max_workers": 2}, 1, 200),  # thread default: 100 per worker
        ({}, 1, 100),
        ({"on_demand": True, "max_workers": 3}, 1, 300),  # 100 per running call
    ],
)
def test_default_window_scales_with_the_pool(options, chunksize, expected, no_leaks):
    with TaskWorker.options(mode="thread", **options).init() as pool:
        source, taken = counting(100_000)
        results = pool.map(square, source, chunksize=chunksize)
        assert taken[0] == expected
        assert next(results) == 0
        assert taken[0] == expected + chunksize  # one call more for the one consumed
        results.close()


def test_process_pool_window_scales_with_its_queue(no_leaks):
    with TaskWorker.options(mode="process", max_workers=2, max_queued_tasks=3).init() as pool:
        source, taken = counting(100_000)
        results = pool.map(square, source)
        assert taken[0] == 6
        assert list(itertools.islice(results, 5)) == [0, 1, 4, 9, 16]
        results.close()


def test_first_items_start_before_the_iterator_is_read(worker_mode, no_leaks):
    with shared(worker_mode) as box, TaskWorker.options(**box.options).init() as w:
        gate, started = box.Event(), box.Event()
        gate.set()  # item 0 need not wait here
        results = w.map(wait_on_gate, range(5), itertools.repeat(gate), itertools.repeat(started))
        assert started.wait(T)
        assert list(results) == list(range(5))


def test_a_million_items_map_in_bounded_memory(no_leaks):
    def resident() -> int:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    with TaskWorker.options(mode="thread", max_workers=4).init() as pool:
        list(pool.map(square, range(1000)))
        base = peak = resident()
        count = 0
        for count, _ in enumerate(pool.map(square, (i for i in range(1_000_000))), 1):
            if count % 50_000 == 0:
                peak = max(peak, resident())
    assert count == 1_000_000
    assert peak - base < 100 * 2**20, f"grew by {(peak - base) / 2**20:.0f} MB"


# -- errors, timeouts, cancellation -------------------------------------------------------
@pytest.mark.parametrize("chunksize", [1, 4])
@pytest.mark.parametrize("ordered", [True, False])
def test_an_error_surfaces_at_its_place(worker_mode, chunksize, ordered, no_leaks):
    with TaskWorker.options(mode=worker_mode).init() as w:
        got: list[int] = []
        with pytest.raises(ValueError, match="seven is not allowed, got 7"):
            for value in w.map(fail_on_seven, range(20), chunksize=chunksize, ordered=ordered):
                got.append(value)
        if ordered:
            assert got == [x * x for x in range(7)]  # every item before it, none after
        else:
            assert 49 not in got and set(got) <= {x * x for x in range(20)}
        # the worker is fine afterwards
        assert list(w.map(square, range(3), chunksize=chunksize)) == [0, 1, 4]


def test_chunk_errors_keep_the_other_items_and_the_remote_traceback(no_leaks):
    with TaskWorker.options(mode="process").init() as w:
        results = w.map(fail_on_seven, range(6, 10), chunksize=4)
        assert next(results) == 36
        with pytest.raises(ValueError, match="seven") as info:
            next(results)
        assert "fail_on_seven" in str(info.value.__cause__)  # the worker's traceback


# sync mode runs each call in-line as it is submitted: its results are always there.
@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
def test_timeout_names_the_item_and_the_wait(queuing_mode, ordered, no_leaks):
    with shared(queuing_mode) as box, TaskWorker.options(**box.options).init() as w:
        gate = box.Event()
        assert w.submit(square, 2).result(timeout=T) == 4  # started: the timeout is for item 1
        try:
            t0 = time.monotonic()
            results = w.map(
                wait_at_one, range(3), itertools.repeat(gate), timeout=0.3, ordered=ordered
            )
            got = []
            expected = (
                r"^map: item 1 (\(the oldest of 2 calls still pending\) )?did not complete "
                r"within timeout=0\.3 s \(counted from the map call; waited 0\.\d+ s\)$"
            )
            with pytest.raises(TimeoutError, match=expected):
                got.extend(results)
            # item 2 may finish before item 1 times out where calls run side by side (ray)
            assert got == [0] if ordered else sorted(got) in ([0], [0, 2])
            assert 0.25 < time.monotonic() - t0 < 10
            with pytest.raises(StopIteration):
                next(results)  # the iterator is finished after a timeout
        finally:
            gate.set()


@pytest.mark.parametrize("ordered", [True, False], ids=["ordered", "unordered"])
def test_chunked_timeout_names_the_item_not_the_chunk(queuing_mode, ordered, no_leaks):
    # chunks of 2: items 0-1, 2-3, 4-5; item 4 (chunk 2) holds the value 1, which waits
    values = [0, 0, 0, 0, 1, 0]
    # Ray may start a task process for a chunk: seconds on a busy 2-core machine
    timeout = 3 if queuing_mode == "ray" else 0.5
    with shared(queuing_mode) as box, TaskWorker.options(**box.options).init() as w:
        gate = box.Event()
        assert w.submit(square, 2).result(timeout=T) == 4
        try:
            results = w.map(
                wait_at_one,
                values,
                itertools.repeat(gate),
                timeout=timeout,
                chunksize=2,
                ordered=ordered,
            )
            assert [next(results) for _ in range(4)] == [0, 0, 0, 0]
            expected = (
                r"^map: item 4 \(in the chunk of items 4-5\) did not complete within "
                rf"timeout={timeout:g} s \(counted from the map call; waited \d+(\.\d+)? s\)$"
            )
            with pytest.raises(TimeoutError, match=expected):
                next(results)
        finally:
            gate.set()


@pytest.mark.parametrize("mode", ["thread", "process", "asyncio"])
def test_close_cancels_the_calls_still_alive(mode, no_leaks):
    with shared(mode) as box:
        gate, seen = box.Event(), box.list()
        w = TaskWorker.options(**box.options, max_queued_tasks=1).init()
        try:
            results = w.map(
                record, range(10), itertools.repeat(gate), itertools.repeat(seen), window=5
            )
            results.close()  # never read: the window is cancelled all the same
            gate.set()
        finally:
            w.stop()
        assert list(seen) in ([], [0])  # at most the call already running


@pytest.mark.parametrize("mode", ["thread", "asyncio"])
@pytest.mark.parametrize("ordered", [True, False])
def test_close_never_lets_a_later_call_slip_past_the_cancels(mode, ordered, no_leaks):
    # Cancelling a call frees its place in the worker's queue (max_queued_tasks=1),
    # which admits the next call: were the window cancelled oldest first, a call
    # about to be cancelled could start first. What runs is then always a prefix.
    w = TaskWorker.options(mode=mode, max_queued_tasks=1).init()
    try:
        for _ in range(100):
            seen: list[int] = []
            done = threading.Event()
            done.set()  # nothing waits: the calls race the cancels
            w.map(
                record,
                range(1, 9),
                itertools.repeat(done),
                itertools.repeat(seen),
                window=8,
                ordered=ordered,
            ).close()
            w.submit(len, ()).result(timeout=T)  # what was admitted has run
            assert seen == list(range(1, len(seen) + 1)), seen
    finally:
        w.stop()


def test_dropping_the_iterator_cancels_too(no_leaks):
    import gc

    seen: list[int] = []
    gate = threading.Event()
    with TaskWorker.options(mode="thread", max_queued_tasks=1).init() as w:
        results = w.map(record, range(10), itertools.repeat(gate), itertools.repeat(seen), window=5)
        del results
        gc.collect()
        gate.set()
    assert seen in ([], [0])


def test_a_failing_input_stops_the_map_and_cancels(no_leaks):
    def source() -> Iterator[int]:
        yield from range(5)
        raise KeyError("input broke")

    with TaskWorker.options(mode="thread").init() as w:
        with pytest.raises(KeyError, match="input broke"):
            w.map(square, source(), window=10)  # while filling the first window
        results = w.map(square, source(), window=2)
        with pytest.raises(KeyError, match="input broke"):
            list(results)


# -- validation ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"chunksize": 0}, "chunksize must be an int >= 1, got 0"),
        ({"chunksize": 2.5}, "chunksize must be an int >= 1, got 2.5"),
        ({"chunksize": True}, "chunksize must be an int >= 1, got True"),
        ({"window": 0}, "window must be an int >= 1, got 0"),
        ({"timeout": -1}, "timeout must be None or a number >= 0, got -1"),
        ({"timeout": "soon"}, "timeout must be None or a number >= 0, got 'soon'"),
        ({"progress": "loud"}, "progress must be None, a bool, a dict of ProgressBar options or a"),
    ],
)
def test_bad_arguments_name_the_rule_and_the_value(kwargs, match, no_leaks):
    with TaskWorker.options(mode="thread").init() as w:
        with pytest.raises(ValueError, match=match.replace("(", r"\(")):
            w.map(square, range(3), **kwargs)
        with pytest.raises(TypeError, match="callable"):
            w.map(3, range(3))
        with pytest.raises(TypeError, match="at least one iterable"):
            w.map(square)


# -- progress -------------------------------------------------------------------------------
@pytest.mark.parametrize("chunksize", [1, 5])
def test_progress_bar_counts_each_result(worker_mode, chunksize, no_leaks):
    out = io.StringIO()
    bar = {"desc": "sq", "file": out, "style": "std", "miniters": 1}
    with TaskWorker.options(mode=worker_mode).init() as w:
        assert list(w.map(square, range(23), progress=bar, chunksize=chunksize)) == [
            x * x for x in range(23)
        ]
        failed = io.StringIO()
        with pytest.raises(ValueError):
            list(
                w.map(
                    fail_on_seven, range(20), chunksize=chunksize, progress={**bar, "file": failed}
                )
            )
    assert "23/23" in out.getvalue()
    assert "7/20" in failed.getvalue() and "20/20" not in failed.getvalue()


# -- Executor ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", POOL_MODES)
def test_executor_map_sends_chunks(mode, no_leaks):
    with Executor(mode, max_workers=2) as ex:
        assert list(ex.map(add, range(100), range(100), chunksize=10)) == [
            2 * i for i in range(100)
        ]
        stats = ex._workers.get_pool_stats()
        assert sum(stats["total_calls"]) == 10  # one call per chunk
        assert list(ex.map(square, range(5), timeout=T)) == [0, 1, 4, 9, 16]
        with pytest.raises(ValueError, match="chunksize"):
            ex.map(square, range(5), chunksize=0)


@pytest.mark.parametrize("mode", POOL_MODES)
def test_executor_map_results_outlive_shutdown(mode, no_leaks):
    # as with concurrent.futures: work mapped before shutdown(wait=True) is finished
    with Executor(mode, max_workers=2, max_queued_tasks=2) as ex:
        results = ex.map(square, range(500))
        failing = ex.map(fail_on_seven, range(20), chunksize=3)
    assert list(results) == [x * x for x in range(500)]
    assert list(itertools.islice(failing, 7)) == [x * x for x in range(7)]
    with pytest.raises(ValueError, match="seven"):
        next(failing)


def test_executor_shutdown_cancel_futures_cancels_maps(no_leaks):
    gate = threading.Event()
    ex = Executor("thread", max_workers=1, max_queued_tasks=1)
    results = ex.map(wait_at_one, range(50), itertools.repeat(gate))
    assert next(results) == 0
    ex.shutdown(wait=False, cancel_futures=True)
    gate.set()
    with pytest.raises(concurrent.futures.CancelledError):
        list(results)
    ex.shutdown(wait=True)
