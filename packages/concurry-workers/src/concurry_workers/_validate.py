"""Validators for option values, shared by ``options()`` and ``global_config``.

Each takes ``(name, value)`` and returns the normalised value or raises
``ValueError`` / ``TypeError`` naming the option and the offending value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._enums import ExecutionMode, LoadBalancingAlgorithm

__all__ = [
    "VALIDATORS",
    "as_bool",
    "as_float",
    "as_mode",
    "as_optional_positive_int",
]

_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}
_MP_CONTEXTS = ("fork", "spawn", "forkserver")


def as_bool(name: str, value: Any) -> bool:
    """Accept a bool, 0/1, or a string such as "true"/"false"/"yes"/"no"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"{name} must be a bool, got {value!r}")


def as_mode(name: str, value: Any) -> ExecutionMode:
    """Accept an ``ExecutionMode`` member, name or alias."""
    if not isinstance(value, str):
        raise ValueError(
            f"Invalid mode: {name} must be an ExecutionMode or a string, got {value!r}"
        )
    return ExecutionMode(value)


def as_load_balancing(name: str, value: Any) -> LoadBalancingAlgorithm:
    """Accept a ``LoadBalancingAlgorithm`` member, name or alias."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a LoadBalancingAlgorithm or a string, got {value!r}")
    return LoadBalancingAlgorithm(value)


def _as_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def as_optional_positive_int(name: str, value: Any) -> int | None:
    """``None`` or an int >= 1."""
    return None if value is None else _as_int(name, value, 1)


def as_optional_non_negative_int(name: str, value: Any) -> int | None:
    """``None`` or an int >= 0."""
    return None if value is None else _as_int(name, value, 0)


def as_non_negative_int(name: str, value: Any) -> int:
    """An int >= 0."""
    return _as_int(name, value, 0)


def as_float(name: str, value: Any, low: float = 0.0, high: float | None = None) -> float:
    """A real number within ``[low, high]``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if number != number or number < low or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bounds}, got {value!r}")
    return number


def as_stop_timeout(name: str, value: Any) -> float:
    """A finite number of seconds >= 0: ``stop()`` must always end."""
    number = as_float(name, value)
    if number == float("inf"):
        raise ValueError(f"{name} must be finite so that stop() always ends, got {value!r}")
    return number


def as_mp_context(name: str, value: Any) -> str:
    """One of the multiprocessing start methods: fork, spawn, forkserver."""
    if isinstance(value, str) and value.strip().lower() in _MP_CONTEXTS:
        return value.strip().lower()
    raise ValueError(f"{name} must be one of {', '.join(_MP_CONTEXTS)}; got {value!r}")


_PLAIN_ALGORITHMS = frozenset({"exponential", "linear", "fibonacci", "fixed"})


def as_retry_algorithm(name: str, value: Any) -> Any:
    """A ``concurry_retry.RetryAlgorithm`` member, name or alias."""
    if type(value) is str and value in _PLAIN_ALGORITHMS:
        return value  # the common spellings need no import of concurry_retry
    from concurry_retry import RetryAlgorithm

    try:
        return RetryAlgorithm(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def as_retry_on(name: str, value: Any) -> Any:
    """Exception types and/or callables, alone or in a list."""
    items = value if isinstance(value, (list, tuple, set)) else [value]
    for item in items:
        ok = (isinstance(item, type) and issubclass(item, BaseException)) or callable(item)
        if not ok:
            raise ValueError(f"{name} must hold exception types or callables, got {item!r}")
    return list(items)


def as_retry_until(name: str, value: Any) -> Any:
    """``None`` or callables, alone or in a list."""
    if value is None:
        return None
    items = value if isinstance(value, (list, tuple)) else [value]
    for item in items:
        if not callable(item):
            raise ValueError(f"{name} must hold callables, got {item!r}")
    return list(items)


def _retry_wait(name: str, value: Any) -> float:
    """A number of seconds >= 0."""
    return as_float(name, value)


def _retry_jitter(name: str, value: Any) -> float:
    """A number between 0 and 1."""
    return as_float(name, value, 0.0, 1.0)


#: option name -> validator, for every option that has a plain value.
VALIDATORS: dict[str, Callable[[str, Any], Any]] = {
    "mode": as_mode,
    "blocking": as_bool,
    "max_workers": as_optional_non_negative_int,
    "load_balancing": as_load_balancing,
    "load_balancing_on_demand": as_load_balancing,
    "on_demand": as_bool,
    "max_queued_tasks": as_optional_positive_int,
    "unwrap_futures": as_bool,
    "num_retries": as_non_negative_int,
    "retry_on": as_retry_on,
    "retry_algorithm": as_retry_algorithm,
    "retry_wait": _retry_wait,
    "retry_jitter": _retry_jitter,
    "retry_until": as_retry_until,
    "stop_timeout": as_stop_timeout,
    "task_decorator_on_demand": as_bool,
    "mp_context": as_mp_context,
}
