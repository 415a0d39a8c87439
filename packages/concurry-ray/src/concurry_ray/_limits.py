"""The Ray limit backend: one actor holds a LimitSet's state for a whole cluster.

``LimitSet(..., mode="ray")`` (or a ray-mode pool given limits) creates one
actor that keeps the state with concurry-limits' own in-process store, so the
algorithms and refunds are the same as everywhere else. A store here is a
handle on that actor: pickling it (into ray-mode workers, other drivers'
tasks) shares the one state. Each attempt is one actor call; a refused attempt
comes back with the delay after which it may succeed (on the actor's clock,
so clocks of different machines never mix). Releases made elsewhere are not
pushed to waiters: a wait sleeps at most ``MAX_WAIT`` seconds at a time.
"""

from __future__ import annotations

from time import monotonic, sleep
from typing import Any

from concurry_limits import Backend, InProcessBackend, Store

from ._session import ensure_ray

__all__ = ["RayLimitBackend", "RayStore"]

#: Longest single sleep of a waiting acquire (releases elsewhere are noticed this late).
MAX_WAIT = 0.05
#: Seconds one call to the state actor may take before it is reported as unreachable.
CALL_TIMEOUT = 60.0
_INF = float("inf")


def _answer(ray: Any, ref: Any) -> Any:
    """The state actor's answer to one call, or a clear error after ``CALL_TIMEOUT``."""
    try:
        return ray.get(ref, timeout=CALL_TIMEOUT)
    except ray.exceptions.GetTimeoutError:
        raise TimeoutError(
            f"the Ray actor holding a LimitSet's state did not answer within {CALL_TIMEOUT:g} s"
        ) from None


class _LimitState:
    """The actor body: an in-process store of the set's limits."""

    def __init__(self, limits: tuple[Any, ...]) -> None:
        self._store = InProcessBackend().create_store(limits)

    def try_take(self, entries: tuple[tuple[int, float], ...]) -> float:
        """0.0 when granted, else seconds until it may be (``inf``: a resource is held)."""
        r = self._store.try_take(entries)
        if not r or r == _INF:
            return r
        return max(r - monotonic(), 1e-6)

    def give_back(self, items: tuple[tuple[int, float], ...]) -> None:
        self._store.give_back(items)

    def stats(self) -> list[dict[str, float]]:
        return self._store.stats()


_actor_class: list[Any] = []


def _state_actor_class() -> Any:
    if not _actor_class:
        ray = ensure_ray()
        # many callers at once; every method is short and the store has its own lock
        _actor_class.append(ray.remote(max_concurrency=64, num_cpus=0)(_LimitState))
    return _actor_class[0]


class RayStore(Store):
    """A LimitSet's state in a Ray actor (see the module doc); picklable."""

    network = True

    def __init__(self, actor: Any) -> None:
        self._actor = actor

    def try_take(self, entries: Any) -> float:
        import ray

        delay: float = _answer(ray, self._actor.try_take.remote(entries))
        return 0.0 if not delay else monotonic() + delay

    def compile(self, entries: Any) -> Any:
        try_take = self.try_take
        return lambda: try_take(entries)

    def take(self, entries: Any, deadline: float | None) -> bool:
        import ray

        tries = 0
        while True:
            delay = _answer(ray, self._actor.try_take.remote(entries))
            if not delay:
                return True
            now = monotonic()
            if deadline is not None and now >= deadline:
                return False
            cap = MAX_WAIT if delay != _INF else min(MAX_WAIT, 0.001 * 2 ** min(tries, 10))
            wait = min(delay, cap)
            if deadline is not None:
                wait = min(wait, deadline - now)
            tries += 1
            sleep(max(wait, 0.0))

    async def async_take(self, entries: Any, deadline: float | None) -> bool:
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(None, self.take, entries, deadline)

    def give_back(self, items: Any) -> None:
        import ray

        _answer(ray, self._actor.give_back.remote(items))

    async def async_give_back(self, items: Any) -> None:
        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, self.give_back, items)

    def stats(self) -> list[dict[str, float]]:
        import ray

        return _answer(ray, self._actor.stats.remote())  # type: ignore[no-any-return]

    def close(self) -> None:
        pass  # the actor lives as long as a handle on it does

    def __reduce__(self) -> tuple[Any, ...]:
        return RayStore, (self._actor,)


class RayLimitBackend(Backend):
    """Limit state in one Ray actor per LimitSet, shared by every process of the cluster."""

    name = "ray"

    def create_store(self, limits: tuple[Any, ...]) -> RayStore:
        """Start the actor holding the state of ``limits``."""
        return RayStore(_state_actor_class().remote(limits))

    def __reduce__(self) -> tuple[Any, ...]:
        return RayLimitBackend, ()
