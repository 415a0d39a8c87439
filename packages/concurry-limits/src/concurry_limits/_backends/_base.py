"""The one small interface every limit backend implements.

A :class:`Backend` is a picklable description of *where* limit state lives; its
:meth:`Backend.create_store` makes a :class:`Store` holding the state of one
LimitSet's limits. Stores speak in *entries*: tuples ``(index, amount)`` naming a
limit by its position in the set. The algorithms themselves live in
``concurry_limits._algorithms`` and are shared by every backend through
:func:`attempt`. Backends are found by name in ``_registry``, which imports them;
this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from concurry_limits._limits import Limit

__all__ = ["Backend", "Entries", "Store", "attempt"]

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
        """Settle a release, ``(index, amount)`` per item, with the algorithms' `settle_of`.

        A positive amount returns resource units or refunds unused tokens; a
        negative one charges units used beyond the grant (an over-usage).
        """
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
    (``"redis"``). Other packages add theirs with :func:`register_backend` or
    an entry point in the group ``concurry.limit_backends``.
    """

    name = "base"

    def create_store(self, limits: tuple[Limit, ...]) -> Store:
        """Allocate the state of ``limits`` (bounded limits only, in set order)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
