"""Stress tests for the worker core: kill storms and cancel storms (issue 8).

Kill storms: the child of a process worker is SIGKILLed at many points of a
stream of calls (plain arguments, future arguments resolved a moment later,
future arguments resolved only after the kill), with several
``max_queued_tasks``. Every future must end, with its result or with
``WorkerDiedError`` naming the signal, within a bounded time.

Cancel storms: one thread submits thousands of calls to a worker with
``max_queued_tasks=1`` while another cancels random recent futures; afterwards
nothing is left pending and a new call still runs (no in-flight slot leaked).

Every wait is bounded and a hang fails with a message saying what stayed
pending; every test stops its workers in ``finally``.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import threading
import time
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest

from concurry_futures import SyncFuture
from concurry_workers import Worker, WorkerDiedError, WorkerError

sys.path.insert(0, str(Path(__file__).parent))
from workers_helpers import (
    kill_if_ours,
    quiet_stop,
    run_bounded,
    settle,
)

START = 60  # seconds a worker may take to start (spawn imports a fresh interpreter)
SETTLE = 15  # seconds every future has to end after a kill / storm
PROMPT = 10  # seconds a call on a dead worker, or stop(), may take


# -- workers -----------------------------------------------------------------------------
class Target(Worker):
    """The process worker whose child gets killed."""

    def pid(self) -> int:
        return os.getpid()

    def work(self, value: Any) -> Any:
        time.sleep(0.0005)  # keeps a few calls in flight when the kill lands
        return value


class Helper(Worker):
    """A thread worker whose futures are the arguments of the target's calls."""

    def later(self, value: Any) -> Any:
        time.sleep(0.002)  # completes a moment later
        return value

    def fast(self, value: Any) -> Any:
        return value

    def gated(self, gate: threading.Event, value: Any) -> Any:
        if not gate.wait(30):
            raise TimeoutError("the test never opened the gate")
        return value


class Counter(Worker):
    """A fast worker for cancel storms."""

    def inc(self, value: int) -> int:
        return value

    async def ainc(self, value: int) -> int:
        await asyncio.sleep(0)
        return value


# -- helpers -----------------------------------------------------------------------------
def is_kill_message(exc: BaseException) -> bool:
    text = str(exc)
    return "-9" in text or "SIGKILL" in text


def assert_dead_worker_refuses_promptly(worker: Any) -> None:
    """A new call on a worker whose child died fails quickly; it never hangs or runs."""
    try:
        future = worker.work("after death")
    except WorkerError:
        return  # refused at the call: fine
    try:
        value = future.result(timeout=PROMPT)
    except WorkerError:
        return
    except TimeoutError:
        pytest.fail(f"a call on the dead worker stayed pending for {PROMPT} s")
    pytest.fail(f"a call on the dead worker returned {value!r}")


# -- kill storms -------------------------------------------------------------------------
N = 300
# N: kill after the whole stream was submitted (calls still running in the child)
KILL_POINTS = [0, 1, 2, 5, 10, 30, 60, 100, 150, 200, 240, 299, N]
CAPS = [1, 5, 50]
KINDS = ["plain", "futures", "gated"]


class Stream:
    """Submits call ``i`` of the stream and remembers its expected result."""

    def __init__(self, target: Any, helper: Any, kind: str, gate: threading.Event) -> None:
        self.target, self.helper, self.kind, self.gate = target, helper, kind, gate
        self.futures: list[Any] = []
        self.expected: list[Any] = []

    def argument(self, i: int) -> Any:
        if self.kind == "plain" or i % 3 == 0:
            return i
        # "gated": resolved only once the test opens the gate (after the kill)
        later = self.kind == "futures"
        future = self.helper.later(i) if later else self.helper.gated(self.gate, i)
        return future if i % 3 == 1 else {"nested": [future]}

    def submit(self, i: int) -> None:
        arg = self.argument(i)
        try:
            future = self.target.work(arg)
        except WorkerDiedError as exc:  # refusing a call to a dead worker at once is fine
            future = SyncFuture(exception_value=exc)
        self.expected.append(i if i % 3 != 2 or self.kind == "plain" else {"nested": [i]})
        self.futures.append(future)


def check_outcomes(stream: Stream, what: str) -> tuple[int, int]:
    """Each future holds its own result or a WorkerDiedError naming SIGKILL."""
    ok = died = 0
    wrong: list[str] = []
    for i, (future, expected) in enumerate(zip(stream.futures, stream.expected)):
        try:
            value = future.result(timeout=0)
        except WorkerDiedError as exc:
            died += 1
            if not is_kill_message(exc):
                wrong.append(f"#{i}: WorkerDiedError without the signal: {exc}")
        except CancelledError:
            wrong.append(f"#{i}: cancelled (nobody cancelled it; expected WorkerDiedError)")
        except BaseException as exc:
            wrong.append(f"#{i}: {type(exc).__name__}: {exc}")
        else:
            ok += 1
            if value != expected:
                wrong.append(f"#{i}: result {value!r}, expected {expected!r}")
    assert not wrong, f"{what}: {len(wrong)} bad outcomes: {wrong[:10]}"
    return ok, died


def kill_storm(
    cap: int,
    kind: str,
    kill_at: int,
    *,
    mp_context: str | None = None,
    concurrent: bool = False,
    completed: bool = False,
) -> None:
    """Kill the child after ``kill_at`` calls were submitted (or, ``completed``, had run)."""
    when = "completed" if completed else "submitted"
    what = (
        f"kill after {kill_at}/{N} calls {when} ({kind} arguments, "
        f"max_queued_tasks={cap}, mp_context={mp_context or 'default'})"
    )
    gate = threading.Event()
    helper = target = pid = None
    options: dict[str, Any] = {"mode": "process", "max_queued_tasks": cap}
    if mp_context is not None:
        options["mp_context"] = mp_context
    try:
        helper = Helper.options(mode="thread", max_queued_tasks=None).init()
        target = Target.options(**options).init()
        pid = target.pid().result(timeout=START)
        stream = Stream(target, helper, kind, gate)
        if concurrent:
            reached = threading.Event()
            errors: list[BaseException] = []

            def submit_all() -> None:
                try:
                    for i in range(N):
                        if i == kill_at:
                            reached.set()
                        stream.submit(i)
                except BaseException as exc:
                    errors.append(exc)
                finally:
                    reached.set()

            submitter = threading.Thread(target=submit_all, name="test-submitter", daemon=True)
            submitter.start()
            assert reached.wait(SETTLE), f"{what}: the submitter never reached call {kill_at}"
            os.kill(pid, signal.SIGKILL)  # while the submitter keeps going
            submitter.join(SETTLE)
            assert not submitter.is_alive(), f"{what}: submitting {N} calls hung"
            assert not errors, f"{what}: submitting raised {errors[0]!r}"
        elif completed:
            for i in range(N):
                stream.submit(i)
            last_done = stream.futures[kill_at - 1]
            settle([last_done], SETTLE, f"{what}: call {kill_at - 1} before the kill")
            os.kill(pid, signal.SIGKILL)  # calls after it still queued or running
        else:
            for i in range(N):
                if i == kill_at:
                    os.kill(pid, signal.SIGKILL)
                stream.submit(i)
            if kill_at >= N:
                os.kill(pid, signal.SIGKILL)
        gate.set()  # gated arguments complete only now, after the kill
        settle(stream.futures, SETTLE, what)
        ok, died = check_outcomes(stream, what)
        assert ok + died == N
        if completed:  # a call that returned before the kill keeps its result
            assert last_done.result(timeout=0) == stream.expected[kill_at - 1], what
        elif not concurrent and kill_at < N:
            with pytest.raises(WorkerDiedError):
                stream.futures[-1].result(timeout=0)  # submitted after the kill
        assert_dead_worker_refuses_promptly(target)
        run_bounded(target.stop, PROMPT, f"{what}: stop() after the kill")
        run_bounded(helper.stop, PROMPT, f"{what}: stop() of the helper")
    finally:
        gate.set()
        quiet_stop(target)
        quiet_stop(helper)
        kill_if_ours(pid)


# One test per (cap, kind) walks every kill point, so a hang costs one bounded wait.
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cap", CAPS)
def test_kill_storm(cap, kind, no_leaks):
    for kill_at in KILL_POINTS:
        kill_storm(cap, kind, kill_at)


# Kill points spread over the child's progress: the stream is submitted at once and
# the kill lands after call k-1 has run (gated arguments cannot run before the kill).
@pytest.mark.parametrize("kind", ["plain", "futures"])
@pytest.mark.parametrize("cap", CAPS)
def test_kill_storm_after_completed_calls(cap, kind, no_leaks):
    for kill_at in (1, 10, 60, 150, 240, 299):
        kill_storm(cap, kind, kill_at, completed=True)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cap", CAPS)
def test_kill_storm_while_another_thread_submits(cap, kind, no_leaks):
    for kill_at in (0, 1, 100, 200):
        kill_storm(cap, kind, kill_at, concurrent=True)


@pytest.mark.parametrize(("mp_context", "kind"), [("spawn", "gated"), ("fork", "futures")])
def test_kill_storm_start_methods(mp_context, kind, no_leaks):
    for kill_at in (5, 150):
        kill_storm(5, kind, kill_at, mp_context=mp_context)


# -- cancel storms -----------------------------------------------------------------------
STORM_CALLS = {"sync": 5000, "thread": 5000, "asyncio": 5000, "process": 1500, "ray": 300}
WINDOW = 8  # the canceller picks among the most recent futures


def cancel_storm(submit_one: Any, n: int, what: str, seed: int) -> tuple[list[Any], list[int]]:
    """One thread submits ``n`` calls while another cancels random recent futures."""
    futures: list[Any] = []
    expected: list[int] = []
    lock = threading.Lock()
    finished = threading.Event()
    errors: list[BaseException] = []

    def submitter() -> None:
        try:
            for i in range(n):
                future = submit_one(i)
                with lock:
                    futures.append(future)
                    expected.append(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            finished.set()

    def canceller() -> None:
        # Half the picks hit the most recent futures (still waiting client-side),
        # half the oldest unfinished ones (about to be admitted to the worker).
        rng = random.Random(seed)
        head = 0
        try:
            while not finished.is_set():
                with lock:
                    size = len(futures)
                    if not size:
                        continue
                    while head < size - 1 and futures[head].done():
                        head += 1
                    if rng.random() < 0.5:
                        index = rng.randrange(max(0, size - WINDOW), size)
                    else:
                        index = rng.randrange(head, min(size, head + 3))
                    future = futures[index]
                future.cancel()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=submitter, name="test-submitter", daemon=True),
        threading.Thread(target=canceller, name="test-canceller", daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not any(t.is_alive() for t in threads), f"{what}: the storm itself hung"
    assert not errors, f"{what}: {errors[0]!r}"
    assert len(futures) == n
    return futures, expected


def check_storm(futures: list[Any], expected: list[int], what: str) -> int:
    """Every future is done: cancelled, or holding its own result."""
    settle(futures, SETTLE, what)
    wrong: list[str] = []
    cancelled = 0
    for i, (future, value) in enumerate(zip(futures, expected)):
        try:
            got = future.result(timeout=0)
        except CancelledError:
            cancelled += 1
        except BaseException as exc:
            wrong.append(f"#{i}: {type(exc).__name__}: {exc}")
        else:
            if got != value:
                wrong.append(f"#{i}: result {got!r}, expected {value!r}")
    assert not wrong, f"{what}: {len(wrong)} bad outcomes: {wrong[:10]}"
    return cancelled


def assert_still_runs(method: Any, what: str) -> None:
    future = method(-1)
    try:
        assert future.result(timeout=SETTLE) == -1
    except TimeoutError:
        pytest.fail(
            f"{what}: a new call stayed pending {SETTLE} s after the cancel storm "
            "(an in-flight slot was lost to a cancelled call)"
        )


ROUNDS = 5  # storms per test, on the same worker


def test_cancel_storm(worker_mode, no_leaks):
    w = Counter.options(mode=worker_mode, max_queued_tasks=1).init()
    try:
        for round_ in range(ROUNDS):
            what = f"cancel storm {round_} on {worker_mode}"
            futures, expected = cancel_storm(w.inc, STORM_CALLS[worker_mode], what, seed=round_)
            assert_still_runs(w.inc, what)
            check_storm(futures, expected, what)
        run_bounded(w.stop, PROMPT, f"stop() after the cancel storms on {worker_mode}")
    finally:
        quiet_stop(w)


def test_cancel_storm_async_methods(no_leaks):
    w = Counter.options(mode="asyncio", max_queued_tasks=1).init()
    try:
        for round_ in range(ROUNDS):
            what = f"cancel storm {round_} of async methods on asyncio"
            futures, expected = cancel_storm(w.ainc, STORM_CALLS["asyncio"], what, seed=round_)
            assert_still_runs(w.ainc, what)
            assert_still_runs(w.inc, what)
            check_storm(futures, expected, what)
        run_bounded(w.stop, PROMPT, "stop() after the cancel storms of async methods")
    finally:
        quiet_stop(w)


def test_cancel_storm_with_future_arguments(queuing_mode, no_leaks):
    helper = w = None
    try:
        helper = Helper.options(mode="thread", max_queued_tasks=None).init()
        w = Counter.options(mode=queuing_mode, max_queued_tasks=1).init()

        def submit_one(i: int) -> Any:
            if i % 2:  # half the calls wait for a helper's future
                return w.inc(helper.later(i) if i % 50 == 1 else helper.fast(i))
            return w.inc(i)

        n = STORM_CALLS[queuing_mode] // 3
        for round_ in range(ROUNDS):
            what = f"cancel storm {round_} with future arguments on {queuing_mode}"
            futures, expected = cancel_storm(submit_one, n, what, seed=100 + round_)
            assert_still_runs(w.inc, what)
            check_storm(futures, expected, what)
        run_bounded(w.stop, PROMPT, f"stop() after the cancel storms on {queuing_mode}")
        run_bounded(helper.stop, PROMPT, "stop() of the helper")
    finally:
        quiet_stop(w)
        quiet_stop(helper)
