"""Turning the ``limits=`` option into the object ``self.limits`` refers to.

Accepted forms: a ``LimitSet`` (shared as given), a list of ``Limit`` objects
(a private set per worker), a list of ``LimitSet`` objects (a ``LimitPool``
whose round-robin starts at the worker's index), a ``LimitPool``, or None /
an empty list (an empty set that never waits).
"""

from __future__ import annotations

from typing import Any

__all__ = ["check_limits", "limits_for_worker"]

_EMPTY: dict[str, Any] = {}


def check_limits(name: str, value: Any) -> Any:
    """Validate the ``limits`` option value; returns it (lists become tuples)."""
    if value is None:
        return None
    from concurry_limits import Limit, LimitPool, LimitSet

    if isinstance(value, (LimitSet, LimitPool)):
        return value
    if isinstance(value, (list, tuple)):
        items = tuple(value)
        if all(isinstance(item, Limit) for item in items):
            return items
        if all(isinstance(item, LimitSet) for item in items):
            return items
    raise ValueError(
        f"{name} must be a LimitSet, a LimitPool, or a list of Limits or of LimitSets, "
        f"got {value!r}"
    )


def limits_for_worker(limits: Any, mode: Any, worker_index: int = 0, shared: bool = False) -> Any:
    """The limits object of one worker.

    Args:
        limits: The validated ``limits`` option.
        mode: The execution mode (picks the limit backend for sets built here).
        worker_index: Position in a pool (offsets a LimitPool's round-robin).
        shared: Build one set shared by several workers (pools) from a list of Limits.
    """
    from concurry_limits import LimitPool, LimitSet

    mode_name = getattr(mode, "value", mode)
    if limits is None or limits == ():
        # an empty set holds no state, so one per mode is shared by every worker
        empty = _EMPTY.get(mode_name)
        if empty is None:
            empty = _EMPTY[mode_name] = LimitSet([], mode=mode_name)
        return empty
    if isinstance(limits, (LimitSet, LimitPool)):
        return limits
    if all(isinstance(item, LimitSet) for item in limits):
        return LimitPool(list(limits), worker_index=worker_index)
    return LimitSet(list(limits), shared=shared, mode=mode_name)
