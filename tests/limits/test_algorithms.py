"""The pure algorithm functions, driven by a synthetic clock (exact, deterministic)."""

from __future__ import annotations

import math
import random
from types import ModuleType

import pytest

from concurry_limits._algorithms import (
    _fixed_window,
    _gcra,
    _leaky_bucket,
    _resource,
    _sliding_window,
    _token_bucket,
)

BUCKETS = [_token_bucket, _gcra, _leaky_bucket]
WINDOWS = [_fixed_window, _sliding_window]
ALL = BUCKETS + WINDOWS


def greedy(
    algo: ModuleType, cap: float, window: float, horizon: float, n: float = 1.0, **kw: int
) -> list[float]:
    """Take ``n`` as soon as possible, jumping the clock to each returned retry time."""
    s = algo.init(cap, window, **kw)
    now, grants = 100.0, []
    while now < 100.0 + horizon:
        r = algo.take(s, n, now)
        if r == 0.0:
            grants.append(now)
        else:
            assert r > now
            now = r
    return grants


@pytest.mark.parametrize("algo", ALL)
def test_initial_burst_then_sustained_rate(algo: ModuleType) -> None:
    cap, window, horizon = 10.0, 1.0, 20.0
    grants = greedy(algo, cap, window, horizon)
    assert grants[:10] == [100.0] * 10, "every algorithm starts with a burst of capacity"
    assert grants[10] > 100.0
    # steady state: capacity per window, exactly (within one unit)
    expected = cap + cap / window * horizon
    assert abs(len(grants) - expected) <= 1.0 + (cap if algo in WINDOWS else 0)


@pytest.mark.parametrize("algo", [_sliding_window, _fixed_window])
def test_windows_never_exceed_capacity(algo: ModuleType) -> None:
    rnd = random.Random(7)
    cap, window = 7.0, 1.0
    s = algo.init(cap, window)
    now, grants = 0.0, []
    for _ in range(20_000):
        now += rnd.expovariate(20.0)
        n = rnd.choice([1, 1, 1, 2, 3])
        if algo.take(s, n, now) == 0.0:
            grants.append((now, n))
    if algo is _fixed_window:
        per: dict[float, float] = {}
        for t, n in grants:
            per[t // window] = per.get(t // window, 0) + n
        assert max(per.values()) <= cap
    else:
        j, inside = 0, 0.0
        for t, n in grants:  # every window (t - W, t] ending at a grant
            inside += n
            while grants[j][0] <= t - window:
                inside -= grants[j][1]
                j += 1
            assert inside <= cap
    assert sum(n for _, n in grants) > cap * (now / window) * 0.8  # and it is not stingy


def test_sliding_window_with_small_ring_errs_on_the_safe_side() -> None:
    cap, window = 100.0, 1.0
    grants = greedy(_sliding_window, cap, window, 10.0, entries=8)
    j = 0
    for k, t in enumerate(grants):
        while grants[j] <= t - window:
            j += 1
        assert k - j + 1 <= cap
    assert len(grants) > 0.8 * cap * 10


@pytest.mark.parametrize("algo", BUCKETS)
def test_buckets_respect_the_token_bucket_envelope(algo: ModuleType) -> None:
    rnd = random.Random(3)
    cap, window = 5.0, 0.5
    rate = cap / window
    s = algo.init(cap, window)
    now, grants = 0.0, []
    for _ in range(5000):
        now += rnd.expovariate(30.0)
        n = rnd.choice([0.5, 1.0, 2.5])
        if algo.take(s, n, now) == 0.0:
            grants.append((now, n))
    for i in range(len(grants)):
        total = 0.0
        for j in range(i, min(len(grants), i + 200)):
            total += grants[j][1]
            assert total <= cap + rate * (grants[j][0] - grants[i][0]) + 1e-6


@pytest.mark.parametrize("period", [0.0001, 0.003, 0.37, 0.95])
def test_leaky_bucket_keeps_the_leak_rate_whatever_the_polling(period: float) -> None:
    cap, window, horizon = 10.0, 1.0, 30.0
    s = _leaky_bucket.init(cap, window)
    now, granted = 0.0, 0
    while now < horizon:
        while _leaky_bucket.take(s, 1.0, now) == 0.0:
            granted += 1
        now += period
    assert abs(granted - (cap + cap * horizon)) <= cap + 1


@pytest.mark.parametrize("algo", [*ALL, _resource])
def test_retry_time_is_exact(algo: ModuleType) -> None:
    s = algo.init(4.0, 2.0)
    while algo.take(s, 1.0, 10.0) == 0.0:
        pass
    r = algo.take(s, 1.0, 10.0)
    if algo is _resource:
        assert r == math.inf
        return
    assert r > 10.0
    assert algo.take(s, 1.0, r - 1e-3) != 0.0
    assert algo.take(s, 1.0, r + 1e-9) == 0.0


@pytest.mark.parametrize("algo", [*ALL, _resource])
def test_untake_restores_exactly(algo: ModuleType) -> None:
    s = algo.init(4.0, 2.0)
    assert algo.take(s, 1.0, 5.0) == 0.0
    before = list(s)
    assert algo.take(s, 2.0, 5.5) == 0.0
    algo.untake(s, 2.0, 5.5)
    after = list(s)
    assert algo.stats(after, 5.5) == algo.stats(before, 5.5)


def test_token_bucket_refund_and_cap() -> None:
    s = _token_bucket.init(10.0, 1.0)
    assert _token_bucket.take(s, 10.0, 0.0) == 0.0
    _token_bucket.refund(s, 4.0, 0.0)
    assert _token_bucket.stats(s, 0.0)["available"] == pytest.approx(4.0)
    _token_bucket.refund(s, 100.0, 0.0)
    assert _token_bucket.stats(s, 0.0)["available"] == 10.0


def test_gcra_refund_moves_tat_back_but_never_before_now() -> None:
    s = _gcra.init(10.0, 1.0)  # interval 0.1 s
    assert _gcra.take(s, 10.0, 0.0) == 0.0
    assert s[3] == pytest.approx(1.0)
    _gcra.refund(s, 3.0, 0.0)
    assert s[3] == pytest.approx(0.7)
    _gcra.refund(s, 100.0, 0.5)
    assert s[3] == 0.5
    _gcra.refund(s, 1.0, 2.0)  # idle: nothing to refund, tat does not jump forward
    assert s[3] == 0.5


@pytest.mark.parametrize("algo", [_leaky_bucket, _fixed_window, _sliding_window])
def test_non_refunding_algorithms_ignore_refunds(algo: ModuleType) -> None:
    assert not algo.REFUNDS
    s = algo.init(3.0, 1.0)
    for _ in range(3):
        assert algo.take(s, 1.0, 0.0) == 0.0
    algo.refund(s, 2.0, 0.0)
    assert algo.take(s, 1.0, 0.0) > 0.0


# capacity 10 per 1 s; 2 granted and 15 more charged at t=0: when is 1 more possible?
PAID_OFF = {
    _token_bucket: 0.8,  # -7 tokens + 10/s -> 1 token at 0.8 s
    _gcra: 0.8,
    _leaky_bucket: 0.8,  # level 17 drains to 9 at 0.8 s
    _fixed_window: 1.0,  # the next window
    _sliding_window: 1.0,  # both log entries expire
}


@pytest.mark.parametrize("algo", ALL)
def test_charge_counts_usage_beyond_capacity_until_paid_off(algo: ModuleType) -> None:
    s = algo.init(10.0, 1.0)
    assert algo.take(s, 2.0, 0.0) == 0.0
    algo.charge(s, 15.0, 0.0)  # an over-usage reported with update(): never refused
    assert algo.stats(s, 0.0)["available"] == 0.0
    r = algo.take(s, 1.0, 0.0)
    assert r == pytest.approx(PAID_OFF[algo])
    assert algo.take(s, 1.0, r - 1e-3) != 0.0
    assert algo.take(s, 1.0, r + 1e-9) == 0.0


def test_settle_refunds_positive_and_charges_negative_amounts() -> None:
    from concurry_limits import RateLimit
    from concurry_limits._algorithms import settle_of

    settle = settle_of(RateLimit("t", 1, 10))
    s = _token_bucket.init(10.0, 1.0)
    assert _token_bucket.take(s, 5.0, 0.0) == 0.0
    settle(s, 2.0, 0.0)
    assert _token_bucket.stats(s, 0.0)["available"] == pytest.approx(7.0)
    settle(s, -4.0, 0.0)
    assert _token_bucket.stats(s, 0.0)["available"] == pytest.approx(3.0)


def test_fixed_window_allows_double_burst_at_a_boundary() -> None:
    s = _fixed_window.init(5.0, 1.0)
    granted = sum(_fixed_window.take(s, 1.0, 0.99) == 0.0 for _ in range(10))
    granted += sum(_fixed_window.take(s, 1.0, 1.0) == 0.0 for _ in range(10))
    assert granted == 10


def test_sliding_window_compact_roundtrip() -> None:
    s = _sliding_window.init(50.0, 1.0, 16)
    for k in range(10):
        _sliding_window.take(s, 1.0, k * 0.05)
    c = _sliding_window.compact(s)
    assert len(c) < len(s)
    e = _sliding_window.expand(c)
    assert len(e) == len(s)
    assert _sliding_window.stats(e, 1.4) == _sliding_window.stats(s, 1.4)
    assert _sliding_window.take(e, 5.0, 1.4) == _sliding_window.take(s, 5.0, 1.4)


def test_sliding_window_matches_a_brute_force_log() -> None:
    rnd = random.Random(11)
    cap, window = 6.0, 1.0
    s = _sliding_window.init(cap, window)
    log: list[tuple[float, float]] = []
    now = 0.0
    for _ in range(20_000):
        now += rnd.expovariate(15.0)
        n = float(rnd.choice([1, 1, 2, 3]))
        used = sum(a for t, a in log if t > now - window)
        expected = used + n <= cap
        got = _sliding_window.take(s, n, now)
        assert (got == 0.0) == expected
        if expected:
            log.append((now, n))
            if rnd.random() < 0.2:  # roll back as a LimitSet does when another limit refuses
                _sliding_window.untake(s, n, now)
                log.pop()
        else:
            assert got > now
            assert sum(a for t, a in log if t > got + 1e-9 - window) + n <= cap
        assert _sliding_window.stats(s, now)["available"] == pytest.approx(
            cap - sum(a for t, a in log if t > now - window)
        )
