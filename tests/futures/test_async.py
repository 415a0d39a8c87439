"""async_wait / async_gather inside an event loop, over every future kind."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import CancelledError, ThreadPoolExecutor
from typing import Any

import pytest

from concurry_futures import (
    FIRST_COMPLETED,
    BaseFuture,
    ConcurrentFuture,
    SyncFuture,
    async_gather,
    async_wait,
)

from .conftest import GATE_TIMEOUT, Maker, PolledFuture, concurrent_done


async def _double(x: int, delay: float = 0.0) -> int:
    await asyncio.sleep(delay)
    return 2 * x


async def _fail(msg: str, delay: float = 0.0) -> None:
    await asyncio.sleep(delay)
    raise ValueError(msg)


async def test_gather_mixes_coroutines_asyncio_concurrent_and_ours() -> None:
    loop = asyncio.get_running_loop()
    af = loop.create_future()
    loop.call_soon(af.set_result, "a")
    with ThreadPoolExecutor(2) as ex:
        cf = ex.submit(pow, 2, 10)
        out = await async_gather(
            [_double(1), af, cf, ConcurrentFuture(ex.submit(str, 5)), SyncFuture("s"), 9],
            timeout=GATE_TIMEOUT,
        )
    assert out == [2, "a", 1024, "5", "s", 9]


async def test_gather_shapes() -> None:
    assert await async_gather({"x": _double(2), "y": 3}) == {"x": 4, "y": 3}
    assert await async_gather(_double(1), _double(2)) == [2, 4]
    assert await async_gather(_double(5)) == [10]
    nested = {"a": [_double(1), (concurrent_done(2),)], "b": 3}
    assert await async_gather(nested, recurse=True) == {"a": [2, (2,)], "b": 3}


async def test_worker_futures_completed_by_threads_are_awaited(make: Maker) -> None:
    jobs = [make(i) for i in range(3)]
    threading.Timer(0.05, lambda: [j.release() for j in jobs]).start()
    out = await async_gather([j.future for j in jobs], timeout=GATE_TIMEOUT)
    assert out == [0, 1, 2]


async def test_waiting_never_blocks_the_loop(make: Maker) -> None:
    job = make("done")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            if ticks == 5:
                job.release()
            await asyncio.sleep(0.005)

    tick_task = asyncio.create_task(ticker())
    try:
        assert await async_gather([job.future], timeout=GATE_TIMEOUT) == ["done"]
    finally:
        tick_task.cancel()
    assert ticks >= 5


async def test_first_failure_in_input_order_and_return_exceptions() -> None:
    with pytest.raises(ValueError, match="first"):
        await async_gather([_double(1), _fail("first", 0.05), _fail("second")])
    out = await async_gather([_fail("x"), _double(2)], return_exceptions=True)
    assert isinstance(out[0], ValueError) and out[1] == 4


async def test_gather_timeout_cancels_what_is_pending() -> None:
    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(GATE_TIMEOUT)

    loop = asyncio.get_running_loop()
    task = loop.create_task(slow())
    gate = threading.Event()
    with ThreadPoolExecutor(1) as ex:
        ex.submit(gate.wait, GATE_TIMEOUT)
        queued = ex.submit(int)  # not started: can be cancelled
        with pytest.raises(TimeoutError, match="1 of 3 futures completed"):
            await async_gather([task, queued, concurrent_done(1)], timeout=0.1)
        gate.set()
    await asyncio.sleep(0)
    assert task.cancelled() and queued.cancelled()
    with pytest.raises(CancelledError):
        ConcurrentFuture(queued).result()


async def test_wait_returns_wrapped_done_and_not_done() -> None:
    loop = asyncio.get_running_loop()
    never = loop.create_future()
    done, not_done = await async_wait(
        [_double(1), never, concurrent_done(3)], return_when=FIRST_COMPLETED, timeout=GATE_TIMEOUT
    )
    assert all(isinstance(f, BaseFuture) for f in done | not_done)
    assert {f.result() for f in done} >= {3}
    assert never in [f.future for f in not_done]  # type: ignore[attr-defined]
    never.cancel()


async def test_wait_first_exception_and_all() -> None:
    done, not_done = await async_wait(
        [_fail("boom"), asyncio.sleep(GATE_TIMEOUT)], return_when="exception", timeout=GATE_TIMEOUT
    )
    assert len(done) == 1 and len(not_done) == 1
    for f in not_done:
        f.future.cancel()  # type: ignore[attr-defined]
    done, not_done = await async_wait(
        [_double(1), _double(2, 0.02)], return_when="exception", timeout=GATE_TIMEOUT
    )
    assert len(done) == 2 and not not_done


async def test_wait_timeout_message() -> None:
    never = asyncio.get_running_loop().create_future()
    with pytest.raises(TimeoutError, match=r"async_wait timed out after 0\.05 s: 1 of 2"):
        await async_wait([never, 1], timeout=0.05)
    assert not never.cancelled()  # async_wait does not cancel
    never.cancel()


async def test_asyncio_future_of_another_loop(loop: Any) -> None:
    async def create() -> asyncio.Future[int]:
        f = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.02, f.set_result, 42)
        return f

    other = asyncio.run_coroutine_threadsafe(create(), loop).result(GATE_TIMEOUT)
    assert await async_gather([other], timeout=GATE_TIMEOUT) == [42]


async def test_progress_callable_in_async() -> None:
    seen: list[tuple[int, int]] = []
    await async_gather(
        [_double(i, 0.001 * i) for i in range(5)], progress=lambda c, t, e: seen.append((c, t))
    )
    assert seen[-1] == (5, 5)
    assert [c for c, _ in seen] == sorted(c for c, _ in seen)


async def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="valid choices"):
        await async_wait([1], return_when="never")
    with pytest.raises(ValueError, match="progress must be"):
        await async_gather([1], progress=3)


async def test_kinds_without_callbacks_are_polled_in_async() -> None:
    ev = threading.Event()
    fut = PolledFuture(ev, "p")
    setter = fut.set_once_polled(times=2)
    assert await async_gather([fut, _double(1)], polling="fixed", timeout=GATE_TIMEOUT) == ["p", 2]
    setter.join(GATE_TIMEOUT)
    assert fut.checks > 2


async def test_polling_helpers_stop_when_async_wait_returns() -> None:
    ev = threading.Event()
    fut = PolledFuture(ev, "never")
    done, not_done = await async_wait([fut, 1], return_when=FIRST_COMPLETED)
    assert len(done) == 1 and not_done == {fut}
    helpers = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert all(t.done() or t.cancelling() for t in helpers), helpers
    checks = fut.checks
    await asyncio.sleep(0.05)
    assert fut.checks <= checks + 1
