"""LimitSet and LimitSetAcquisition semantics on the default in-process backend."""

from __future__ import annotations

import logging
import pickle
import threading
import time

import pytest

from concurry_limits import (
    CallLimit,
    LimitSet,
    LimitSetAcquisition,
    LimitTimeoutError,
    LimitUsageError,
    LimitUsageWarning,
    RateLimit,
    ResourceLimit,
)


def make() -> LimitSet:
    return LimitSet(
        [CallLimit(1, 100), RateLimit("tokens", 1, 1000), ResourceLimit("conn", 2)],
        config={"api_key": "k1"},
    )


def test_container_protocol() -> None:
    ls = make()
    assert len(ls) == 3 and "tokens" in ls and "nope" not in ls
    assert ls["conn"] == ResourceLimit("conn", 2)
    assert [lim.key for lim in ls] == ["call_count", "tokens", "conn"] == ls.keys()
    with pytest.raises(KeyError, match="nope"):
        ls["nope"]


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match="Duplicate limit key 'a'"):
        LimitSet([RateLimit("a", 1, 1), ResourceLimit("a", 1)])
    with pytest.raises(ValueError, match="must be Limit objects, got 3"):
        LimitSet([3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="config must be a dict"):
        LimitSet([], config=[1])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown mode 'warp'"):
        LimitSet([], mode="warp")
    with pytest.raises(ValueError, match="unknown backend 'nope'"):
        LimitSet([], backend="nope")


def test_default_acquire_takes_calls_and_resources_not_rates() -> None:
    ls = make()
    with ls.acquire() as acq:
        assert acq.requested == {"call_count": 1, "conn": 1}
        stats = ls.get_stats()
        assert stats["conn"]["held"] == 1
        assert stats["tokens"]["available"] == pytest.approx(1000, abs=1)
    assert ls.get_stats()["conn"]["held"] == 0


def test_rate_limit_must_be_updated_and_is_released_anyway() -> None:
    ls = make()
    with pytest.raises(RuntimeError, match="'tokens'"), ls.acquire({"tokens": 10}):
        pass
    assert ls.get_stats()["conn"]["held"] == 0
    assert issubclass(LimitUsageError, RuntimeError)


def test_exception_in_block_wins_and_nothing_leaks() -> None:
    ls = make()
    for _ in range(5):  # more than the 2 connections: a leak would block
        with pytest.raises(KeyError, match="boom"), ls.acquire({"tokens": 10}, timeout=1):
            raise KeyError("boom")
    assert ls.get_stats()["conn"]["held"] == 0


def test_update_refunds_token_bucket() -> None:
    ls = LimitSet([RateLimit("tokens", 1000, 100)])  # refill is negligible in the test
    with ls.acquire({"tokens": 80}) as acq:
        acq.update(usage={"tokens": 30})
    assert ls.get_stats()["tokens"]["available"] == pytest.approx(70, abs=0.5)
    assert acq.usage == {"tokens": 30} and acq.released


def test_update_refunds_gcra_but_not_fixed_window() -> None:
    ls = LimitSet([RateLimit("g", 1000, 100, "gcra"), RateLimit("f", 1000, 100, "fixed")])
    with ls.acquire({"g": 80, "f": 80}) as acq:
        acq.update({"g": 30, "f": 30})
    stats = ls.get_stats()
    assert stats["g"]["available"] == pytest.approx(70, abs=0.5)
    assert stats["f"]["available"] == 20


def test_update_validation() -> None:
    ls = make()
    acq = ls.acquire({"tokens": 10})
    with pytest.warns(LimitUsageWarning, match=r"usage 11 of 'tokens' exceeds the 10 acquired"):
        acq.update({"tokens": 11})  # counted, not refused
    with pytest.raises(ValueError, match="must be a number >= 0, got -1"):
        acq.update({"tokens": -1})
    acq.update({"conn": 1})  # a resource's usage is ignored
    with pytest.raises(ValueError, match=r"'call_count' must be >= 1 \(the call was made\)"):
        acq.update({"call_count": 0})
    acq.update({"tokens": 10, "call_count": 1, "unknown": 5})
    assert acq.usage == {"tokens": 10, "call_count": 1}
    acq.release()
    acq.release()  # idempotent
    with pytest.raises(RuntimeError, match="Cannot update an already released acquisition"):
        acq.update({"tokens": 1})


def test_rate_limit_not_requested_cannot_be_updated() -> None:
    ls = make()
    with ls.acquire() as acq, pytest.raises(ValueError, match="'tokens', which was not acquired"):
        acq.update({"tokens": 1})


def test_explicit_call_limit_needs_update() -> None:
    ls = LimitSet([CallLimit(1, 100)])
    with ls.acquire() as acq:  # implicit: no update needed
        pass
    with pytest.raises(RuntimeError, match="call_count"), ls.acquire({"call_count": 3}):
        pass
    with ls.acquire({"call_count": 3}) as acq:
        acq.update({"call_count": 2})


def test_amount_checks_are_immediate() -> None:
    ls = LimitSet([RateLimit("t", 1, 10), RateLimit("f", 1, 10, "fixed"), ResourceLimit("r", 2)])
    start = time.monotonic()
    with pytest.raises(
        ValueError, match="requested 11 of 't' exceeds capacity 10 and can never be fulfilled"
    ):
        ls.acquire({"t": 11})
    with pytest.raises(
        ValueError, match=r"integer with FixedWindow.*TokenBucket, LeakyBucket or GCRA"
    ):
        ls.acquire({"f": 1.5})
    with pytest.raises(ValueError, match="resource 'r' must be an integer"):
        ls.acquire({"r": 0.5})
    with pytest.raises(ValueError, match=">= 0, got -2"):
        ls.acquire({"t": -2})
    with pytest.raises(ValueError, match="requested must be a dict"):
        ls.acquire(["t"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout must be None or a number >= 0"):
        ls.acquire(timeout=-1)
    assert time.monotonic() - start < 1.0
    with ls.acquire({"t": 2.5}) as acq:  # fractional is fine for a token bucket
        acq.update({"t": 2.5})


def test_unknown_key_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    ls = LimitSet([RateLimit("t", 1, 10)])
    with caplog.at_level(logging.WARNING, logger="concurry_limits"):
        for _ in range(3):
            with ls.acquire({"t": 1, "typo": 1}) as acq:
                acq.update({"t": 1})
    assert [r.getMessage() for r in caplog.records if "typo" in r.getMessage()].__len__() == 1


def test_try_acquire() -> None:
    ls = LimitSet([ResourceLimit("r", 1)])
    a = ls.try_acquire()
    assert a.successful
    b = ls.try_acquire()
    assert not b.successful and b.released
    with b:  # a failed attempt is a harmless context manager
        pass
    with pytest.raises(RuntimeError, match="failed"):
        b.update({"r": 1})
    a.release()
    assert ls.try_acquire().successful


def test_timeout() -> None:
    ls = LimitSet([ResourceLimit("r", 1)])
    held = ls.acquire()
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="r=1"):
        ls.acquire(timeout=0.2)
    elapsed = time.monotonic() - start
    assert 0.15 < elapsed < 3.0
    with pytest.raises(LimitTimeoutError):
        ls.acquire(timeout=0)
    held.release()
    ls.acquire(timeout=0).release()


def test_rate_wait_sleeps_until_refill_without_spinning() -> None:
    ls = LimitSet([RateLimit("t", 0.5, 1)])  # one unit every 0.5 s
    with ls.acquire({"t": 1}) as a:
        a.update({"t": 1})
    cpu, start = time.process_time(), time.monotonic()
    with ls.acquire({"t": 1}, timeout=5) as a:
        a.update({"t": 1})
    elapsed = time.monotonic() - start
    assert 0.4 < elapsed < 3.0
    assert time.process_time() - cpu < 0.2


def test_release_wakes_a_blocked_waiter() -> None:
    ls = LimitSet([ResourceLimit("r", 1)])
    held = ls.acquire()
    got = threading.Event()

    def waiter() -> None:
        with ls.acquire(timeout=10):
            got.set()

    t = threading.Thread(target=waiter)
    t.start()
    assert not got.wait(0.1)
    start = time.monotonic()
    held.release()
    assert got.wait(5)
    assert time.monotonic() - start < 1.0
    t.join(5)


def test_all_or_nothing() -> None:
    ls = LimitSet([ResourceLimit("a", 1), ResourceLimit("b", 1)])
    hold_b = ls.acquire({"a": 0, "b": 1})
    assert not ls.try_acquire().successful
    assert ls.get_stats()["a"]["held"] == 0  # the partial take of "a" was undone
    hold_b.release()
    ls.acquire().release()


def test_empty_set_is_a_shared_constant() -> None:
    ls = LimitSet([])
    a, b = ls.acquire(), ls.acquire({"anything": 5}, timeout=0)
    assert a is b and a.successful
    with a as acq:
        acq.update({"anything": 3})
    assert ls.get_stats() == {}
    assert ls.try_acquire() is a


def test_acquisition_config_is_a_copy() -> None:
    ls = make()
    with ls.acquire() as acq:
        acq.config["api_key"] = "changed"
        assert acq.limit_set is ls
    assert ls.config == {"api_key": "k1"}
    assert isinstance(acq, LimitSetAcquisition)
    assert acq.acquisitions["conn"].requested == 1


def test_unbounded_limit_never_binds() -> None:
    ls = LimitSet([RateLimit("t", 1, float("inf"))])
    for _ in range(1000):
        with ls.acquire({"t": 10**9}, timeout=0) as acq:
            acq.update({"t": 5})
    assert ls.get_stats()["t"]["unbounded"]


def test_pickled_in_process_set_is_an_independent_copy() -> None:
    ls = make()
    held = ls.acquire()
    again = pickle.loads(pickle.dumps(ls))
    assert again.limits == ls.limits and again.config == ls.config
    assert again.get_stats()["conn"]["held"] == 0
    held.release()


@pytest.mark.parametrize("algo", ["token", "leaky", "sliding", "fixed", "gcra"])
def test_every_algorithm_limits_a_burst(algo: str) -> None:
    ls = LimitSet([RateLimit("t", 60, 5, algo)])
    granted = 0
    for _ in range(10):
        acq = ls.try_acquire({"t": 1})
        if acq.successful:
            granted += 1
            acq.update({"t": 1})
            acq.release()
    assert granted == 5


def test_mode_and_balancing_accept_foreign_enums() -> None:
    import enum

    from concurry_limits import LimitPool

    class Mode(enum.Enum):
        Threads = "threads"
        Processes = "processes"

    class Balancing(enum.Enum):
        RoundRobin = "round_robin"

    assert LimitSet([], mode=Mode.Threads).mode == "thread"
    assert LimitSet([], mode=Mode.Processes).mode == "process"
    pool = LimitPool([LimitSet([])], load_balancing=Balancing.RoundRobin)
    assert pool.load_balancing == "round_robin"
