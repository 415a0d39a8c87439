"""The original ``concurry.core.limit.limit_set``: ``LimitSet`` and its per-backend classes.

The original had one limit-set class per backend (``InMemorySharedLimitSet``,
``MultiprocessSharedLimitSet``, ``RaySharedLimitSet``, ``NoOpLimitSet``) under an
abstract ``BaseLimitSet``. concurry has one :class:`concurry_limits.LimitSet`
whose state lives in a backend. The classes here are stand-ins that keep the
original's code working:

- ``isinstance(s, BaseLimitSet)`` is True for every ``LimitSet``;
- ``isinstance(s, InMemorySharedLimitSet)`` (and the multiprocess and Ray
  ones) is True for a ``LimitSet`` whose backend is that one;
- ``isinstance(s, NoOpLimitSet)`` is True for a ``LimitSet`` that can never
  make a caller wait (no limits, or only unbounded ones), e.g. the
  ``self.limits`` of a worker configured without limits;
- calling ``InMemorySharedLimitSet(limits, config=...)`` (or another one)
  returns a ``LimitSet`` on that backend.

Nothing here imports ``concurry_limits`` before it is used: an object can only
be a ``LimitSet`` once that package is imported.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from concurry._exports import lazy_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from concurry_limits import Limit
    from concurry_limits import LimitSet as LimitSet
    from concurry_limits import LimitSetAcquisition as LimitSetAcquisition

__all__, __getattr__, __dir__ = lazy_module(
    __name__,
    ["LimitSet", "LimitSetAcquisition"],
    local=[
        "BaseLimitSet",
        "InMemorySharedLimitSet",
        "MultiprocessSharedLimitSet",
        "NoOpLimitSet",
        "RaySharedLimitSet",
    ],
)


class _LimitSetKind(type):
    """Metaclass of the stand-ins.

    ``isinstance(s, cls)``: ``s`` is a ``LimitSet`` on the backend named
    ``cls.backend_name`` (any backend when it is None). ``cls(limits,
    config=...)``: a ``LimitSet(limits, shared=True, config=config,
    **cls.where)``; ``shared`` is accepted for the original's signature (a
    stand-in's backend decides what is shared).
    """

    backend_name: str | None
    where: dict[str, Any]

    def __instancecheck__(cls, obj: object) -> bool:
        module = sys.modules.get("concurry_limits")
        if module is None or not isinstance(obj, module.LimitSet):
            return False
        return cls._matches(obj)

    def __call__(
        cls,
        limits: Iterable[Limit] | Limit = (),
        shared: bool = True,
        config: Mapping[str, Any] | None = None,
    ) -> Any:
        return cls._build(limits, config)

    def _build(cls, limits: Iterable[Limit] | Limit, config: Mapping[str, Any] | None) -> Any:
        from concurry_limits import LimitSet

        return LimitSet(limits, shared=True, config=config, **cls.where)

    def _matches(cls, limit_set: Any) -> bool:
        return cls.backend_name is None or limit_set.backend.name == cls.backend_name


if TYPE_CHECKING:
    # what type checkers see: each stand-in is a LimitSet (isinstance narrows to one)
    _StandIn = LimitSet
else:

    class _StandIn(metaclass=_LimitSetKind):
        backend_name = None
        where: dict[str, Any] = {}


class BaseLimitSet(_StandIn):
    """Any limit set: ``isinstance(s, BaseLimitSet)`` is True for every ``LimitSet``.

    Abstract, as in the original: build sets with ``LimitSet(...)``.
    """

    backend_name = None

    @classmethod
    def _build(cls, limits: Any, config: Any) -> Any:
        raise TypeError("BaseLimitSet is abstract; build a set with LimitSet(limits, ...)")


class InMemorySharedLimitSet(_StandIn):
    """A ``LimitSet`` whose state lives in this process (threads, asyncio, sync).

    ``InMemorySharedLimitSet(limits, config=None)`` returns
    ``LimitSet(limits, shared=True, config=config, backend="inprocess")``.
    """

    backend_name = "inprocess"
    where = {"backend": "inprocess"}


class MultiprocessSharedLimitSet(_StandIn):
    """A ``LimitSet`` whose state lives in shared memory, shared by processes.

    ``MultiprocessSharedLimitSet(limits, config=None)`` returns
    ``LimitSet(limits, shared=True, mode="process", config=config)``.
    """

    backend_name = "multiprocess"
    where = {"mode": "process"}


class RaySharedLimitSet(_StandIn):
    """A ``LimitSet`` whose state lives in a Ray actor, shared by a cluster.

    ``RaySharedLimitSet(limits, config=None)`` returns
    ``LimitSet(limits, shared=True, mode="ray", config=config)``; it needs
    ``concurry[ray]`` (without it, the error says so). ``isinstance`` works
    without Ray.
    """

    backend_name = "ray"
    where = {"mode": "ray"}


class NoOpLimitSet(_StandIn):
    """A ``LimitSet`` that never makes a caller wait: no limits, or only unbounded ones.

    ``NoOpLimitSet(limits=None, config=None)`` returns an empty
    ``LimitSet(config=config)``: every acquire succeeds at once. Limits given
    to it are not kept (a no-op set enforces none); asking for their keys
    logs the unknown-key warning once.
    """

    backend_name = None

    @classmethod
    def _build(cls, limits: Any, config: Mapping[str, Any] | None) -> Any:
        from concurry_limits import LimitSet

        return LimitSet((), config=config)

    @classmethod
    def _matches(cls, limit_set: Any) -> bool:
        return all(limit.unbounded for limit in limit_set.limits)
