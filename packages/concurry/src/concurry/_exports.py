"""The one name-to-module table behind every lazy re-export of the umbrella."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from typing import Any

#: Public name -> the module of the package that defines it.
EXPORTS: dict[str, str] = {
    # concurry-futures
    "BaseFuture": "concurry_futures",
    "SyncFuture": "concurry_futures",
    "ConcurrentFuture": "concurry_futures",
    "AsyncioFuture": "concurry_futures",
    "wrap_future": "concurry_futures",
    "wait": "concurry_futures",
    "gather": "concurry_futures",
    "async_wait": "concurry_futures",
    "async_gather": "concurry_futures",
    "ALL_COMPLETED": "concurry_futures",
    "FIRST_COMPLETED": "concurry_futures",
    "FIRST_EXCEPTION": "concurry_futures",
    "ReturnWhen": "concurry_futures",
    "PollingAlgorithm": "concurry_futures",
    "ProgressBar": "concurry_futures",
    "Timer": "concurry_futures",
    "TimerError": "concurry_futures",
    # concurry-limits
    "Limit": "concurry_limits",
    "RateLimit": "concurry_limits",
    "CallLimit": "concurry_limits",
    "ResourceLimit": "concurry_limits",
    "LimitSet": "concurry_limits",
    "LimitPool": "concurry_limits",
    "Acquisition": "concurry_limits",
    "LimitSetAcquisition": "concurry_limits",
    "RateLimitAlgorithm": "concurry_limits",
    "RateWindow": "concurry_limits",
    # concurry-retry
    "RetryConfig": "concurry_retry",
    "RetryAlgorithm": "concurry_retry",
    "RetryValidationError": "concurry_retry",
    # concurry-workers
    "Worker": "concurry_workers",
    "worker": "concurry_workers",
    "TaskWorker": "concurry_workers",
    "task": "concurry_workers",
    "Executor": "concurry_workers",
    "ExecutionMode": "concurry_workers",
    "LoadBalancingAlgorithm": "concurry_workers",
    "global_config": "concurry_workers",
    "temp_config": "concurry_workers",
    "_NO_ARG": "concurry_workers",
    # concurry-ray (the optional extra: listed only when installed)
    "RayFuture": "concurry_ray",
    "RayLimitBackend": "concurry_ray",
}


#: Packages that are optional extras of the umbrella (``concurry[ray]``).
OPTIONAL = {"concurry_ray": "ray"}


def _installed(module: str) -> bool:
    """True unless ``module`` belongs to an optional extra that is not installed."""
    if module not in OPTIONAL:
        return True
    return importlib.util.find_spec(module) is not None


def resolve(name: str) -> Any:
    """Import the module that defines ``name`` and return the object."""
    try:
        module = EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'concurry' has no attribute {name!r}") from None
    if not _installed(module):
        raise AttributeError(
            f"concurry.{name} needs the optional extra: pip install concurry[{OPTIONAL[module]}]"
        )
    return getattr(importlib.import_module(module), name)


def lazy_module(
    module_name: str, names: Iterable[str]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """Build ``__all__``, ``__getattr__`` and ``__dir__`` for a lazy alias module.

    Args:
        module_name: The ``__name__`` of the alias module, for error messages.
        names: The public names it re-exports; each must be in ``EXPORTS``.
    """
    public = [n for n in names if n in EXPORTS and _installed(EXPORTS[n])]

    def __getattr__(name: str) -> Any:
        if name not in public:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = resolve(name)
        # cache in the module, so the next access is a plain attribute lookup
        setattr(sys.modules[module_name], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(public)

    return public, __getattr__, __dir__
