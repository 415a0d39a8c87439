"""Every future kind against the shared BaseFuture contract."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any

import pytest

from concurry_futures import AsyncioFuture, BaseFuture, ConcurrentFuture

from .conftest import GATE_TIMEOUT, Maker, done_future

ALL_KINDS = ["sync", "concurrent", "asyncio"]


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_done_future_reports_its_value(kind: str, loop: Any) -> None:
    fut = done_future(kind, 7, loop)
    assert fut.done() and not fut.running() and not fut.cancelled()
    assert fut.result() == 7
    assert fut.result(timeout=0) == 7
    assert fut.exception() is None
    assert fut.cancel() is False
    assert isinstance(fut, BaseFuture)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_done_future_reraises_its_exception(kind: str, loop: Any) -> None:
    err = KeyError("boom")
    fut = done_future(kind, err, loop)
    with pytest.raises(KeyError, match="boom"):
        fut.result(timeout=1)
    assert fut.exception(timeout=1) is err
    assert "KeyError" in repr(fut)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_callback_added_after_completion_runs_at_once_with_the_wrapper(
    kind: str, loop: Any
) -> None:
    fut = done_future(kind, 1, loop)
    seen: list[BaseFuture] = []
    fut.add_done_callback(seen.append)
    assert seen == [fut]
    assert seen[0] is fut


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_users_cannot_complete_a_future(kind: str, loop: Any) -> None:
    fut = done_future(kind, 1, loop)
    with pytest.raises(NotImplementedError, match="completed by its backend"):
        fut.set_result(2)
    with pytest.raises(NotImplementedError):
        fut.set_exception(ValueError())
    assert fut.result() == 1


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_await_a_done_future_in_a_fresh_loop(kind: str, loop: Any) -> None:
    fut = done_future(kind, "v", loop)

    async def main() -> Any:
        return await fut

    assert asyncio.run(main()) == "v"


def test_pending_result_times_out_with_builtin_timeout_error(make: Maker) -> None:
    job = make(1)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        job.future.result(timeout=0.05)
    with pytest.raises(TimeoutError):
        job.future.exception(timeout=0.05)
    assert time.monotonic() - t0 < 5
    assert not job.future.done()
    job.release()
    assert job.future.result(timeout=GATE_TIMEOUT) == 1


def test_running_while_executing_and_cancel_refused(make: Maker) -> None:
    job = make("x")
    assert job.started.wait(GATE_TIMEOUT)
    assert job.future.running()
    assert job.future.cancel() is False
    assert not job.future.cancelled()
    job.release()
    assert job.future.result(timeout=GATE_TIMEOUT) == "x"
    assert not job.future.running()
    assert job.future.done()


def test_callback_receives_the_wrapper_when_completed_later(make: Maker) -> None:
    job = make(3)
    got: list[BaseFuture] = []
    called = threading.Event()

    def cb(f: BaseFuture) -> None:
        got.append(f)
        called.set()

    job.future.add_done_callback(cb)
    assert not called.is_set()
    job.release()
    assert called.wait(GATE_TIMEOUT)
    assert got == [job.future] and got[0] is job.future
    assert got[0].result() == 3


def test_exception_of_a_failed_task(make: Maker) -> None:
    job = make(ValueError("bad"))
    job.release()
    with pytest.raises(ValueError, match="bad"):
        job.future.result(timeout=GATE_TIMEOUT)
    assert isinstance(job.future.exception(timeout=GATE_TIMEOUT), ValueError)


def test_await_from_another_loop_does_not_spin(make: Maker) -> None:
    job = make(11)
    assert job.started.wait(GATE_TIMEOUT)
    timer = threading.Timer(0.3, job.release)

    async def main() -> tuple[Any, float]:
        cpu0 = time.thread_time()
        timer.start()
        value = await asyncio.wait_for(job.future, GATE_TIMEOUT)
        return value, time.thread_time() - cpu0

    try:
        value, cpu = asyncio.run(main())
    finally:
        timer.cancel()
    assert value == 11
    assert cpu < 0.15, f"awaiting burned {cpu:.3f} s of CPU while the task ran"


def test_blocking_result_does_not_spin(make: Maker) -> None:
    job = make(5)
    assert job.started.wait(GATE_TIMEOUT)
    timer = threading.Timer(0.3, job.release)
    cpu0 = time.thread_time()
    timer.start()
    assert job.future.result(timeout=GATE_TIMEOUT) == 5
    cpu = time.thread_time() - cpu0
    assert cpu < 0.15, f"blocking result burned {cpu:.3f} s of CPU"


# ---- cancellation of a task that has not started --------------------------------------


def test_concurrent_cancel_queued_task_raises_cancelled_error() -> None:
    gate = threading.Event()
    with ThreadPoolExecutor(max_workers=1) as ex:
        blocker = ex.submit(gate.wait, GATE_TIMEOUT)
        fut = ConcurrentFuture(ex.submit(int, "1"))
        assert not fut.running()
        seen: list[BaseFuture] = []
        fut.add_done_callback(seen.append)
        assert fut.cancel() is True
        assert fut.cancelled() and fut.done()
        assert seen == [fut]
        with pytest.raises(CancelledError):
            fut.result(timeout=1)
        with pytest.raises(CancelledError):
            fut.exception(timeout=1)
        gate.set()
        assert blocker.result(GATE_TIMEOUT) is True


def test_asyncio_cancel_unstarted_task_raises_cancelled_error(loop: Any) -> None:
    async def create() -> AsyncioFuture:
        task = asyncio.get_running_loop().create_task(asyncio.sleep(GATE_TIMEOUT))
        fut = AsyncioFuture(task)
        assert not fut.running()
        assert fut.cancel() is True
        return fut

    fut = asyncio.run_coroutine_threadsafe(create(), loop).result(GATE_TIMEOUT)
    with pytest.raises(CancelledError):
        fut.result(timeout=GATE_TIMEOUT)
    assert fut.cancelled()
    with pytest.raises(CancelledError):
        fut.exception(timeout=1)


def test_asyncio_cancel_from_another_thread_before_start(loop: Any) -> None:
    hold = threading.Event()
    created: Future[AsyncioFuture] = Future()

    def block_loop() -> None:
        # The task is created but the loop cannot run it until `hold` is set.
        created.set_result(AsyncioFuture(loop.create_task(asyncio.sleep(GATE_TIMEOUT))))
        hold.wait(GATE_TIMEOUT)

    loop.call_soon_threadsafe(block_loop)
    fut = created.result(GATE_TIMEOUT)
    assert fut.running() is False
    assert fut.cancel() is True
    hold.set()
    with pytest.raises(CancelledError):
        fut.result(timeout=GATE_TIMEOUT)


def test_awaiting_a_cancelled_future_raises_concurrent_cancelled_error() -> None:
    f: Future[int] = Future()
    f.cancel()

    async def main() -> None:
        await ConcurrentFuture(f)

    with pytest.raises(CancelledError):
        asyncio.run(main())
