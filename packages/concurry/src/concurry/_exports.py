"""The one name-to-module table behind every lazy re-export of the umbrella.

``EXPORTS`` lists every public name of every micro-package (each package's
``__all__``); ``tests/umbrella`` and ``tests/compat`` check that it stays
complete. Alias modules (``concurry.core.*``, ``concurry.utils.*``, ...) are
built with :func:`lazy_module`, which imports a package only when one of its
names is first used, so ``import concurry`` imports none of them.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

# Not ``typing.TYPE_CHECKING``: ``import concurry`` imports neither typing nor collections.abc.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping
    from typing import Any

_FUTURES = "concurry_futures"
_LIMITS = "concurry_limits"
_RETRY = "concurry_retry"
_WORKERS = "concurry_workers"
_RAY = "concurry_ray"

#: Public name -> the module of the package that defines it.
EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        [
            "ALL_COMPLETED",
            "FIRST_COMPLETED",
            "FIRST_EXCEPTION",
            "AdaptivePolling",
            "AsyncioFuture",
            "BaseFuture",
            "ConcurrentFuture",
            "ExponentialPolling",
            "FixedPolling",
            "FuturesError",
            "MissingPluginError",
            "PollingAlgorithm",
            "PollingStrategy",
            "ProgressBar",
            "ProgressivePolling",
            "ReturnWhen",
            "SyncFuture",
            "Timer",
            "TimerError",
            "as_progress_bar",
            "async_gather",
            "async_wait",
            "gather",
            "polling_strategy",
            "register_future_adapter",
            "wait",
            "wrap_future",
        ],
        _FUTURES,
    ),
    **dict.fromkeys(
        [
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
        ],
        _LIMITS,
    ),
    **dict.fromkeys(
        [
            "Attempt",
            "RetryAlgorithm",
            "RetryConfig",
            "RetryConfigError",
            "RetryError",
            "RetryInfo",
            "RetryValidationError",
            "Retrying",
            "async_execute_with_retry",
            "execute_with_retry",
            "is_testing",
            "retry",
            "retrying",
            "set_testing",
            "testing",
        ],
        _RETRY,
    ),
    **dict.fromkeys(
        [
            "BACKEND_ENTRY_POINT_GROUP",
            "_NO_ARG",
            "_NO_ARG_TYPE",
            "BackendUnavailableError",
            "ExecutionMode",
            "Executor",
            "LoadBalancingAlgorithm",
            "RemoteTraceback",
            "SerializationError",
            "TaskWorker",
            "Worker",
            "WorkerBackend",
            "WorkerBuilder",
            "WorkerDiedError",
            "WorkerError",
            "WorkerPool",
            "WorkerProxy",
            "WorkerRuntime",
            "WorkerStoppedError",
            "global_config",
            "task",
            "temp_config",
            "worker",
        ],
        _WORKERS,
    ),
    # the optional extra concurry[ray]: listed only when installed
    **dict.fromkeys(["RayFuture", "RayLimitBackend"], _RAY),
}


#: Packages that are optional extras of the umbrella (``concurry[ray]``).
OPTIONAL = {_RAY: "ray"}


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


def _resolve_extra(target: str) -> Any:
    """The object named by ``"module:attribute"``, importing the module."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def lazy_module(
    module_name: str,
    names: Iterable[str],
    *,
    extra: Mapping[str, str] | None = None,
    local: Iterable[str] = (),
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """Build ``__all__``, ``__getattr__`` and ``__dir__`` for a lazy alias module.

    Args:
        module_name: The ``__name__`` of the alias module, for error messages.
        names: The public names it re-exports; each must be in ``EXPORTS``
            (names of an optional extra that is not installed are left out).
        extra: More lazily imported names, each mapped to
            ``"module:attribute"`` (e.g. ``"concurrent.futures:CancelledError"``).
        local: Names the module defines itself (adapters); listed in
            ``__all__`` and ``dir()``.

    Returns:
        The sorted ``__all__``, and the module's ``__getattr__`` and ``__dir__``.
    """
    public = [n for n in names if n in EXPORTS and _installed(EXPORTS[n])]
    targets = dict(extra or {})
    every = sorted({*public, *targets, *local})

    def __getattr__(name: str) -> Any:
        if name in targets:
            value = _resolve_extra(targets[name])
        elif name in public:
            value = resolve(name)
        else:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        # cache in the module, so the next access is a plain attribute lookup
        setattr(sys.modules[module_name], name, value)
        return value

    def __dir__() -> list[str]:
        return list(every)

    return every, __getattr__, __dir__
