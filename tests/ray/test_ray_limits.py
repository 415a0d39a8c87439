"""Limits shared across ray-mode actors: one Ray actor holds a set's state."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "limits"))
sys.path.insert(0, str(Path(__file__).parent.parent / "workers"))
from limits_mp_helpers import peak_overlap  # a release and a grant at one time: no overlap
from pool_limits_helpers import Limited

from concurry_limits import CallLimit, LimitSet, RateLimit, ResourceLimit

T = 60


@pytest.mark.parametrize("form", ["set", "list"])
def test_a_resource_limit_is_shared_by_a_pool_of_actors(ray_session, form: str) -> None:
    limits = [ResourceLimit(key="slots", capacity=2)]
    given = LimitSet(limits) if form == "set" else limits
    pool = Limited.options(mode="ray", max_workers=4, limits=given).init()
    try:
        assert {f.result(timeout=T) for f in [pool.backend() for _ in range(4)]} == {"ray"}
        intervals = [f.result(timeout=T) for f in [pool.hold_slot(0.2) for _ in range(12)]]
    finally:
        pool.stop()
    assert peak_overlap(intervals) == 2, sorted(intervals)


def test_a_rate_limit_holds_across_a_pool_of_four_actors(ray_session) -> None:
    rate, calls, burst = 20, 70, 20
    limits = LimitSet([RateLimit(key="rps", window=1, capacity=rate)])
    pool = Limited.options(mode="ray", max_workers=4, limits=limits).init()
    try:
        granted = sorted(f.result(timeout=T) for f in [pool.take("rps") for _ in range(calls)])
    finally:
        pool.stop()
    steady = granted[burst + 5 :]
    measured = (len(steady) - 1) / (steady[-1] - steady[0])
    assert abs(measured - rate) / rate < 0.10, measured


def test_a_call_limit_is_one_budget_for_the_pool(ray_session) -> None:
    pool = Limited.options(
        mode="ray", max_workers=3, limits=[CallLimit(window=60, capacity=5)]
    ).init()
    try:
        granted = [f.result(timeout=T) for f in [pool.try_call() for _ in range(12)]]
    finally:
        pool.stop()
    assert granted.count(True) == 5


def test_an_explicit_ray_limit_set_in_the_driver(ray_session) -> None:
    limits = LimitSet([ResourceLimit(key="slots", capacity=1)], shared=True, mode="ray")
    assert limits.backend.name == "ray"
    with limits.acquire(timeout=T):
        assert not limits.try_acquire().successful
    with limits.acquire(timeout=T):
        pass


def test_usage_above_the_request_is_counted_by_the_ray_backend(ray_session) -> None:
    from concurry_limits import LimitUsageWarning

    limits = LimitSet([RateLimit(key="tokens", window=3600, capacity=100)], backend="ray")
    with (
        pytest.warns(LimitUsageWarning, match="exceeds the 10 acquired"),
        limits.acquire({"tokens": 10}, timeout=T) as acq,
    ):
        acq.update({"tokens": 150})  # counted by the state actor, not refused
    assert limits.get_stats()["tokens"]["available"] == 0
    assert not limits.try_acquire({"tokens": 1}).successful
