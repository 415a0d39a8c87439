from __future__ import annotations

import asyncio
import functools

import pytest

from concurry_retry import (
    RetryConfig,
    RetryValidationError,
    async_execute_with_retry,
    execute_with_retry,
)


def test_plain_call_without_config() -> None:
    assert execute_with_retry(pow, (2, 5)) == 32
    assert execute_with_retry(dict, (), {"a": 1}) == {"a": 1}


def test_fast_path_exception_is_untouched(flaky: type) -> None:
    err = ValueError("x")
    with pytest.raises(ValueError) as info:
        execute_with_retry(flaky(err), config=RetryConfig(num_retries=0))
    assert info.value is err
    assert not getattr(err, "__notes__", None)


def test_retries_with_args_and_kwargs(flaky: type) -> None:
    seen: list[tuple[object, ...]] = []

    def fn(a: int, b: int = 0) -> int:
        seen.append((a, b))
        if len(seen) < 3:
            raise OSError
        return a + b

    config = RetryConfig(num_retries=2, retry_wait=0)
    assert execute_with_retry(fn, (1,), {"b": 2}, config) == 3
    assert seen == [(1, 2)] * 3


def test_bad_config_type() -> None:
    with pytest.raises(TypeError, match="config must be a RetryConfig"):
        execute_with_retry(len, ("x",), None, {"num_retries": 1})  # type: ignore[arg-type]


def test_last_exception_has_clean_context(flaky: type) -> None:
    """The re-raised error is not chained to the earlier attempts' errors."""
    fn = flaky(OSError("first"), OSError("second"))
    with pytest.raises(OSError, match="second") as info:
        execute_with_retry(fn, config=RetryConfig(num_retries=1, retry_wait=0))
    assert info.value.__context__ is None


async def test_async_twin(flaky: type) -> None:
    calls: list[int] = []

    async def fn(x: int) -> int:
        calls.append(x)
        if len(calls) < 2:
            raise OSError
        return x

    config = RetryConfig(num_retries=2, retry_wait=0)
    assert await async_execute_with_retry(fn, (3,), None, config, method_name="m") == 3
    assert calls == [3, 3]
    # a sync callable and a partial returning a coroutine both work
    assert await async_execute_with_retry(flaky(OSError()), config=config) == "ok"
    assert await async_execute_with_retry(functools.partial(fn, 9), config=config) == 9
    assert await async_execute_with_retry(fn, (4,)) == 4


async def test_async_exhaustion_and_validation(flaky: type) -> None:
    errors = [OSError(i) for i in range(3)]

    fn = flaky(*errors)
    with pytest.raises(OSError) as info:
        await async_execute_with_retry(fn, config=RetryConfig(num_retries=2, retry_wait=0))
    assert info.value is errors[-1]

    async def one() -> int:
        return 1

    config = RetryConfig(num_retries=1, retry_wait=0, retry_until=lambda r: r == 2)
    with pytest.raises(RetryValidationError) as vinfo:
        await async_execute_with_retry(one, config=config, method_name="one")
    assert vinfo.value.all_results == [1, 1] and vinfo.value.method_name == "one"


async def test_async_custom_sleep_may_be_a_coroutine(flaky: type) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(0)

    config = RetryConfig(num_retries=2, retry_wait=2.0, retry_jitter=0, sleep=record)
    assert await async_execute_with_retry(flaky(OSError(), OSError()), config=config) == "ok"
    assert waits == [2.0, 4.0]
