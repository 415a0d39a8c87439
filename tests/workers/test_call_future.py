"""``CallFuture`` makes its ``Condition`` only when someone waits on it.

The state is guarded by the future's own lock from the start; the condition
``Future``'s blocking methods wait on is made on first use. These tests check
that waiters of every kind wake whichever comes first (the waiter making the
condition, or the call settling), and that settling behaves as
``concurrent.futures.Future`` does.
"""

from __future__ import annotations

import concurrent.futures
import random
import threading

import pytest

from concurry_futures import gather
from concurry_workers import Worker
from concurry_workers._link import CallFuture

T = 30
MODES = ["thread", "asyncio"]


class Gate(Worker):
    def through(self, gate: threading.Event, value: int) -> int:
        if not gate.wait(T):
            raise TimeoutError("the test never opened the gate")
        return value

    def fail(self, gate: threading.Event, message: str) -> None:
        gate.wait(T)
        raise KeyError(message)


def _readers(future: CallFuture) -> list:
    """One blocking reader of each kind over ``future``."""
    return [
        lambda: future.result(timeout=T),
        lambda: future.exception(timeout=T),
        lambda: concurrent.futures.wait([future], timeout=T).done == {future},
        lambda: list(concurrent.futures.as_completed([future], timeout=T)) == [future],
        lambda: future.done(),
    ]


@pytest.mark.parametrize("mode", MODES, ids=MODES)
def test_waiters_wake_whether_they_come_before_or_while_the_call_settles(mode: str) -> None:
    rng = random.Random(7)
    worker = Gate.options(mode=mode).init()
    try:
        for round_ in range(60):
            gate = threading.Event()
            failing = round_ % 3 == 0
            made = worker.fail(gate, "no") if failing else worker.through(gate, round_)
            future = made.future
            assert isinstance(future, CallFuture)
            outcomes: list = []
            lock = threading.Lock()

            def read(reader, outcomes=outcomes, lock=lock) -> None:
                try:
                    got = reader()
                except BaseException as exc:  # recorded for the check below
                    got = exc
                with lock:
                    outcomes.append(got)

            readers = _readers(future)
            threads = [threading.Thread(target=read, args=(r,)) for r in readers]
            opened_after = rng.randrange(len(threads) + 1)  # the gate opens among the starts
            for i, thread in enumerate(threads):
                if i == opened_after:
                    gate.set()
                thread.start()
            gate.set()
            for thread in threads:
                thread.join(T)
                assert not thread.is_alive()
            assert future.done()
            if failing:
                assert isinstance(future.exception(timeout=0), KeyError)
            else:
                assert future.result(timeout=0) == round_
            assert len(outcomes) == len(readers)
            assert not any(isinstance(o, TimeoutError) for o in outcomes), outcomes
    finally:
        worker.stop()


@pytest.mark.parametrize("mode", MODES, ids=MODES)
def test_settling_twice_is_refused_as_concurrent_futures_does(mode: str) -> None:
    worker = Gate.options(mode=mode).init()
    try:
        gate = threading.Event()
        gate.set()
        future = worker.through(gate, 5).future
        assert future.result(timeout=T) == 5
        assert "finished" in repr(future)
        with pytest.raises(concurrent.futures.InvalidStateError):
            future.set_result(6)
        with pytest.raises(concurrent.futures.InvalidStateError):
            future.set_exception(ValueError("late"))
        assert future.result(timeout=0) == 5
        seen: list = []
        future.add_done_callback(seen.append)  # already done: runs at once
        assert seen == [future]
        assert gather([worker.through(gate, i) for i in range(20)], timeout=T) == list(range(20))
    finally:
        worker.stop()
