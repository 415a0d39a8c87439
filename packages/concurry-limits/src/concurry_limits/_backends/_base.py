"""The one small interface every limit backend implements, and the backend registry.

A :class:`Backend` is a picklable description of *where* limit state lives; its
:meth:`Backend.create_store` makes a :class:`Store` holding the state of one
LimitSet's limits. Stores speak in *entries*: tuples ``(index, amount)`` naming a
limit by its position in the set. The algorithms themselves live in
``concurry_limits._algorithms`` and are shared by every backend through
:func:`attempt`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from concurry_limits._errors import LimitValidationError
from concurry_limits._limits import Limit

__all__ = ["Backend", "Store", "attempt", "register_backend", "resolve_backend"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Entries = tuple[tuple[int, float], ...]


def attempt(
    takes: Sequence[Callable[..., float]],
    untakes: Sequence[Callable[..., None]],
    states: Sequence[Any],
    entries: Entries,
    now: float,
) -> float:
    """All-or-nothing take of every entry at ``now``.

    Returns 0.0 when everything was granted (and applied), else the earliest time
    at which the first refusing limit could grant (``inf`` for a resource); in
    that case every partial take has been undone exactly.
    """
    for k, (i, n) in enumerate(entries):
        r = takes[i](states[i], n, now)
        if r:
            for j in range(k):
                i2, n2 = entries[j]
                untakes[i2](states[i2], n2, now)
            return r
    return 0.0


class Store:
    """State of one LimitSet's limits in one backend (internal interface).

    Implementations: in-process, multiprocess (shared memory), Redis, Ray.

    Attributes:
        network: True when an attempt is a network round trip; async callers
            then run attempts and releases off the event loop.
    """

    network = False

    def try_take(self, entries: Entries) -> float:
        """One all-or-nothing attempt: 0.0 when granted, else a retry time (store clock)."""
        raise NotImplementedError

    def compile(self, entries: Entries) -> Callable[[], float]:
        """A zero-argument :meth:`try_take` for fixed ``entries`` (stores may specialise it)."""
        try_take = self.try_take
        return lambda: try_take(entries)

    def take(self, entries: Entries, deadline: float | None) -> bool:
        """Block until granted (True) or ``deadline`` (``time.monotonic``) passes (False)."""
        raise NotImplementedError

    async def async_take(self, entries: Entries, deadline: float | None) -> bool:
        """As :meth:`take`, without blocking the event loop."""
        raise NotImplementedError

    async def async_give_back(self, items: Entries) -> None:
        """As :meth:`give_back`, without blocking the event loop."""
        self.give_back(items)

    def give_back(self, items: Entries) -> None:
        """Release resources and refund unused tokens: ``(index, amount)`` per item."""
        raise NotImplementedError

    def stats(self) -> list[dict[str, float]]:
        """Per-limit read-only statistics, in set order."""
        raise NotImplementedError

    def close(self) -> None:
        """Free what the store owns (idempotent)."""


class Backend:
    """Where the state of a :class:`LimitSet` lives; pass one as ``LimitSet(backend=...)``.

    Built in: :class:`InProcessBackend` (``"inprocess"``, the default),
    :class:`MultiprocessBackend` (``"multiprocess"``) and :class:`RedisBackend`
    (``"redis"``). Other packages add theirs with :func:`register_backend`.
    """

    name = "base"

    def create_store(self, limits: tuple[Limit, ...]) -> Store:
        """Allocate the state of ``limits`` (bounded limits only, in set order)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _norm(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "").replace(" ", "")


_REGISTRY: dict[str, Callable[[], Backend]] = {}


def register_backend(name: str, factory: Callable[[], Backend], *aliases: str) -> None:
    """Make ``LimitSet(backend=name)`` (and ``mode=name``) build ``factory()``.

    Args:
        name: The backend's name (matched case-insensitively, ignoring ``_ - ``).
        factory: Called with no argument to build the backend.
        *aliases: More names for the same backend.
    """
    for n in (name, *aliases):
        _REGISTRY[_norm(n)] = factory


def _inprocess() -> Backend:
    from concurry_limits._backends._inprocess import InProcessBackend

    return InProcessBackend()


def _multiprocess() -> Backend:
    from concurry_limits._backends._multiprocess import MultiprocessBackend

    return MultiprocessBackend()


def _redis() -> Backend:
    from concurry_limits._backends._redis import RedisBackend

    return RedisBackend()


register_backend("inprocess", _inprocess, "in_process", "local", "memory", "thread", "threads")
register_backend("multiprocess", _multiprocess, "process", "processes", "shared_memory", "shm")
register_backend("redis", _redis)


def resolve_backend(value: Backend | str) -> Backend:
    """A backend from an instance or a registered name."""
    if isinstance(value, Backend):
        return value
    if isinstance(value, str):
        factory = _REGISTRY.get(_norm(value))
        if factory is None:
            if _norm(value) == "ray":
                raise LimitValidationError(
                    "backend 'ray' is not registered; install and import concurry-ray"
                )
            choices = ", ".join(sorted(_REGISTRY))
            raise LimitValidationError(f"unknown backend {value!r}; valid choices: {choices}")
        return factory()
    raise LimitValidationError(f"backend must be a Backend or a name, got {value!r}")
