"""A user of the original concurry migrates their limits code unchanged.

Window aliases and ``window_seconds=``, usage reported above the estimate
(counted on every backend), ``update()`` on resources and unknown keys, the
stateless helpers of ``Limit``, ``LimitPool`` statistics, and the original's
key phrases in error messages.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "limits"))
from redis_helpers import BACKENDS, each_backend

from concurry import (
    CallLimit,
    Limit,
    LimitPool,
    LimitSet,
    RateLimit,
    RateLimitAlgorithm,
    RateWindow,
    ResourceLimit,
)
from concurry_limits import LimitUsageWarning

SECONDS = {"sec": 1, "min": 60, "hr": 3600, "day": 86400, "wk": 604800}
ALIASES = [
    *[("per_sec", 1), ("per_secs", 1), ("per_second", 1), ("per_seconds", 1)],
    *[("per_min", 60), ("per_mins", 60), ("per_minute", 60), ("per_minutes", 60)],
    *[("hr", 3600), ("hrs", 3600), ("per_hr", 3600), ("per_hrs", 3600)],
    *[("per_hour", 3600), ("per_hours", 3600), ("per_day", 86400), ("per_days", 86400)],
    *[("wk", 604800), ("wks", 604800), ("per_wk", 604800), ("per_wks", 604800)],
    *[("per_week", 604800), ("per_weeks", 604800)],
]
ALGORITHMS = [a.name for a in RateLimitAlgorithm]
HOUR = 3600  # long windows: nothing refills or rolls over while a test runs


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[object]:
    """Every limit backend of concurry-limits (Ray: tests/ray/test_ray_limits.py)."""
    yield from each_backend(request, "test-compat")


# -- windows ------------------------------------------------------------------------------


@pytest.mark.parametrize(("alias", "seconds"), ALIASES)
def test_window_aliases_of_the_original_in_any_case(alias: str, seconds: int) -> None:
    for text in (alias, alias.upper(), alias.title()):
        assert RateWindow(text).to_seconds() == seconds
        assert RateLimit("k", per=text, capacity=5).window == seconds
        assert CallLimit(window=text, capacity=5).window == seconds


def test_unknown_window_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown RateWindow 'per_fortnight'.*Weekly"):
        RateWindow("per_fortnight")


def test_window_seconds_is_accepted_without_any_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        limit = RateLimit(key="tokens", window_seconds=60, capacity=1000)
        calls = CallLimit(window_seconds=1, capacity=10)
    assert limit == RateLimit("tokens", 60, 1000)
    assert limit.window_seconds == 60 and calls.window_seconds == 1


# -- usage above the estimate ---------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_usage_above_the_request_is_counted_on_every_backend(
    backend: object, algorithm: str
) -> None:
    ls = LimitSet([RateLimit("tokens", HOUR, 100, algorithm)], backend=backend)  # type: ignore[arg-type]
    try:
        with ls.acquire({"tokens": 10}) as acq:
            acq.update({"tokens": 10})  # as estimated
        assert ls.get_stats()["tokens"]["available"] == pytest.approx(90, abs=0.5)
        with (
            pytest.warns(LimitUsageWarning, match=r"usage 150 of 'tokens' exceeds the 10 acquired"),
            ls.acquire({"tokens": 10}) as acq,
        ):
            acq.update(usage={"tokens": 150})  # the LLM used more than estimated
        assert acq.usage == {"tokens": 150}
        assert ls.get_stats()["tokens"]["available"] == 0  # 90 - 150: in debt
        assert not ls.try_acquire({"tokens": 1}).successful
        with pytest.raises(TimeoutError, match="Failed to acquire all limits within"):
            ls.acquire({"tokens": 1}, timeout=0.05)
    finally:
        ls.close()


def test_an_over_used_call_limit_counts_every_call(backend: object) -> None:
    ls = LimitSet([CallLimit(HOUR, 10)], backend=backend)  # type: ignore[arg-type]
    try:
        with pytest.warns(LimitUsageWarning), ls.acquire() as acq:
            acq.update({"call_count": 4})  # taken implicitly with 1; 4 calls were made
        assert ls.get_stats()["call_count"]["available"] == pytest.approx(6, abs=0.01)
    finally:
        ls.close()


def test_update_on_a_resource_is_accepted_and_ignored(backend: object) -> None:
    ls = LimitSet([ResourceLimit("conn", 1), RateLimit("t", HOUR, 10)], backend=backend)  # type: ignore[arg-type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with ls.acquire({"t": 2}) as acq:
                acq.update(usage={"conn": 5, "t": 2})
        assert acq.usage == {"t": 2}
        stats = ls.get_stats()
        assert stats["conn"]["held"] == 0 and stats["t"]["available"] == pytest.approx(8, abs=0.01)
    finally:
        ls.close()


def test_an_unknown_key_in_update_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    ls = LimitSet([RateLimit("tokens", HOUR, 100)])
    with caplog.at_level(logging.WARNING, logger="concurry_limits"):
        for _ in range(3):
            with ls.acquire({"tokens": 1}) as acq:
                acq.update({"tokens": 1, "tokenz": 1})
    warned = [r.getMessage() for r in caplog.records if "tokenz" in r.getMessage()]
    assert len(warned) == 1
    assert warned[0].startswith("Unknown limit key 'tokenz'")


# -- stateless helpers ------------------------------------------------------------------------


def test_limit_validate_usage_is_a_stateless_check() -> None:
    limit = RateLimit("tokens", 60, 100)
    assert limit.validate_usage(10, 4) == 0.0
    assert limit.validate_usage(10, 15) == 5.0  # the over-usage, valid
    with pytest.raises(ValueError, match="used amount for 'tokens' must be a number >= 0, got -1"):
        limit.validate_usage(10, -1)
    assert ResourceLimit("conn", 2).validate_usage(1, 99) == 0.0  # usage does not apply
    assert isinstance(limit, Limit)


def test_limit_get_stats_and_params_signature() -> None:
    limit = RateLimit("tokens", "per_minute", 100, "gcra")
    assert limit.get_stats() == {
        "key": "tokens",
        "type": "RateLimit",
        "capacity": 100.0,
        "algorithm": "GCRA",
        "window": 60.0,
        "window_seconds": 60.0,
    }
    assert ResourceLimit("conn", 3).get_stats() == {
        "key": "conn",
        "type": "ResourceLimit",
        "capacity": 3,
    }
    assert limit.params_signature() == "gcra:100/60"
    assert RateLimit("other", 60, 100, "gcra").params_signature() == limit.params_signature()
    assert RateLimit("tokens", 60, 101, "gcra").params_signature() != limit.params_signature()
    row = LimitSet([limit]).get_stats()["tokens"]
    assert limit.get_stats().items() <= row.items() and row["available"] == pytest.approx(
        100, abs=0.01
    )


def test_limit_pool_worker_index_and_stats() -> None:
    sets = [LimitSet([CallLimit(HOUR, 5)], config={"api_key": k}) for k in "abc"]
    pool = LimitPool(sets, load_balancing="round_robin", worker_index=1)
    assert pool.worker_index == 1
    with pool.acquire() as acq:
        assert acq.config == {"api_key": "b"}  # round robin starts at worker_index
    stats = pool.get_stats()
    assert stats["num_limit_sets"] == 3
    assert stats["load_balancing"] == "round_robin"
    assert stats["worker_index"] == 1
    per_set = stats["limit_sets"]
    assert [list(row) for row in per_set] == [list(s.get_stats()) for s in sets]
    assert [row["call_count"]["available"] for row in per_set] == pytest.approx([5, 4, 5], abs=0.01)


# -- the original's messages -------------------------------------------------------------------


def test_error_messages_keep_the_original_phrases() -> None:
    ls = LimitSet([RateLimit("tokens", HOUR, 100), ResourceLimit("conn", 1)])
    with pytest.raises(ValueError, match="exceeds capacity 100 and can never be fulfilled"):
        ls.acquire({"tokens": 101})
    with pytest.raises(ValueError, match="Duplicate limit key 'tokens'"):
        LimitSet([RateLimit("tokens", 1, 1), ResourceLimit("tokens", 1)])
    with (
        pytest.raises(RuntimeError, match="Not all limits in the LimitSet were updated"),
        ls.acquire({"tokens": 1}),
    ):
        pass  # a rate limit taken and never updated
    acq = ls.acquire({"tokens": 1})
    acq.update({"tokens": 1})
    acq.release()
    with pytest.raises(RuntimeError, match="Cannot update an already released acquisition"):
        acq.update({"tokens": 1})
    with ls.acquire(), pytest.raises(TimeoutError, match="Failed to acquire all limits within"):
        ls.acquire(timeout=0.05)  # the one connection is held
    with pytest.raises(AttributeError, match="RateLimit is immutable"):
        ls["tokens"].capacity = 5  # type: ignore[misc]
