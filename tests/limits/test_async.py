"""async_acquire: awaitable, ``async with``, never blocking the loop, cancellation-safe."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from concurry_limits import LimitSet, RateLimit, ResourceLimit


async def test_async_with_and_await() -> None:
    ls = LimitSet([RateLimit("t", 1, 100), ResourceLimit("r", 1)])
    async with ls.async_acquire({"t": 5}) as acq:
        assert acq.requested == {"t": 5, "r": 1}
        acq.update({"t": 5})
    acq2 = await ls.async_acquire({"t": 1})
    acq2.update({"t": 1})
    acq2.release()
    assert ls.get_stats()["r"]["held"] == 0


async def test_waiting_does_not_block_the_loop() -> None:
    ls = LimitSet([RateLimit("t", 0.4, 1)])
    async with ls.async_acquire({"t": 1}) as a:
        a.update({"t": 1})
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    start = time.monotonic()
    async with ls.async_acquire({"t": 1}, timeout=5) as a:
        a.update({"t": 1})
    elapsed = time.monotonic() - start
    stop.set()
    await task
    assert 0.3 < elapsed < 3.0
    assert ticks >= 5


async def test_release_from_another_thread_wakes_async_waiter() -> None:
    ls = LimitSet([ResourceLimit("r", 1)])
    held = ls.acquire()
    store = ls._store
    released_at: list[float] = []

    def release_once_waited_on() -> None:
        # release only once the async waiter is parked, so the wake-up is what is tested
        deadline = time.monotonic() + 5
        while not store._async_waiters and time.monotonic() < deadline:
            time.sleep(0.002)
        released_at.append(time.monotonic())
        held.release()

    releaser = threading.Thread(target=release_once_waited_on)
    releaser.start()
    try:
        async with ls.async_acquire(timeout=5):
            woke = time.monotonic()
    finally:
        releaser.join(5)
    assert woke - released_at[0] < 2.0  # woken by the release, not by the timeout
    assert ls.get_stats()["r"]["held"] == 0


async def test_async_timeout() -> None:
    ls = LimitSet([ResourceLimit("r", 1)])
    held = ls.acquire()
    with pytest.raises(TimeoutError):
        async with ls.async_acquire(timeout=0.1):
            pass
    held.release()


async def test_cancelled_waiter_leaks_nothing() -> None:
    ls = LimitSet([ResourceLimit("r", 1)])
    held = ls.acquire()
    task = asyncio.create_task(ls.async_acquire(timeout=10).__aenter__())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    held.release()
    assert ls.get_stats()["r"]["held"] == 0
    async with ls.async_acquire(timeout=1):
        assert ls.get_stats()["r"]["held"] == 1
    assert ls.get_stats()["r"]["held"] == 0


async def test_many_tasks_share_a_resource() -> None:
    ls = LimitSet([ResourceLimit("r", 3)])
    active = peak = 0

    async def job() -> None:
        nonlocal active, peak
        async with ls.async_acquire(timeout=10):
            active += 1
            peak = max(peak, active)
            await asyncio.sleep(0.01)
            active -= 1

    await asyncio.wait_for(asyncio.gather(*(job() for _ in range(30))), 20)
    assert peak == 3
