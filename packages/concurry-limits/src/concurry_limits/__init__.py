"""concurry-limits: rate, call and resource limits with exact algorithms.

Shared across threads and event loops (default), processes (shared memory) or
machines (Redis). Standard library only; ``concurry-limits[redis]`` for Redis.
"""

from __future__ import annotations

from concurry_limits._acquisition import Acquisition, LimitSetAcquisition
from concurry_limits._backends._base import Backend, Store
from concurry_limits._backends._registry import register_backend
from concurry_limits._config import LimitDefaults, limit_defaults
from concurry_limits._enums import RateLimitAlgorithm, RateWindow
from concurry_limits._errors import (
    LimitBackendError,
    LimitError,
    LimitTimeoutError,
    LimitUsageError,
    LimitUsageWarning,
    LimitValidationError,
    PluginNotFoundError,
)
from concurry_limits._limit_pool import LimitPool
from concurry_limits._limit_set import AsyncAcquire, LimitSet
from concurry_limits._limited import limited
from concurry_limits._limits import CallLimit, Limit, RateLimit, ResourceLimit

__version__ = "0.1.0"

__all__ = [
    "Acquisition",
    "AsyncAcquire",
    "Backend",
    "CallLimit",
    "InProcessBackend",
    "Limit",
    "LimitBackendError",
    "LimitDefaults",
    "LimitError",
    "LimitPool",
    "LimitSet",
    "LimitSetAcquisition",
    "LimitTimeoutError",
    "LimitUsageError",
    "LimitUsageWarning",
    "LimitValidationError",
    "MultiprocessBackend",
    "PluginNotFoundError",
    "RateLimit",
    "RateLimitAlgorithm",
    "RateWindow",
    "RedisBackend",
    "ResourceLimit",
    "Store",
    "limit_defaults",
    "limited",
    "register_backend",
]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_LAZY = {
    "InProcessBackend": "concurry_limits._backends._inprocess",
    "MultiprocessBackend": "concurry_limits._backends._multiprocess",
    "RedisBackend": "concurry_limits._backends._redis",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'concurry_limits' has no attribute {name!r}")
    import importlib

    obj = getattr(importlib.import_module(module), name)
    obj.__module__ = __name__
    globals()[name] = obj
    return obj


def __dir__() -> list[str]:
    return sorted(__all__)


for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type) or callable(_obj):
        try:
            _obj.__module__ = __name__
        except (AttributeError, TypeError):
            pass
del _name, _obj
