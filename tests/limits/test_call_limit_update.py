"""A CallLimit named with 1 needs no update(); named with more, it does (issue 8).

Every way of acquiring (acquire, try_acquire, async_acquire used as awaitable
and as async context manager) on the in-process, multiprocess and Redis
backends (the Redis one releases off the event loop).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from redis_helpers import BACKENDS, each_backend

from concurry_limits import (
    CallLimit,
    LimitSet,
    LimitUsageError,
    LimitUsageWarning,
    RateLimit,
    RateLimitAlgorithm,
    ResourceLimit,
)

ALGORITHMS = [a.name for a in RateLimitAlgorithm]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[object]:
    yield from each_backend(request, "test-call-limit")


def make(backend: object, algorithm: str = "TokenBucket") -> LimitSet:
    limits = [CallLimit(60, 10, algorithm), RateLimit("tokens", 60, 100), ResourceLimit("conn", 1)]
    return LimitSet(limits, backend=backend)  # type: ignore[arg-type]


def calls_left(ls: LimitSet) -> float:
    return ls.get_stats()["call_count"]["available"]


def assert_all_released(ls: LimitSet) -> None:
    assert ls.get_stats()["conn"]["held"] == 0
    assert ls.try_acquire().successful  # the resource is back


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_acquire_call_count_1_needs_no_update(backend: object, algorithm: str) -> None:
    ls = make(backend, algorithm)
    with ls.acquire(requested={"call_count": 1}) as acq:
        assert acq.requested == {"call_count": 1, "conn": 1}
    assert acq.released
    assert calls_left(ls) == pytest.approx(9, abs=0.01)
    acq = ls.acquire({"call_count": 1})
    acq.release()
    assert_all_released(ls)
    ls.close()


def test_call_count_1_may_still_report_a_usage(backend: object) -> None:
    ls = make(backend, "TokenBucket")
    with ls.acquire({"call_count": 1}) as acq:
        acq.update({"call_count": 0})  # the call did not happen: refunded
    assert calls_left(ls) == pytest.approx(10, abs=0.01)
    with (
        pytest.warns(LimitUsageWarning, match=r"usage 2 of 'call_count' exceeds the 1 acquired"),
        ls.acquire({"call_count": 1}) as acq,
    ):
        acq.update({"call_count": 2})  # two calls were made: both count
    assert calls_left(ls) == pytest.approx(8, abs=0.01)
    ls.close()


def test_acquire_call_count_3_without_update_raises_after_releasing(backend: object) -> None:
    ls = make(backend)
    acq = ls.acquire({"call_count": 3})
    missing = r"update\(\) was not called .*'call_count'"
    with pytest.raises(RuntimeError, match=missing) as info, acq:
        assert ls.get_stats()["conn"]["held"] == 1
    assert isinstance(info.value, LimitUsageError)
    assert acq.released
    assert_all_released(ls)
    ls.close()


def test_try_acquire_call_count(backend: object) -> None:
    ls = make(backend)
    with ls.try_acquire({"call_count": 1}) as acq:
        assert acq.successful
    acq = ls.try_acquire({"call_count": 3})
    assert acq.successful
    with pytest.raises(RuntimeError, match="'call_count'"):
        acq.release()
    assert acq.released
    assert_all_released(ls)
    ls.close()


async def test_async_acquire_call_count(backend: object) -> None:
    ls = make(backend)
    async with ls.async_acquire({"call_count": 1}) as acq:
        assert acq.requested == {"call_count": 1, "conn": 1}
    acq = await ls.async_acquire({"call_count": 1})
    async with acq:
        pass
    with pytest.raises(RuntimeError, match="'call_count'"):
        async with ls.async_acquire({"call_count": 3}):
            pass
    acq = await ls.async_acquire({"call_count": 3})
    with pytest.raises(RuntimeError, match="'call_count'"):
        async with acq:
            pass
    assert acq.released
    assert_all_released(ls)
    ls.close()


def test_a_named_rate_limit_must_still_be_updated(backend: object) -> None:
    ls = make(backend)
    with pytest.raises(RuntimeError) as info, ls.acquire({"call_count": 1, "tokens": 5}):
        pass
    assert "'tokens'" in str(info.value) and "'call_count'" not in str(info.value)
    with pytest.raises(RuntimeError, match="'tokens'"):
        ls.try_acquire({"call_count": 1, "tokens": 5}).release()
    with ls.acquire({"call_count": 1, "tokens": 5}) as acq:
        acq.update({"tokens": 5})
    assert_all_released(ls)
    ls.close()


async def test_a_named_rate_limit_must_still_be_updated_async(backend: object) -> None:
    ls = make(backend)
    with pytest.raises(RuntimeError) as info:
        async with ls.async_acquire({"call_count": 1, "tokens": 5}):
            pass
    assert "'tokens'" in str(info.value) and "'call_count'" not in str(info.value)
    assert_all_released(ls)
    ls.close()
