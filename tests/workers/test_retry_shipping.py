"""Retry configurations and retried functions survive cloudpickle, which is how
process workers ship them (concurry-workers depends on cloudpickle; concurry-retry
does not, so these live here)."""

from __future__ import annotations

import cloudpickle

from concurry_retry import RetryConfig, retry


def test_cloudpickle_ships_lambdas() -> None:
    c = RetryConfig(
        num_retries=2,
        retry_on=[ValueError, lambda exception, **ctx: "again" in str(exception)],
        retry_until=lambda result, **ctx: result > 1,
    )
    back = cloudpickle.loads(cloudpickle.dumps(c))
    assert back.num_retries == 2
    assert back.retry_on[0] is ValueError
    assert back.retry_on[1](exception=RuntimeError("again"))
    assert back.retry_until[0](2) and not back.retry_until[0](1)


def test_decorated_closure_cloudpickles() -> None:
    calls = []

    @retry(num_retries=2, retry_wait=0)
    def local(x: int) -> int:
        calls.append(x)
        if len(calls) < 2:
            raise OSError
        return x * 3

    clone = cloudpickle.loads(cloudpickle.dumps(local))
    assert clone(2) == 6
    assert clone.retry_config == local.retry_config  # type: ignore[attr-defined]
