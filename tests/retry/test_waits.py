from __future__ import annotations

import pytest

from concurry_retry import RetryAlgorithm, RetryConfig, execute_with_retry


def _observed_waits(flaky: type, **fields: object) -> list[float]:
    waits: list[float] = []
    fn = flaky(*[OSError(i) for i in range(5)])
    execute_with_retry(fn, config=RetryConfig(num_retries=5, sleep=waits.append, **fields))
    assert fn.calls == 6
    return waits


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("linear", [0.5, 1.0, 1.5, 2.0, 2.5]),
        ("exponential", [0.5, 1.0, 2.0, 4.0, 8.0]),
        ("fibonacci", [0.5, 0.5, 1.0, 1.5, 2.5]),
        ("fixed", [0.5, 0.5, 0.5, 0.5, 0.5]),
    ],
)
def test_exact_wait_sequence_without_jitter(
    flaky: type, algorithm: str, expected: list[float]
) -> None:
    waits = _observed_waits(flaky, retry_algorithm=algorithm, retry_wait=0.5, retry_jitter=0.0)
    assert waits == pytest.approx(expected)


def test_fibonacci_numbers() -> None:
    assert [RetryAlgorithm.Fibonacci.wait(1.0, n) for n in range(1, 11)] == [
        1,
        1,
        2,
        3,
        5,
        8,
        13,
        21,
        34,
        55,
    ]


def test_cap_applies_to_each_wait(flaky: type) -> None:
    waits = _observed_waits(
        flaky, retry_algorithm="exponential", retry_wait=1.0, retry_jitter=0.0, retry_max_wait=3.0
    )
    assert waits == pytest.approx([1.0, 2.0, 3.0, 3.0, 3.0])


def test_cap_is_applied_before_jitter() -> None:
    c = RetryConfig(retry_wait=10.0, retry_jitter=0.5, retry_max_wait=2.0, retry_algorithm="fixed")
    samples = [c.compute_wait(1) for _ in range(2000)]
    assert all(1.0 <= s <= 2.0 for s in samples)
    assert min(samples) < 1.1 and max(samples) > 1.9  # spread over the whole range


@pytest.mark.parametrize("jitter", [0.3, 1.0])
@pytest.mark.parametrize("n", [1, 3])
def test_jitter_stays_within_bounds(jitter: float, n: int) -> None:
    c = RetryConfig(retry_wait=0.8, retry_jitter=jitter, retry_algorithm="exponential")
    full = 0.8 * 2 ** (n - 1)
    samples = [c.compute_wait(n) for _ in range(5000)]
    assert all(full * (1 - jitter) <= s <= full for s in samples)
    low, high = full * (1 - jitter), full
    # roughly uniform: both ends of the interval are reached
    assert min(samples) < low + 0.05 * (high - low)
    assert max(samples) > high - 0.05 * (high - low)
    assert len(set(samples)) > 4000


def test_zero_jitter_is_deterministic() -> None:
    c = RetryConfig(retry_wait=0.3, retry_jitter=0.0, retry_algorithm="linear")
    assert {c.compute_wait(2) for _ in range(100)} == {0.6}


def test_huge_exponent_stays_finite() -> None:
    assert RetryAlgorithm.Exponential.wait(1.0, 5000) == 1e9


def test_jitter_is_seen_by_the_sleep_function(flaky: type) -> None:
    waits = _observed_waits(flaky, retry_algorithm="fixed", retry_wait=1.0, retry_jitter=1.0)
    assert all(0.0 <= w <= 1.0 for w in waits)
    assert len(set(waits)) > 1
