"""The Redis backend against a real redis-server (the session's, or ``CONCURRY_TEST_REDIS_URL``)."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import pickle
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import limits_mp_helpers as helpers
from redis_helpers import fresh_backend

from concurry_limits import (
    CallLimit,
    LimitBackendError,
    LimitSet,
    RateLimit,
    RedisBackend,
    ResourceLimit,
)


@pytest.fixture(autouse=True)
def url(redis_url: str) -> str:
    """Every test here needs the server (skips, saying why, without redis-server)."""
    return redis_url


@pytest.fixture
def backend(url: str) -> Iterator[RedisBackend]:
    yield from fresh_backend(url, "test-limits")


def test_backend_by_name_and_repr() -> None:  # the default URL: no connection is made
    ls = LimitSet([ResourceLimit("r", 1)], backend="redis")
    assert isinstance(ls.backend, RedisBackend)
    assert "RedisBackend" in repr(ls)


def test_acquire_release_and_refund(backend: RedisBackend) -> None:
    ls = LimitSet([RateLimit("tokens", 1000, 100), ResourceLimit("conn", 1)], backend=backend)
    with ls.acquire({"tokens": 80}) as acq:
        acq.update({"tokens": 30})
        assert ls.get_stats()["conn"]["held"] == 1
        assert not ls.try_acquire().successful
    stats = ls.get_stats()
    assert stats["conn"]["held"] == 0
    assert stats["tokens"]["available"] == pytest.approx(70, abs=0.5)


def test_two_sets_with_one_prefix_share_state(backend: RedisBackend) -> None:
    a = LimitSet([ResourceLimit("conn", 1)], backend=backend)
    b = pickle.loads(pickle.dumps(a))  # as another machine would build it
    held = a.acquire()
    assert not b.try_acquire().successful
    held.release()
    b.acquire(timeout=1).release()
    other = LimitSet([ResourceLimit("conn", 2)], backend=backend)  # differently configured
    assert other.try_acquire().successful


@pytest.mark.parametrize("algo", ["token", "leaky", "sliding", "fixed", "gcra"])
def test_every_algorithm_limits_a_burst(backend: RedisBackend, algo: str) -> None:
    ls = LimitSet([CallLimit(60, 5, algo)], backend=backend)
    granted = sum(ls.try_acquire().successful for _ in range(9))
    assert granted == 5
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        ls.acquire(timeout=0.1)
    assert time.monotonic() - start < 2


def test_threads_contend_without_overshoot(backend: RedisBackend) -> None:
    ls = LimitSet([ResourceLimit("r", 2)], backend=backend)
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def run() -> None:
        for _ in range(15):
            with ls.acquire(timeout=30):
                enter = time.monotonic()
                leave = time.monotonic()
            with lock:
                spans.append((enter, leave))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    peak = helpers.peak_overlap(spans)
    assert len(spans) == 60 and peak <= 2
    assert ls.get_stats()["r"]["held"] == 0


def test_processes_share_a_rate(backend: RedisBackend) -> None:
    ctx = mp.get_context("spawn")
    ls = LimitSet([RateLimit("t", 0.2, 10)], backend=backend)  # 50/s
    start, out = ctx.Barrier(4), ctx.Queue()  # children pass it once connected
    procs = [ctx.Process(target=helpers.rate_stamps, args=(ls, start, 2.0, out)) for _ in range(3)]
    with helpers.running(*procs):
        start.wait(90)
        stamps = sorted(t for _ in procs for t in out.get(timeout=90))
        for p in procs:
            p.join(30)
    t0 = stamps[0]
    steady = [t for t in stamps if t0 + 0.4 <= t < t0 + 1.9]
    rate = len(steady) / 1.5
    assert 50 * 0.8 <= rate <= 50 * 1.15, rate


async def test_async_acquire(backend: RedisBackend) -> None:
    ls = LimitSet([ResourceLimit("r", 1)], backend=backend)
    held = ls.acquire()
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, held.release)
    async with ls.async_acquire(timeout=5) as acq:
        assert acq.successful
    assert ls.get_stats()["r"]["held"] == 0


def test_unreachable_server_is_a_clear_error() -> None:
    ls = LimitSet([ResourceLimit("r", 1)], backend=RedisBackend("redis://127.0.0.1:1/0"))
    with pytest.raises(LimitBackendError, match="unreachable"):
        ls.acquire(timeout=1)


@pytest.mark.parametrize("algo", ["token", "sliding", "gcra"])
def test_interleaved_clients_with_stale_caches_stay_exact(backend: RedisBackend, algo: str) -> None:
    a = LimitSet([RateLimit("t", 1000, 10, algo)], backend=backend)
    b = pickle.loads(pickle.dumps(a))
    granted = 0
    for k in range(30):
        acq = (a if k % 2 else b).try_acquire({"t": 1})
        if acq.successful:
            granted += 1
            acq.update({"t": 1})
            acq.release()
    assert granted == 10
    assert a.get_stats()["t"]["available"] == pytest.approx(0, abs=0.1)


async def test_cancelled_async_acquires_leave_nothing_held(backend: RedisBackend) -> None:
    ls = LimitSet([ResourceLimit("r", 1)], backend=backend)
    held = ls.acquire()
    tasks = [asyncio.create_task(ls.async_acquire(timeout=10).__aenter__()) for _ in range(5)]
    await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    held.release()
    # Attempts abandoned by the cancelled tasks may still be queued in the loop's
    # executor; each that gets granted gives its grant back, so "held" can blink
    # to 1 until every one has run. Drain them, then no new grant can happen and
    # only give-backs (possibly on a helper thread) remain.
    await asyncio.get_running_loop().shutdown_default_executor()
    deadline = time.monotonic() + 5
    while ls.get_stats()["r"]["held"] and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert ls.get_stats()["r"]["held"] == 0


async def test_async_paths_stay_off_the_loop_and_cancel_cleanly(backend: RedisBackend) -> None:
    ls = LimitSet([ResourceLimit("r", 1), RateLimit("t", 1000, 100)], backend=backend)
    async with ls.async_acquire({"t": 10}, timeout=0) as acq:  # timeout=0: one attempt
        acq.update({"t": 4})
    assert ls.get_stats()["t"]["available"] == pytest.approx(96, abs=0.5)
    with pytest.raises(RuntimeError, match="'t'"):
        async with ls.async_acquire({"t": 1}):
            pass
    assert ls.get_stats()["r"]["held"] == 0
    with pytest.raises(TimeoutError):
        async with ls.async_acquire({"t": 101 - 100}, timeout=0), ls.async_acquire(timeout=0):
            pass
