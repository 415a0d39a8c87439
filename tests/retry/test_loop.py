from __future__ import annotations

import pytest

from concurry_retry import Attempt, RetryConfig, RetryValidationError, retrying


def test_block_is_retried_until_it_succeeds() -> None:
    numbers: list[int] = []
    for attempt in retrying(num_retries=3, retry_wait=0):
        with attempt:
            numbers.append(attempt.number)
            if attempt.number < 3:
                raise ConnectionError
            value = "done"
    assert numbers == [1, 2, 3]
    assert value == "done"


def test_success_first_time_runs_once() -> None:
    runs = 0
    for attempt in retrying(num_retries=5, retry_wait=0):
        with attempt:
            runs += 1
    assert runs == 1


def test_non_matching_exception_propagates_at_once() -> None:
    runs = 0
    with pytest.raises(KeyError):
        for attempt in retrying(num_retries=5, retry_wait=0, retry_on=OSError):
            with attempt:
                runs += 1
                raise KeyError("k")
    assert runs == 1


def test_exhausted_raises_the_last_original_exception() -> None:
    errors: list[OSError] = []
    with pytest.raises(OSError) as info:
        for attempt in retrying(num_retries=2, retry_wait=0):
            with attempt:
                errors.append(OSError(attempt.number))
                raise errors[-1]
    assert info.value is errors[-1] and len(errors) == 3


def test_validation_with_set_result() -> None:
    for attempt in retrying(num_retries=4, retry_wait=0, retry_until=lambda r, **ctx: r >= 3):
        with attempt:
            value = attempt.set_result(attempt.number)
    assert value == 3 and attempt.result == 3


def test_validation_exhausted() -> None:
    with pytest.raises(RetryValidationError) as info:
        for attempt in retrying(
            RetryConfig(num_retries=1, retry_wait=0, retry_until=bool), method_name="parse"
        ):
            with attempt:
                attempt.set_result("")
    assert info.value.attempts == 2 and info.value.method_name == "parse"


def test_forgetting_set_result_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="set_result"):
        for attempt in retrying(num_retries=1, retry_until=bool):
            with attempt:
                pass


def test_forgetting_with_is_a_clear_error() -> None:
    with pytest.raises(RuntimeError, match="with attempt"):
        for attempt in retrying(num_retries=1):
            assert isinstance(attempt, Attempt)


def test_break_leaves_the_loop() -> None:
    for attempt in retrying(num_retries=3, retry_wait=0):
        with attempt:
            break
    assert attempt.number == 1


def test_waits_use_the_config_sleep() -> None:
    waits: list[float] = []
    for attempt in retrying(num_retries=3, retry_wait=1, retry_jitter=0, sleep=waits.append):
        with attempt:
            if attempt.number < 4:
                raise OSError
    assert waits == [1.0, 2.0, 4.0]


def test_each_iteration_starts_fresh() -> None:
    loop = retrying(num_retries=1, retry_wait=0)
    for _ in range(2):
        runs = []
        for attempt in loop:
            with attempt:
                runs.append(attempt.number)
                if attempt.number == 1:
                    raise OSError
        assert runs == [1, 2]


async def test_async_for() -> None:
    numbers: list[int] = []
    async for attempt in retrying(num_retries=3, retry_wait=0.001, retry_on=TimeoutError):
        with attempt:
            numbers.append(attempt.number)
            if attempt.number < 2:
                raise TimeoutError
    assert numbers == [1, 2]


async def test_async_for_with_async_with_and_validation() -> None:
    async for attempt in retrying(num_retries=3, retry_wait=0, retry_until=lambda r: r == "ok"):
        async with attempt:
            attempt.set_result("ok" if attempt.number == 2 else "no")
    assert attempt.number == 2


async def test_async_for_exhausted() -> None:
    with pytest.raises(ValueError, match="2"):
        async for attempt in retrying(num_retries=1, retry_wait=0):
            with attempt:
                raise ValueError(attempt.number)
