"""Turning the ``limits=`` option into the object ``self.limits`` refers to.

Accepted forms: a ``LimitSet`` (shared as given), a list of ``Limit`` objects
(a private set per worker), a list of ``LimitSet`` objects (a ``LimitPool``
whose round-robin starts at the worker's index), a ``LimitPool``, or None /
an empty list (an empty set that never waits).

Process and Ray workers get their limits pickled into the worker, so a set
whose state lives in one process only would silently become one copy per
worker. For them such a set is replaced by a twin (made once per set and mode)
on the multiprocess backend (processes) or the Ray backend (one actor holding
the state, for workers on any machine), which every worker given the same set
shares.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

__all__ = ["all_limit_sets", "check_limits", "limits_for_worker"]

_EMPTY: dict[str, Any] = {}
_twins: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
_twins_lock = threading.Lock()


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


def all_limit_sets(items: tuple[Any, ...]) -> bool:
    """True when every item is a ``LimitSet`` (a ``limits=`` list of sets, not of Limits)."""
    from concurry_limits import LimitSet

    return all(isinstance(item, LimitSet) for item in items)


def limits_for_worker(limits: Any, mode: Any, worker_index: int = 0, shared: bool = False) -> Any:
    """The limits object of one worker.

    Args:
        limits: The validated ``limits`` option.
        mode: The execution mode (picks the limit backend for sets built here).
        worker_index: Position in a pool (offsets a LimitPool's round-robin).
        shared: Build one set shared by several workers (pools) from a list of Limits.
    """
    mode_name = getattr(mode, "value", mode)
    if limits is None or limits == ():
        # an empty set holds no state, so one per mode is shared by every worker
        empty = _EMPTY.get(mode_name)
        if empty is None:
            from concurry_limits import LimitSet

            empty = _EMPTY[mode_name] = LimitSet([], mode=mode_name)
        return empty
    from concurry_limits import LimitPool, LimitSet

    remote = mode_name in _SHARED_ENOUGH
    if isinstance(limits, LimitSet):
        return _shared_twin(limits, mode_name) if remote else limits
    if isinstance(limits, LimitPool):
        if not remote:
            return limits
        sets = [_shared_twin(s, mode_name) for s in limits.limit_sets]
        if all(new is old for new, old in zip(sets, limits.limit_sets)):
            return limits
        return LimitPool(sets, load_balancing=limits.load_balancing, worker_index=worker_index)
    if all(isinstance(item, LimitSet) for item in limits):
        sets = [_shared_twin(s, mode_name) for s in limits] if remote else list(limits)
        return LimitPool(sets, worker_index=worker_index)
    return LimitSet(list(limits), shared=shared, mode=mode_name)


#: Modes whose workers run elsewhere (a twin of a set is made on the backend named
#: like the mode), and the backends already shared widely enough for them.
_SHARED_ENOUGH = {"process": ("multiprocess", "redis", "ray"), "ray": ("redis", "ray")}


def _shared_twin(limit_set: Any, mode_name: str) -> Any:
    """``limit_set``, or its twin on a backend the workers of ``mode_name`` share.

    Process workers get a multiprocess twin of a set whose state lives in this
    process only; Ray workers (possibly on other machines) a Ray twin of any set
    not already in Redis or Ray.
    """
    if limit_set.backend.name in _SHARED_ENOUGH[mode_name]:
        return limit_set
    with _twins_lock:
        twins = _twins.setdefault(limit_set, {})
        twin = twins.get(mode_name)
        if twin is None:
            from concurry_limits import LimitSet

            twin = twins[mode_name] = LimitSet(
                limit_set.limits,
                shared=True,
                mode=mode_name,
                config=limit_set.config,
            )
    return twin
