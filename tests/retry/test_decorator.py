from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from concurry_retry import RetryConfig, retry, testing


def test_sync_function_is_retried_and_keeps_metadata() -> None:
    calls: list[int] = []

    @retry(num_retries=3, retry_wait=0, retry_on=ConnectionError)
    def fetch(url: str, *, timeout: float = 1.0) -> str:
        """Fetch a page."""
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionError("reset")
        return f"{url}:{timeout}"

    assert fetch("u", timeout=2.0) == "u:2.0"
    assert len(calls) == 3
    assert fetch.__name__ == "fetch"
    assert fetch.__doc__ == "Fetch a page."
    assert fetch.__wrapped__ is not None  # type: ignore[attr-defined]
    assert fetch.retry_config.num_retries == 3  # type: ignore[attr-defined]


def test_config_object_and_overrides() -> None:
    base = RetryConfig(num_retries=1, retry_wait=0)
    calls: list[int] = []

    @retry(base, num_retries=4)
    def f() -> None:
        calls.append(1)
        raise OSError

    with pytest.raises(OSError):
        f()
    assert len(calls) == 5
    assert f.retry_config.retry_wait == 0  # type: ignore[attr-defined]


def test_mapping_config() -> None:
    @retry({"num_retries": 2, "retry_wait": 0})
    def f() -> int:
        return 1

    assert f.retry_config.num_retries == 2  # type: ignore[attr-defined]


def test_bare_decorator_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match=r"@retry\(num_retries=3"):

        @retry  # type: ignore[arg-type]
        def f() -> None: ...


def test_bad_field_fails_at_decoration() -> None:
    with pytest.raises(ValueError, match="retry_jitter"):
        retry(retry_jitter=2)


def test_zero_retries_is_a_plain_call() -> None:
    calls: list[int] = []

    @retry(num_retries=0)
    def f() -> None:
        calls.append(1)
        raise ValueError("once")

    with pytest.raises(ValueError, match="once"):
        f()
    assert calls == [1]


def test_methods_get_self() -> None:
    class Client:
        def __init__(self) -> None:
            self.calls = 0

        @retry(num_retries=2, retry_wait=0)
        def get(self, x: int) -> int:
            self.calls += 1
            if self.calls < 2:
                raise TimeoutError
            return x + self.calls

    c = Client()
    assert c.get(10) == 12
    assert Client.get.__qualname__.endswith("Client.get")


async def test_async_function_is_retried() -> None:
    calls: list[int] = []

    @retry(num_retries=3, retry_wait=0.01, retry_jitter=0)
    async def fetch(x: int) -> int:
        calls.append(1)
        await asyncio.sleep(0)
        if len(calls) < 3:
            raise ConnectionError
        return x * 2

    assert asyncio.iscoroutinefunction(fetch)
    assert fetch.__name__ == "fetch"
    assert await fetch(4) == 8
    assert len(calls) == 3


async def test_async_waits_do_not_block_the_loop() -> None:
    """While the retried coroutine waits, another task keeps running."""
    ticks: list[int] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            ticks.append(1)
            await asyncio.sleep(0.005)

    calls: list[int] = []

    @retry(num_retries=2, retry_wait=0.1, retry_jitter=0, retry_algorithm="fixed")
    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OSError
        return "ok"

    task = asyncio.create_task(ticker())
    t0 = time.monotonic()
    assert await flaky() == "ok"
    took = time.monotonic() - t0
    stop.set()
    await asyncio.wait_for(task, 5)
    assert 0.18 <= took < 5.0  # real asyncio.sleep of 2 x 0.1 s
    assert len(ticks) >= 5


async def test_async_with_testing_switch_does_not_wait() -> None:
    calls: list[int] = []

    @retry(num_retries=5, retry_wait=10.0, retry_jitter=0)
    async def flaky() -> str:
        calls.append(1)
        if len(calls) < 6:
            raise OSError
        return "ok"

    t0 = time.monotonic()
    with testing():
        assert await flaky() == "ok"
    assert time.monotonic() - t0 < 5.0


async def test_async_validation_and_cancellation() -> None:
    @retry(num_retries=3, retry_wait=0, retry_until=lambda result, **ctx: result > 1)
    async def counter(state: dict[str, Any]) -> int:
        state["n"] += 1
        return state["n"]

    assert await counter({"n": 0}) == 2

    started = asyncio.Event()

    @retry(num_retries=5, retry_wait=0)
    async def hangs() -> None:
        started.set()
        await asyncio.Event().wait()

    task = asyncio.create_task(hangs())
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)


def test_async_callable_object_is_detected() -> None:
    class Handler:
        async def __call__(self) -> int:
            return 5

    wrapped = retry(num_retries=1, retry_wait=0)(Handler())
    assert asyncio.run(wrapped()) == 5


def test_generator_functions_are_rejected() -> None:
    def gen() -> Any:
        yield 1

    async def agen() -> Any:
        yield 1

    for fn in (gen, agen):
        with pytest.raises(TypeError, match=r"generator function .*retrying"):
            retry(num_retries=1)(fn)
