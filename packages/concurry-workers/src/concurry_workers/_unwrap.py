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
_PLAIN, _FUTURE, _CONTAINER = 0, 1, 2

# type -> kind. ``isinstance(x, BaseFuture)`` goes through ABCMeta (~0.2 us); a
# dict lookup on the exact type is ~25 ns, and every call's arguments are scanned.
_KINDS: dict[type, int] = {
    **dict.fromkeys((int, float, complex, str, bytes, bool, type(None)), _PLAIN),
    **dict.fromkeys(_CONTAINERS, _CONTAINER),
}
_BUILTIN_KINDS = dict(_KINDS)


def _kind(kind_of: type) -> int:
    found = _KINDS.get(kind_of)
    if found is None:
        if issubclass(kind_of, BaseFuture):
            found = _FUTURE
        else:
            found = _CONTAINER if kind_of in _CONTAINERS else _PLAIN
        if len(_KINDS) > 4096:  # classes made on the fly must not pile up here
            _KINDS.clear()
            _KINDS.update(_BUILTIN_KINDS)
        _KINDS[kind_of] = found
    return found


def has_futures(value: Any) -> bool:
    """True when ``value`` is or contains a ``BaseFuture``."""
    kind = _kind(type(value))
    if kind == _PLAIN:
        return False
    if kind == _FUTURE:
        return True
    get = _KINDS.get
    for item in value.values() if type(value) is dict else value:
        if get(type(item)) != _PLAIN and has_futures(item):
            return True
    return False


def collect_futures(value: Any, out: list[BaseFuture] | None = None) -> list[BaseFuture]:
    """Every ``BaseFuture`` in ``value`` (searched like ``unwrap_value``)."""
    found: list[BaseFuture] = [] if out is None else out
    kind = _kind(type(value))
    if kind == _FUTURE:
        found.append(value)
    elif kind == _CONTAINER:
        for item in value.values() if type(value) is dict else value:
            collect_futures(item, found)
    return found


def call_has_futures(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """True when any argument of a call is or contains a ``BaseFuture``."""
    get = _KINDS.get
    for item in args:
        if get(type(item)) != _PLAIN and has_futures(item):
            return True
    if kwargs:
        for item in kwargs.values():
            if get(type(item)) != _PLAIN and has_futures(item):
                return True
    return False


def unwrap_value(value: Any) -> Any:
    """Return ``value`` with every nested ``BaseFuture`` replaced by its result (blocking)."""
    kind = _kind(type(value))
    if kind == _FUTURE:
        return value.result()
    if kind == _CONTAINER and has_futures(value):
        if type(value) is dict:
            return {k: unwrap_value(v) for k, v in value.items()}
        return type(value)(unwrap_value(v) for v in value)
    return value


def unwrap_call(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Unwrap the futures of one call; returns the inputs themselves when there are none."""
    if not call_has_futures(args, kwargs):
        return args, kwargs
    return tuple(unwrap_value(a) for a in args), {k: unwrap_value(v) for k, v in kwargs.items()}


async def _aunwrap_value(value: Any) -> Any:
    kind = _kind(type(value))
    if kind == _FUTURE:
        return await value
    if kind == _CONTAINER and has_futures(value):
        if type(value) is dict:
            return {k: await _aunwrap_value(v) for k, v in value.items()}
        return type(value)([await _aunwrap_value(v) for v in value])
    return value


async def aunwrap_call(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Like ``unwrap_call`` but awaits the futures, never blocking the event loop."""
    if not call_has_futures(args, kwargs):
        return args, kwargs
    new_args = tuple([await _aunwrap_value(a) for a in args])
    return new_args, {k: await _aunwrap_value(v) for k, v in kwargs.items()}
