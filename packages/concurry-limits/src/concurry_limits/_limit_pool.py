"""LimitPool: spread acquisitions over several LimitSets (e.g. one per API key)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping

from concurry_limits._acquisition import LimitSetAcquisition
from concurry_limits._errors import LimitValidationError
from concurry_limits._limit_set import LimitSet

__all__ = ["LimitPool"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_BALANCING = {
    "roundrobin": "round_robin",
    "rr": "round_robin",
    "random": "random",
    "rand": "random",
}


def _balancing(value: Any) -> str:
    for raw in (value, getattr(value, "value", None), getattr(value, "name", None)):
        if isinstance(raw, str):
            canon = _BALANCING.get(raw.lower().replace("_", "").replace("-", "").replace(" ", ""))
            if canon is not None:
                return canon
    raise LimitValidationError(
        f"unknown load_balancing {value!r} for a LimitPool; valid choices: round_robin, random"
    )


class LimitPool:
    """Several :class:`LimitSet` objects behind one acquire API.

    Each acquire picks a set (round robin starting at ``worker_index``, or at
    random), tries it and then the others without waiting, and only then waits
    on the picked set. ``acq.config`` / ``acq.limit_set`` tell which set granted.

    Args:
        limit_sets: One or more LimitSets.
        load_balancing: ``"round_robin"`` (``"rr"``) or ``"random"`` (``"rand"``).
        worker_index: Where round robin starts (e.g. a worker's index in its pool).
    """

    __slots__ = ("_balancing", "_counter", "_n", "_sets", "_worker_index")

    def __init__(
        self,
        limit_sets: Iterable[LimitSet],
        load_balancing: Any = "round_robin",
        worker_index: int = 0,
    ) -> None:
        sets = tuple(limit_sets)
        if not sets:
            raise LimitValidationError("limit_sets must contain at least one LimitSet, got none")
        for s in sets:
            if not isinstance(s, LimitSet):
                raise LimitValidationError(f"limit_sets must be LimitSet objects, got {s!r}")
        if isinstance(worker_index, bool) or not isinstance(worker_index, int) or worker_index < 0:
            raise LimitValidationError(
                f"worker_index must be an integer >= 0, got {worker_index!r}"
            )
        self._sets = sets
        self._n = len(sets)
        self._balancing = _balancing(load_balancing)
        self._worker_index = worker_index
        self._counter = itertools.count(worker_index)

    @property
    def limit_sets(self) -> tuple[LimitSet, ...]:
        """The sets, in order."""
        return self._sets

    @property
    def load_balancing(self) -> str:
        """``"round_robin"`` or ``"random"``."""
        return self._balancing

    @property
    def worker_index(self) -> int:
        """Where round robin starts (e.g. the index of the worker that owns this pool)."""
        return self._worker_index

    def __getitem__(self, index: int) -> LimitSet:
        return self._sets[index]

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[LimitSet]:
        return iter(self._sets)

    def __repr__(self) -> str:
        return f"LimitPool({len(self._sets)} sets, load_balancing={self._balancing!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (LimitPool, (self._sets, self._balancing, self._worker_index))

    def _start(self) -> int:
        if self._balancing == "random":
            import random

            return random.randrange(self._n)
        return next(self._counter) % self._n

    def _try_all(
        self, start: int, requested: Mapping[str, float] | None
    ) -> LimitSetAcquisition | None:
        for k in range(self._n):
            acq = self._sets[(start + k) % self._n].try_acquire(requested)
            if acq.successful:
                return acq
        return None

    def acquire(
        self, requested: Mapping[str, float] | None = None, timeout: float | None = None
    ) -> LimitSetAcquisition:
        """Like :meth:`LimitSet.acquire`, on the first set that can grant."""
        start = self._start()
        acq = self._try_all(start, requested)
        return acq if acq is not None else self._sets[start].acquire(requested, timeout)

    def try_acquire(self, requested: Mapping[str, float] | None = None) -> LimitSetAcquisition:
        """One attempt on each set in turn; ``.successful`` tells."""
        start = self._start()
        acq = self._try_all(start, requested)
        return acq if acq is not None else self._sets[start].try_acquire(requested)

    def async_acquire(
        self, requested: Mapping[str, float] | None = None, timeout: float | None = None
    ) -> Any:
        """Like :meth:`LimitSet.async_acquire` (awaitable and ``async with``)."""
        start = self._start()
        if any(s._network for s in self._sets):  # no round trips on the event loop
            return self._sets[start].async_acquire(requested, timeout)
        acq = self._try_all(start, requested)
        if acq is not None:
            return _Ready(acq)
        return self._sets[start].async_acquire(requested, timeout)

    def get_stats(self) -> dict[str, Any]:
        """The pool's configuration and every set's statistics.

        Returns:
            ``num_limit_sets``, ``load_balancing``, ``worker_index`` and
            ``limit_sets``: the :meth:`LimitSet.get_stats` of every set, in order.
        """
        return {
            "num_limit_sets": self._n,
            "load_balancing": self._balancing,
            "worker_index": self._worker_index,
            "limit_sets": [s.get_stats() for s in self._sets],
        }


class _Ready:
    """An already granted acquisition, awaitable and usable with ``async with``."""

    __slots__ = ("_acq",)

    def __init__(self, acq: LimitSetAcquisition) -> None:
        self._acq = acq

    def __await__(self) -> Any:
        return self._get().__await__()

    async def _get(self) -> LimitSetAcquisition:
        return self._acq

    async def __aenter__(self) -> LimitSetAcquisition:
        return self._acq

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        await self._acq._async_exit(exc_type)
