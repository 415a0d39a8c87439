"""Future unwrapping: replace ``BaseFuture`` arguments by their results.

Futures are found at the top level of ``args``/``kwargs`` and inside plain
lists, tuples, sets, frozensets and dicts (exact types only, so named tuples
and user containers pass through untouched).
"""

from __future__ import annotations

from typing import Any

from concurry_futures import BaseFuture

__all__ = [
    "aunwrap_call",
    "call_has_futures",
    "collect_futures",
    "has_futures",
    "unwrap_call",
    "unwrap_value",
]

_CONTAINERS = (list, tuple, set, frozenset, dict)


def has_futures(value: Any) -> bool:
    """True when ``value`` is or contains a ``BaseFuture``."""
    if isinstance(value, BaseFuture):
        return True
    kind = type(value)
    if kind in _CONTAINERS:
        items = value.values() if kind is dict else value
        return any(has_futures(item) for item in items)
    return False


def collect_futures(value: Any, out: list[BaseFuture] | None = None) -> list[BaseFuture]:
    """Every ``BaseFuture`` in ``value`` (searched like ``unwrap_value``)."""
    found: list[BaseFuture] = [] if out is None else out
    if isinstance(value, BaseFuture):
        found.append(value)
    elif type(value) in _CONTAINERS:
        for item in value.values() if type(value) is dict else value:
            collect_futures(item, found)
    return found


def call_has_futures(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True when any argument of a call is or contains a ``BaseFuture``."""
    for item in args:
        if isinstance(item, BaseFuture) or (type(item) in _CONTAINERS and has_futures(item)):
            return True
    for item in kwargs.values():
        if isinstance(item, BaseFuture) or (type(item) in _CONTAINERS and has_futures(item)):
            return True
    return False


def unwrap_value(value: Any) -> Any:
    """Return ``value`` with every nested ``BaseFuture`` replaced by its result (blocking)."""
    if isinstance(value, BaseFuture):
        return value.result()
    kind = type(value)
    if kind in _CONTAINERS and has_futures(value):
        if kind is dict:
            return {k: unwrap_value(v) for k, v in value.items()}
        return kind(unwrap_value(v) for v in value)
    return value


def unwrap_call(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Unwrap the futures of one call; returns the inputs themselves when there are none."""
    if not call_has_futures(args, kwargs):
        return args, kwargs
    return tuple(unwrap_value(a) for a in args), {k: unwrap_value(v) for k, v in kwargs.items()}


async def _aunwrap_value(value: Any) -> Any:
    if isinstance(value, BaseFuture):
        return await value
    kind = type(value)
    if kind in _CONTAINERS and has_futures(value):
        if kind is dict:
            return {k: await _aunwrap_value(v) for k, v in value.items()}
        return kind([await _aunwrap_value(v) for v in value])
    return value


async def aunwrap_call(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Like ``unwrap_call`` but awaits the futures, never blocking the event loop."""
    if not call_has_futures(args, kwargs):
        return args, kwargs
    new_args = tuple([await _aunwrap_value(a) for a in args])
    return new_args, {k: await _aunwrap_value(v) for k, v in kwargs.items()}
