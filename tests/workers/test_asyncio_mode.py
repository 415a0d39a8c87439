"""Asyncio-mode specifics: concurrency of async methods, plain methods off the loop."""

from __future__ import annotations

import asyncio
import threading
import time

from concurry_workers import TaskWorker, Worker

T = 30


class Io(Worker):
    def __init__(self):
        self.loop_thread = None

    async def wait_for(self, event_name: str, gate: dict) -> str:
        # concurrency check: every call waits until all have started
        gate["started"] += 1
        while gate["started"] < gate["needed"]:
            await asyncio.sleep(0.001)
        return event_name

    async def where(self) -> int:
        return threading.get_ident()

    def plain_where(self) -> int:
        return threading.get_ident()

    def block(self, event: threading.Event) -> bool:
        return event.wait(T)

    async def ping(self) -> str:
        return "pong"


def test_async_methods_run_concurrently(no_leaks):
    gate = {"started": 0, "needed": 10}
    with Io.options(mode="asyncio").init() as w:
        futures = [w.wait_for(str(i), gate) for i in range(10)]
        # a sequential runner would never let the first call finish
        assert [f.result(timeout=T) for f in futures] == [str(i) for i in range(10)]


def test_plain_methods_do_not_block_the_loop(no_leaks):
    release = threading.Event()
    with Io.options(mode="asyncio").init() as w:
        blocked = w.block(release)
        assert w.ping().result(timeout=T) == "pong"  # the loop is free
        assert not blocked.done()
        release.set()
        assert blocked.result(timeout=T) is True
        assert w.where().result(timeout=T) != w.plain_where().result(timeout=T)


def test_async_tasks_speed_up_io(no_leaks):
    async def io(x):
        await asyncio.sleep(0.2)
        return x

    with TaskWorker.options(mode="asyncio").init() as w:
        t0 = time.monotonic()
        assert [f.result(timeout=T) for f in [w.submit(io, i) for i in range(20)]] == list(
            range(20)
        )
        assert time.monotonic() - t0 < 3  # sequential would take 4 s


class Sleeper(Worker):
    async def forever(self, started: threading.Event) -> None:
        started.set()
        await asyncio.sleep(60)


def test_async_call_abandoned_by_stop_is_cancelled(no_leaks):
    from concurrent.futures import CancelledError

    import pytest

    started = threading.Event()
    w = Sleeper.options(mode="asyncio").init()
    f = w.forever(started)
    assert started.wait(T)
    t0 = time.monotonic()
    w.stop(timeout=0.1)
    assert time.monotonic() - t0 < 10
    assert f.cancelled()
    with pytest.raises(CancelledError):
        f.result(timeout=0)
