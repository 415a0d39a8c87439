"""The limit algorithms, each written once as pure functions over a small float state.

Every module exposes ``NAME``, ``INTEGER`` (amounts must be whole), ``REFUNDS``,
``init(capacity, window, entries)``, ``take(s, n, now) -> 0.0 | retry_at``,
``untake(s, n, now)``, ``refund(s, n, now)`` (give back ``n`` unused units),
``charge(s, n, now)`` (count ``n`` units used beyond a grant, whatever the room
left: an over-usage reported with ``update()``) and ``stats(s, now)``. Every
backend (in-process, multiprocess, Redis, Ray) runs these same functions on its
state; on release it applies :func:`settle_of` to each ``(index, amount)`` item.
"""

from __future__ import annotations

from collections.abc import Callable, MutableSequence
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

__all__ = ["algorithm_of", "initial_state", "settle_of"]

Settle = Callable[[MutableSequence[float], float, float], None]

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


def _settler(module: ModuleType) -> Settle:
    refund = module.refund
    charge = module.charge

    def settle(s: MutableSequence[float], n: float, now: float) -> None:
        if n >= 0.0:
            refund(s, n, now)
        else:
            charge(s, -n, now)

    return settle


_SETTLE: dict[ModuleType, Settle] = {
    module: _settler(module) for module in (*_BY_ALGORITHM.values(), _resource)
}


def settle_of(limit: Limit) -> Settle:
    """What a backend applies to one released item ``(index, amount)`` of ``limit``.

    ``amount >= 0`` gives it back (held resource units, unused refundable
    tokens); ``amount < 0`` charges ``-amount`` units used beyond the grant.
    """
    return _SETTLE[algorithm_of(limit)]
