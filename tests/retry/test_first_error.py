"""``execute_with_retry(..., first_error=, started=)``: the caller made attempt 1 itself.

The retries continue with attempt 2, the first error is judged like any other
and elapsed times count from ``started``.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

import pytest

from concurry_retry import (
    RetryConfig,
    RetryValidationError,
    async_execute_with_retry,
    execute_with_retry,
)


def _recorder(seen: list[tuple[int, float]]) -> Any:
    def record(exception: BaseException, attempt: int, elapsed_time: float, **ctx: Any) -> bool:
        seen.append((attempt, elapsed_time))
        return True

    return record


def test_continues_with_attempt_two_and_elapsed_from_started(flaky: type) -> None:
    seen: list[tuple[int, float]] = []
    fn = flaky(OSError("second"))
    config = RetryConfig(num_retries=3, retry_wait=0, retry_on=_recorder(seen))
    started = monotonic() - 100.0  # as if attempt 1 had worked for 100 s
    assert execute_with_retry(fn, config=config, first_error=OSError("first"), started=started)
    assert fn.calls == 2  # attempts 2 and 3 only
    assert [attempt for attempt, _ in seen] == [1, 2]
    assert all(elapsed >= 100.0 for _, elapsed in seen)


def test_first_error_not_retryable_is_raised_as_is(flaky: type) -> None:
    err = KeyError("k")
    fn = flaky()
    config = RetryConfig(num_retries=3, retry_wait=0, retry_on=[OSError])
    with pytest.raises(KeyError) as info:
        execute_with_retry(fn, config=config, first_error=err, started=monotonic())
    assert info.value is err
    assert fn.calls == 0
    assert not getattr(err, "__notes__", None)


def test_exhausted_counts_the_callers_attempt(flaky: type) -> None:
    fn = flaky(OSError("second"), OSError("third"))
    config = RetryConfig(num_retries=2, retry_wait=0)
    with pytest.raises(OSError, match="third") as info:
        execute_with_retry(
            fn, config=config, method_name="m", first_error=OSError("first"), started=monotonic()
        )
    assert info.value.__context__ is None
    assert any("gave up on m after 3 attempts" in note for note in info.value.__notes__)


def test_validators_apply_to_later_attempts() -> None:
    results = iter([1, 2])
    config = RetryConfig(num_retries=2, retry_wait=0, retry_until=lambda result, **ctx: result > 5)
    with pytest.raises(RetryValidationError) as info:
        execute_with_retry(
            lambda: next(results), config=config, first_error=OSError(), started=monotonic()
        )
    assert info.value.attempts == 3
    assert info.value.all_results == [1, 2]


def test_first_error_needs_started() -> None:
    with pytest.raises(TypeError, match="first_error needs started="):
        execute_with_retry(len, ("x",), config=RetryConfig(num_retries=1), first_error=OSError())


async def test_async_twin(flaky: type) -> None:
    seen: list[tuple[int, float]] = []
    calls: list[int] = []

    async def fn() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise OSError("again")
        return "ok"

    config = RetryConfig(num_retries=3, retry_wait=0, retry_on=_recorder(seen))
    started = monotonic() - 100.0
    result = await async_execute_with_retry(
        fn, config=config, first_error=OSError("first"), started=started
    )
    assert result == "ok"
    assert len(calls) == 2
    assert [attempt for attempt, _ in seen] == [1, 2]
    assert all(elapsed >= 100.0 for _, elapsed in seen)
    err = KeyError("k")
    with pytest.raises(KeyError) as info:
        await async_execute_with_retry(
            flaky(),
            config=RetryConfig(num_retries=3, retry_on=[OSError]),
            first_error=err,
            started=monotonic(),
        )
    assert info.value is err
    with pytest.raises(TypeError, match="first_error needs started="):
        await async_execute_with_retry(fn, config=config, first_error=OSError())
