"""Alias of the original ``concurry.core.limit`` package; lazy.

Its modules ``limit``, ``limit_set`` and ``limit_pool`` keep the original's
import paths; every name here is the object of ``concurry-limits`` (or, for the
original's per-backend limit-set classes, the stand-ins of ``limit_set``).
"""

from __future__ import annotations

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry.core.limit.limit_set import BaseLimitSet as BaseLimitSet
    from concurry.core.limit.limit_set import InMemorySharedLimitSet as InMemorySharedLimitSet
    from concurry.core.limit.limit_set import (
        MultiprocessSharedLimitSet as MultiprocessSharedLimitSet,
    )
    from concurry.core.limit.limit_set import NoOpLimitSet as NoOpLimitSet
    from concurry.core.limit.limit_set import RaySharedLimitSet as RaySharedLimitSet
    from concurry_limits import Acquisition as Acquisition
    from concurry_limits import CallLimit as CallLimit
    from concurry_limits import Limit as Limit
    from concurry_limits import LimitPool as LimitPool
    from concurry_limits import LimitSet as LimitSet
    from concurry_limits import LimitSetAcquisition as LimitSetAcquisition
    from concurry_limits import RateLimit as RateLimit
    from concurry_limits import RateLimitAlgorithm as RateLimitAlgorithm
    from concurry_limits import RateWindow as RateWindow
    from concurry_limits import ResourceLimit as ResourceLimit

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    [
        "Acquisition",
        "CallLimit",
        "Limit",
        "LimitPool",
        "LimitSet",
        "LimitSetAcquisition",
        "RateLimit",
        "RateLimitAlgorithm",
        "RateWindow",
        "ResourceLimit",
    ],
    extra={
        name: f"concurry.core.limit.limit_set:{name}"
        for name in (
            "BaseLimitSet",
            "InMemorySharedLimitSet",
            "MultiprocessSharedLimitSet",
            "NoOpLimitSet",
            "RaySharedLimitSet",
        )
    },
)
