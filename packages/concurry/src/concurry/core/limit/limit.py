"""Alias of the original ``concurry.core.limit.limit``: the limit value objects; lazy."""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_limits import CallLimit as CallLimit
    from concurry_limits import Limit as Limit
    from concurry_limits import RateLimit as RateLimit
    from concurry_limits import RateLimitAlgorithm as RateLimitAlgorithm
    from concurry_limits import RateWindow as RateWindow
    from concurry_limits import ResourceLimit as ResourceLimit

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    ["CallLimit", "Limit", "RateLimit", "RateLimitAlgorithm", "RateWindow", "ResourceLimit"],
)
