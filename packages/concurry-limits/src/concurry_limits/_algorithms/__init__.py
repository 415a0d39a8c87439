"""The limit algorithms, each written once as pure functions over a small float state.

Every module exposes ``NAME``, ``INTEGER`` (amounts must be whole), ``REFUNDS``,
``init(capacity, window, entries)``, ``take(s, n, now) -> 0.0 | retry_at``,
``untake(s, n, now)``, ``refund(s, n, now)`` and ``stats(s, now)``. Every backend
(in-process, multiprocess, Redis, Ray) runs these same functions on its state.
"""

from __future__ import annotations

from types import ModuleType

from concurry_limits._algorithms import (
    _fixed_window,
    _gcra,
    _leaky_bucket,
    _resource,
    _sliding_window,
    _token_bucket,
)
from concurry_limits._enums import RateLimitAlgorithm
from concurry_limits._limits import Limit, RateLimit

__all__ = ["algorithm_of", "initial_state"]

_BY_ALGORITHM: dict[RateLimitAlgorithm, ModuleType] = {
    RateLimitAlgorithm.TokenBucket: _token_bucket,
    RateLimitAlgorithm.LeakyBucket: _leaky_bucket,
    RateLimitAlgorithm.SlidingWindow: _sliding_window,
    RateLimitAlgorithm.FixedWindow: _fixed_window,
    RateLimitAlgorithm.GCRA: _gcra,
}


def algorithm_of(limit: Limit) -> ModuleType:
    """The algorithm module that implements ``limit``."""
    if isinstance(limit, RateLimit):
        return _BY_ALGORITHM[limit.algorithm]
    return _resource


def initial_state(limit: Limit, entries: int = _sliding_window.DEFAULT_ENTRIES) -> list[float]:
    """A fresh state for ``limit``."""
    window = limit.window if isinstance(limit, RateLimit) else 0.0
    return algorithm_of(limit).init(limit.capacity, window, entries)
