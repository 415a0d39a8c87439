"""``cancel_unrun``: a future already marked running ends cancelled, waking every waiter."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import pytest

from concurry_workers import Worker
from concurry_workers._link import cancel_unrun

T = 30


def test_running_future_becomes_cancelled_and_wakes_waiters():
    future: concurrent.futures.Future = concurrent.futures.Future()
    assert future.set_running_or_notify_cancel()
    seen: list = []
    future.add_done_callback(lambda f: seen.append(f.cancelled()))
    results: dict = {}

    def waiter() -> None:
        done, _ = concurrent.futures.wait([future], timeout=T)
        results["wait"] = future in done
        results["as_completed"] = list(concurrent.futures.as_completed([future], timeout=T))

    thread = threading.Thread(target=waiter)
    thread.start()
    deadline = time.monotonic() + T
    while not future._waiters:  # white-box: cancel only once wait() really waits
        assert time.monotonic() < deadline
        time.sleep(0.001)
    cancel_unrun(future)
    thread.join(T)
    assert results == {"wait": True, "as_completed": [future]}
    assert future.cancelled() and future.done() and seen == [True]
    with pytest.raises(concurrent.futures.CancelledError):
        future.result(timeout=0)


def test_pending_and_finished_futures():
    pending: concurrent.futures.Future = concurrent.futures.Future()
    cancel_unrun(pending)
    assert pending.cancelled()
    finished: concurrent.futures.Future = concurrent.futures.Future()
    finished.set_result(1)
    cancel_unrun(finished)
    assert not finished.cancelled() and finished.result() == 1


class _Slow(Worker):
    def nap(self, seconds: float) -> float:
        time.sleep(seconds)  # just a slow call
        return seconds

    def echo(self, x: int) -> int:
        return x


def test_calls_dropped_by_stop_count_as_done_for_concurrent_futures_wait(queuing_mode, no_leaks):
    # concurrent.futures.wait only counts a cancelled future once it is notified
    # (CANCELLED_AND_NOTIFIED), as an executor does for every work item it drops.
    w = _Slow.options(mode=queuing_mode, max_queued_tasks=1).init()
    running = w.nap(0.3)
    queued = [w.echo(i).future for i in range(5)]  # held client-side by the cap
    w.stop(timeout=10)
    # (a process child that had not started it yet when stop() came drops it too)
    assert running.future.cancelled() or running.result(timeout=10) == 0.3
    _, not_done = concurrent.futures.wait(queued, timeout=10)
    assert not not_done
    assert all(f.cancelled() for f in queued)
