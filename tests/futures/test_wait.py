"""wait: every input form, every return_when, timeouts, progress and event-driven sleeping."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from concurry_futures import (
    ALL_COMPLETED,
    FIRST_COMPLETED,
    FIRST_EXCEPTION,
    BaseFuture,
    ConcurrentFuture,
    ReturnWhen,
    SyncFuture,
    wait,
)

from .conftest import GATE_TIMEOUT, Maker, PolledFuture, concurrent_done


def _results(futures: set[BaseFuture]) -> list[Any]:
    return sorted(f.result() for f in futures)


@pytest.mark.parametrize(
    "make_input",
    [
        lambda fs: list(fs),
        lambda fs: tuple(fs),
        lambda fs: set(fs),
        lambda fs: {f"k{i}": f for i, f in enumerate(fs)},
        lambda fs: iter(fs),
    ],
    ids=["list", "tuple", "set", "dict", "iterator"],
)
def test_collections_of_done_futures(make_input: Callable[[list[Any]], Any]) -> None:
    done, not_done = wait(make_input([concurrent_done(i) for i in range(5)]), timeout=5)
    assert _results(done) == [0, 1, 2, 3, 4] and not_done == set()
    assert all(isinstance(f, ConcurrentFuture) for f in done)


def test_varargs_and_single_items() -> None:
    done, _ = wait(concurrent_done(1), concurrent_done(2), 3)
    assert _results(done) == [1, 2, 3]
    done, _ = wait(concurrent_done("x"))
    assert _results(done) == ["x"]


def test_extra_futures_after_a_collection_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="either one collection or several futures"):
        wait([concurrent_done(1)], concurrent_done(2))


def test_plain_values_count_as_done() -> None:
    done, not_done = wait([1, "a", None], timeout=1)
    assert len(done) == 3 and not not_done
    assert all(isinstance(f, SyncFuture) for f in done)


def test_empty_input_returns_at_once() -> None:
    assert wait([]) == (set(), set())


def test_recurse_walks_nested_collections() -> None:
    nested = [
        concurrent_done(1),
        (concurrent_done(2), {"a": concurrent_done(3), "b": [concurrent_done(4)]}),
        {concurrent_done(5)},
    ]
    done, _ = wait(nested, recurse=True, timeout=5)
    assert _results(done) == [1, 2, 3, 4, 5]
    flat_done, _ = wait(nested, timeout=5)
    assert len(flat_done) == 3  # without recurse, inner collections are plain values


def test_mixed_kinds_completed_by_threads(make: Maker, loop: Any) -> None:
    jobs = [make(i) for i in range(4)]
    items: list[Any] = [j.future for j in jobs] + [concurrent_done(10), SyncFuture(11), 12]
    if make.kind == "concurrent":
        items += [j.raw for j in jobs]  # raw concurrent futures too
    threading.Timer(0.05, lambda: [j.release() for j in jobs]).start()
    done, not_done = wait(items, timeout=GATE_TIMEOUT)
    assert not not_done
    assert {f.result() for f in done} == {0, 1, 2, 3, 10, 11, 12}


def test_first_completed_returns_when_one_finishes(make: Maker) -> None:
    slow, fast = make("slow"), make("fast")
    fast.release()
    done, not_done = wait([slow.future, fast.future], return_when=FIRST_COMPLETED, timeout=5)
    assert [f.result() for f in done] == ["fast"]
    assert not_done == {slow.future}


@pytest.mark.parametrize(
    "alias", [FIRST_EXCEPTION, "exception", ReturnWhen.FIRST_EXCEPTION, "First-Exception"]
)
def test_first_exception_returns_on_a_failure(make: Maker, alias: Any) -> None:
    ok, bad = make(1), make(ValueError("x"))
    bad.release()
    done, not_done = wait([ok.future, bad.future], return_when=alias, timeout=5)
    assert done == {bad.future} and not_done == {ok.future}


def test_first_exception_without_failures_returns_when_all_are_done(make: Maker) -> None:
    jobs = [make(i) for i in range(3)]
    threading.Timer(0.05, lambda: [j.release() for j in jobs]).start()
    t0 = time.monotonic()
    done, not_done = wait([j.future for j in jobs], return_when="exception", timeout=GATE_TIMEOUT)
    assert len(done) == 3 and not not_done
    assert time.monotonic() - t0 < 5


def test_first_exception_with_an_already_failed_future() -> None:
    pending: Future[int] = Future()
    done, not_done = wait([pending, concurrent_done(exc=KeyError())], return_when=FIRST_EXCEPTION)
    assert len(done) == 1 and len(not_done) == 1


def test_first_exception_ignores_cancellation() -> None:
    cancelled: Future[int] = Future()
    cancelled.cancel()
    pending: Future[int] = Future()
    with pytest.raises(TimeoutError):
        wait([cancelled, pending], return_when=FIRST_EXCEPTION, timeout=0.1)


def test_all_completed_is_the_default_and_accepts_aliases(make: Maker) -> None:
    job = make(1)
    with pytest.raises(TimeoutError):
        wait([job.future, concurrent_done(2)], timeout=0.05)
    job.release()
    for alias in (ALL_COMPLETED, "all", "all_completed", ReturnWhen.ALL_COMPLETED):
        done, _ = wait([job.future, concurrent_done(2)], return_when=alias, timeout=GATE_TIMEOUT)
        assert len(done) == 2


def test_unknown_return_when_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="valid choices: 'ALL_COMPLETED'"):
        wait([1], return_when="sometimes")


def test_timeout_message_counts_the_completed(make: Maker) -> None:
    pending = make(0)
    with pytest.raises(TimeoutError, match=r"2 of 3 futures completed"):
        wait([concurrent_done(1), 2, pending.future], timeout=0.1)


@pytest.mark.parametrize("bad", [-1, "soon", True])
def test_bad_timeout_is_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError, match="timeout must be None or a number >= 0"):
        wait([1], timeout=bad)


def test_bad_polling_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="valid choices"):
        wait([1], polling="sometimes")
    with pytest.raises(ValueError, match="polling must be"):
        wait([1], polling=3)
    wait([1], polling="fixed")


def test_waiting_does_not_spin_and_notices_completion_at_once(make: Maker) -> None:
    jobs = [make(i) for i in range(20)]
    cpu: list[float] = []
    woke_after: list[float] = []
    released_at: list[float] = []

    def waiter() -> None:
        c0 = time.thread_time()
        wait([j.future for j in jobs], timeout=GATE_TIMEOUT)
        woke_after.append(time.monotonic())
        cpu.append(time.thread_time() - c0)

    thread = threading.Thread(target=waiter)
    thread.start()

    def release() -> None:
        released_at.append(time.monotonic())
        for j in jobs:
            j.release()

    timer = threading.Timer(0.3, release)
    timer.start()
    thread.join(GATE_TIMEOUT)
    assert cpu and cpu[0] < 0.1, f"waiting burned {cpu[0]:.3f} s CPU"
    assert woke_after[0] - released_at[0] < 2.0


def test_wait_on_its_own_loop_thread_is_a_clear_error() -> None:
    async def main() -> None:
        pending = asyncio.get_running_loop().create_future()
        with pytest.raises(RuntimeError, match="would deadlock"):
            wait([pending], timeout=1)
        pending.cancel()

    asyncio.run(main())


@pytest.mark.parametrize("polling", ["fixed", "adaptive", "exponential", "progressive"])
def test_kinds_without_callbacks_are_polled(polling: str) -> None:
    ev = threading.Event()
    fut = PolledFuture(ev, "p")
    setter = fut.set_once_polled(times=2, window=0.1)  # ~0.1 s of polling, >= 2 checks
    done, _ = wait([fut, concurrent_done(1)], polling=polling, timeout=GATE_TIMEOUT)
    setter.join(GATE_TIMEOUT)
    assert {f.result() for f in done} == {"p", 1}
    assert 2 < fut.checks < 2000  # polled until done, never spun


def test_cancelled_futures_are_done() -> None:
    with ThreadPoolExecutor(1) as ex:
        gate = threading.Event()
        ex.submit(gate.wait, GATE_TIMEOUT)
        queued = ex.submit(int)
        assert queued.cancel()
        done, not_done = wait([queued], timeout=5)
        assert len(done) == 1 and not not_done and next(iter(done)).cancelled()
        gate.set()


def test_many_futures_completed_from_many_threads() -> None:
    futures: list[Future[int]] = [Future() for _ in range(2000)]
    barrier = threading.Barrier(4)

    def complete(part: list[Future[int]]) -> None:
        barrier.wait(GATE_TIMEOUT)
        for f in part:
            f.set_result(1)

    threads = [threading.Thread(target=complete, args=(futures[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    done, not_done = wait(futures, timeout=GATE_TIMEOUT)
    for t in threads:
        t.join(GATE_TIMEOUT)
    assert len(done) == 2000 and not not_done


def test_first_completed_loops_leave_no_stale_callbacks() -> None:
    futures: list[Future[int]] = [Future() for _ in range(50)]
    not_done: Any = futures
    for i, f in enumerate(futures):
        f.set_result(i)
        done, not_done = wait(not_done, return_when=FIRST_COMPLETED, timeout=GATE_TIMEOUT)
        assert len(done) == 1
    assert not not_done
    pending: Future[int] = Future()
    for _ in range(20):
        with pytest.raises(TimeoutError):
            wait([pending], timeout=0)
        wait([pending, 1], return_when=FIRST_COMPLETED)
    assert pending._done_callbacks == []  # type: ignore[attr-defined]
