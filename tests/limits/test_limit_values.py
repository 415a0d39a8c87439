"""Limit value objects and the string-friendly enums."""

from __future__ import annotations

import math
import pickle
import warnings

import pytest

from concurry_limits import (
    CallLimit,
    Limit,
    LimitValidationError,
    RateLimit,
    RateLimitAlgorithm,
    RateWindow,
    ResourceLimit,
    limit_defaults,
)


@pytest.mark.parametrize(
    ("text", "member"),
    [
        ("token_bucket", RateLimitAlgorithm.TokenBucket),
        ("Token-Bucket", RateLimitAlgorithm.TokenBucket),
        ("token", RateLimitAlgorithm.TokenBucket),
        ("TOKENBUCKET", RateLimitAlgorithm.TokenBucket),
        ("leaky", RateLimitAlgorithm.LeakyBucket),
        ("sliding window", RateLimitAlgorithm.SlidingWindow),
        ("fixed", RateLimitAlgorithm.FixedWindow),
        ("GCRA", RateLimitAlgorithm.GCRA),
        (RateLimitAlgorithm.GCRA, RateLimitAlgorithm.GCRA),
    ],
)
def test_algorithm_aliases(text: object, member: RateLimitAlgorithm) -> None:
    assert RateLimitAlgorithm(text) is member


def test_unknown_enum_value_lists_choices() -> None:
    with pytest.raises(ValueError, match=r"TokenBucket.*GCRA"):
        RateLimitAlgorithm("bogus")
    with pytest.raises(ValueError, match="Minutely"):
        RateWindow("fortnight")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("second", 1),
        ("per_second", 1),
        ("sec", 1),
        ("minute", 60),
        ("Min", 60),
        ("hourly", 3600),
        ("day", 86400),
        ("week", 604800),
        (RateWindow.Minutely, 60),
    ],
)
def test_rate_window(text: object, seconds: float) -> None:
    assert RateWindow(text).to_seconds() == seconds


def test_rate_limit_fields_and_aliases() -> None:
    a = RateLimit("tokens", 60, 1000)
    b = RateLimit("tokens", capacity=1000, per="minute")
    c = RateLimit("tokens", RateWindow.Minutely, 1000, "token")
    assert a == b == c and hash(a) == hash(b)
    assert a.window == 60.0 and a.capacity == 1000 and a.rate == pytest.approx(1000 / 60)
    assert a.algorithm is RateLimitAlgorithm.TokenBucket
    assert isinstance(a, Limit)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the reference's spelling: no warning at all
        d = RateLimit(key="tokens", window_seconds=60, capacity=1000)
    assert d == a and d.window_seconds == 60.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"key": "k", "capacity": 1}, "window is required"),
        ({"key": "k", "window": 1, "per": 2, "capacity": 1}, "got window and per"),
        ({"key": "k", "window": 0, "capacity": 1}, "window must be .* > 0, got 0"),
        ({"key": "k", "window": -1, "capacity": 1}, "got -1"),
        ({"key": "k", "window": math.inf, "capacity": 1}, "finite"),
        ({"key": "k", "window": "fortnight", "capacity": 1}, "unknown RateWindow"),
        ({"key": "k", "window": 1}, "capacity is required"),
        ({"key": "k", "window": 1, "capacity": 0}, "capacity must be a number > 0, got 0"),
        ({"key": "k", "window": 1, "capacity": -5}, "got -5"),
        ({"key": "k", "window": 1, "capacity": True}, "got True"),
        ({"key": "k", "window": 1, "capacity": math.nan}, "got nan"),
        ({"key": "", "window": 1, "capacity": 1}, "key must be a non-empty string"),
        (
            {"key": "k", "window": 1, "capacity": 1, "algorithm": "nope"},
            "unknown RateLimitAlgorithm",
        ),
    ],
)
def test_rate_limit_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RateLimit(**kwargs)


def test_two_window_aliases_with_deprecated_one_is_an_error() -> None:
    with pytest.raises(ValueError, match="window and window_seconds"):
        RateLimit("k", 1, 5, window_seconds=1)


def test_infinite_capacity_is_unbounded() -> None:
    assert RateLimit("k", 1, math.inf).unbounded
    assert not RateLimit("k", 1, 5).unbounded


def test_call_limit() -> None:
    c = CallLimit(window=1, capacity=10)
    assert c.key == "call_count" and isinstance(c, RateLimit)
    assert CallLimit(per="second", capacity=10) == c
    with pytest.raises(ValueError, match="call_count"):
        CallLimit(1, 10, key="other")


def test_resource_limit() -> None:
    r = ResourceLimit("conn", 3)
    assert r.key == "conn" and r.capacity == 3
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="capacity must be an integer >= 1"):
            ResourceLimit("conn", bad)  # type: ignore[arg-type]


def test_limits_are_immutable() -> None:
    r = RateLimit("k", 1, 5)
    with pytest.raises(AttributeError, match="immutable"):
        r.capacity = 6  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ResourceLimit("k", 1).key = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "limit",
    [RateLimit("k", 2, 5, "gcra"), CallLimit(1, 3, "sliding"), ResourceLimit("r", 4)],
)
def test_limits_pickle_and_repr_use_public_path(limit: Limit) -> None:
    again = pickle.loads(pickle.dumps(limit))
    assert again == limit and type(again) is type(limit)
    assert type(limit).__module__ == "concurry_limits"
    assert repr(limit).startswith(type(limit).__name__ + "(")


def test_default_algorithm_comes_from_config() -> None:
    before = limit_defaults.algorithm
    try:
        limit_defaults.algorithm = "gcra"
        assert RateLimit("k", 1, 5).algorithm is RateLimitAlgorithm.GCRA
        with pytest.raises(ValueError):
            limit_defaults.algorithm = "nope"  # type: ignore[assignment]
    finally:
        limit_defaults.algorithm = before
    assert RateLimit("k", 1, 5).algorithm is before


def test_validation_error_is_value_error() -> None:
    assert issubclass(LimitValidationError, ValueError)
