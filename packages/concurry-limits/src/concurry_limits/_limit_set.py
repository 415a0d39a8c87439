"""LimitSet: limits acquired together, all-or-nothing, on one backend."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Mapping
from time import monotonic

from concurry_limits._acquisition import (
    EmptyAcquisition,
    FailedAcquisition,
    LimitSetAcquisition,
)
from concurry_limits._backends._base import Backend, Store
from concurry_limits._backends._registry import resolve_backend
from concurry_limits._errors import LimitTimeoutError, LimitValidationError
from concurry_limits._limits import Limit
from concurry_limits._plan import Plan, build_plan

__all__ = ["LimitSet"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MODES = {
    "sync": "sync",
    "synchronous": "sync",
    "thread": "thread",
    "threads": "thread",
    "process": "process",
    "processes": "process",
    "proc": "process",
    "asyncio": "asyncio",
    "async": "asyncio",
    "ray": "ray",
}
_PLAN_CACHE_SIZE = 256


def _mode(value: Any) -> str:
    for raw in (value, getattr(value, "value", None), getattr(value, "name", None)):
        if isinstance(raw, str):
            canon = _MODES.get(raw.lower().replace("_", "").replace("-", "").replace(" ", ""))
            if canon is not None:
                return canon
    choices = ", ".join(sorted(set(_MODES.values())))
    raise LimitValidationError(f"unknown mode {value!r}; valid choices: {choices}")


def _check_timeout(timeout: Any) -> None:
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout >= 0:
        raise LimitValidationError(f"timeout must be None or a number >= 0, got {timeout!r}")


def _deadline(timeout: float | None) -> float | None:
    return None if timeout is None else monotonic() + timeout


def _granted() -> float:
    return 0.0


class LimitSet:
    """Limits acquired together: every acquire is all-or-nothing across the set.

    Args:
        limits: :class:`Limit` objects with distinct keys (a single Limit is accepted).
        shared: With ``mode="process"``, share the state between processes
            (multiprocess backend); with ``mode="ray"``, the Ray backend.
        mode: The execution mode the set is used from: ``"sync"``, ``"thread"``,
            ``"asyncio"``, ``"process"`` or ``"ray"``.
        config: Any dict carried along (e.g. the API key this set stands for);
            every acquisition gets a copy.
        backend: A :class:`Backend` or a registered name (``"inprocess"``,
            ``"multiprocess"``, ``"redis"``); overrides ``shared``/``mode``.

    Raises:
        LimitValidationError: duplicate keys, non-Limit items, bad mode/config/backend.
    """

    __slots__ = (
        "__weakref__",
        "_backend",
        "_bounded",
        "_by_key",
        "_config",
        "_default",
        "_empty",
        "_limits",
        "_mode",
        "_network",
        "_plans",
        "_shared",
        "_store",
        "_warned",
    )

    def __init__(
        self,
        limits: Iterable[Limit] | Limit = (),
        shared: bool = False,
        mode: Any = "sync",
        config: Mapping[str, Any] | None = None,
        backend: Backend | str | None = None,
    ) -> None:
        items = (limits,) if isinstance(limits, Limit) else tuple(limits or ())
        by_key: dict[str, Limit] = {}
        for limit in items:
            if not isinstance(limit, Limit):
                raise LimitValidationError(f"limits must be Limit objects, got {limit!r}")
            if limit.key in by_key:
                raise LimitValidationError(
                    f"Duplicate limit key {limit.key!r}: keys in a LimitSet must be unique"
                )
            by_key[limit.key] = limit
        if config is not None and not isinstance(config, Mapping):
            raise LimitValidationError(f"config must be a dict or None, got {config!r}")
        self._limits = items
        self._by_key = by_key
        self._config = dict(config or {})
        self._mode = _mode(mode)
        self._shared = bool(shared)
        if backend is None:
            if self._shared and self._mode in ("process", "ray"):
                backend = self._mode if self._mode == "ray" else "multiprocess"
            else:
                backend = "inprocess"
        self._backend = resolve_backend(backend)
        self._bounded = tuple(limit for limit in items if not limit.unbounded)
        self._setup(None)

    def _setup(self, store: Store | None) -> None:
        self._warned: set[str] = set()
        self._plans: dict[Any, Plan] = {}
        if store is None and self._bounded:
            store = self._backend.create_store(self._bounded)
        self._store: Store = store  # type: ignore[assignment]
        self._network = bool(store is not None and store.network)
        self._default = self._compiled(build_plan(self._bounded, None))
        self._empty = EmptyAcquisition(self, self._default) if not self._default.entries else None

    def _compiled(self, plan: Plan) -> Plan:
        plan.try_take = self._store.compile(plan.entries) if plan.entries else _granted
        return plan

    # -- container protocol -------------------------------------------------

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The limits, in the order given."""
        return self._limits

    @property
    def config(self) -> dict[str, Any]:
        """The set's config dict (each acquisition gets a copy)."""
        return self._config

    @property
    def shared(self) -> bool:
        """Whether ``shared=True`` was asked for."""
        return self._shared

    @property
    def mode(self) -> str:
        """The canonical mode name."""
        return self._mode

    @property
    def backend(self) -> Backend:
        """The backend holding the state."""
        return self._backend

    def keys(self) -> list[str]:
        """The limit keys, in order."""
        return list(self._by_key)

    def __getitem__(self, key: str) -> Limit:
        try:
            return self._by_key[key]
        except KeyError:
            raise KeyError(f"no limit with key {key!r}; keys: {list(self._by_key)}") from None

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Limit]:
        return iter(self._limits)

    def __len__(self) -> int:
        return len(self._limits)

    def __repr__(self) -> str:
        return f"LimitSet({list(self._limits)!r}, backend={self._backend!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        state = (self._limits, self._shared, self._mode, self._config, self._backend, self._store)
        return (_rebuild, state)

    # -- acquiring --------------------------------------------------------------

    def _plan(self, requested: Mapping[str, Any]) -> Plan:
        try:
            cache_key: Any = tuple(requested.items())
            plan = self._plans.get(cache_key)
        except (TypeError, AttributeError):
            if not isinstance(requested, Mapping):
                raise LimitValidationError(
                    f"requested must be a dict of key -> amount, got {requested!r}"
                ) from None
            cache_key, plan = None, None
        if plan is not None:
            return plan
        if not isinstance(requested, Mapping):
            raise LimitValidationError(
                f"requested must be a dict of key -> amount, got {requested!r}"
            )
        for key in requested:
            if key not in self._by_key:
                self._warn_unknown(key, "requested")
        plan = self._compiled(build_plan(self._bounded, requested))
        if cache_key is not None:
            if len(self._plans) >= _PLAN_CACHE_SIZE:
                self._plans.clear()
            self._plans[cache_key] = plan
        return plan

    def _warn_unknown(self, key: Any, where: str) -> None:
        """Log once per key that ``key`` (``requested`` or ``updated``) is not a limit here."""
        if key in self._warned:
            return
        self._warned.add(key)
        import logging

        logging.getLogger("concurry_limits").warning(
            "Unknown limit key %r %s: not a limit of this LimitSet (keys: %s); ignored",
            key,
            where,
            list(self._by_key),
        )

    def _resolve(self, requested: Mapping[str, Any] | None) -> Plan | LimitSetAcquisition:
        """The plan for ``requested``, or the acquisition to return at once if it takes nothing."""
        if requested is None:
            if self._empty is not None:
                return self._empty
            return self._default
        plan = self._plan(requested)
        if not plan.entries:
            return self._empty or LimitSetAcquisition(self, plan)
        return plan

    def acquire(
        self, requested: Mapping[str, float] | None = None, timeout: float | None = None
    ) -> LimitSetAcquisition:
        """Take every requested amount at once, waiting (without polling) as needed.

        Args:
            requested: Amount per key. CallLimits and ResourceLimits not named are
                taken with 1; RateLimits not named are not taken.
            timeout: Seconds to wait at most (None: forever; 0: one attempt).

        Returns:
            A :class:`LimitSetAcquisition` (use it as a context manager).

        Raises:
            LimitTimeoutError: (a ``TimeoutError``) when the timeout passes.
            LimitValidationError: (a ``ValueError``) for an amount above a capacity
                or otherwise invalid.
        """
        if timeout is not None:
            _check_timeout(timeout)
        plan = self._resolve(requested)
        if not isinstance(plan, Plan):
            return plan
        if not plan.try_take():
            return LimitSetAcquisition(self, plan)
        deadline = _deadline(timeout)
        if (deadline is None or timeout) and self._store.take(plan.entries, deadline):
            return LimitSetAcquisition(self, plan)
        raise LimitTimeoutError(self._timeout_message(plan, timeout))

    def try_acquire(self, requested: Mapping[str, float] | None = None) -> LimitSetAcquisition:
        """One attempt, never waiting; check ``.successful`` on the result."""
        plan = self._resolve(requested)
        if not isinstance(plan, Plan):
            return plan
        if not plan.try_take():
            return LimitSetAcquisition(self, plan)
        return FailedAcquisition(self, plan)

    def async_acquire(
        self, requested: Mapping[str, float] | None = None, timeout: float | None = None
    ) -> AsyncAcquire:
        """As :meth:`acquire`, without blocking the event loop.

        Use ``async with ls.async_acquire(...) as acq:`` or ``acq = await ls.async_acquire()``.
        Cancelling the waiting task leaves nothing held.
        """
        return AsyncAcquire(self, requested, timeout)

    def _first(
        self, requested: Mapping[str, float] | None, timeout: float | None
    ) -> LimitSetAcquisition | Plan:
        """One non-blocking attempt: the acquisition, or the plan still to wait for."""
        if timeout is not None:
            _check_timeout(timeout)
        plan = self._resolve(requested)
        if not isinstance(plan, Plan):
            return plan
        if self._network:
            return plan  # the attempt is a round trip: make it off the event loop
        if not plan.try_take():
            return LimitSetAcquisition(self, plan)
        return plan

    async def _async_wait(self, plan: Plan, timeout: float | None) -> LimitSetAcquisition:
        deadline = _deadline(timeout)
        # a network store has not tried yet (see _first): it always gets one attempt
        if (deadline is None or timeout or self._network) and await self._store.async_take(
            plan.entries, deadline
        ):
            return LimitSetAcquisition(self, plan)
        raise LimitTimeoutError(self._timeout_message(plan, timeout))

    async def _async_acquire(
        self, requested: Mapping[str, float] | None, timeout: float | None
    ) -> LimitSetAcquisition:
        got = self._first(requested, timeout)
        if got.__class__ is Plan:
            return await self._async_wait(got, timeout)  # type: ignore[arg-type]
        return got  # type: ignore[return-value]

    def _timeout_message(self, plan: Plan, timeout: float | None) -> str:
        keys = ", ".join(f"{k}={n:g}" for k, n in plan.amounts.items())
        return f"Failed to acquire all limits within timeout={timeout!r} s (requested {keys})"

    def get_stats(self) -> dict[str, dict[str, Any]]:
        """Per key: the limit's :meth:`Limit.get_stats` and its live state.

        Live state: ``available`` now (0 while an over-usage is being paid
        off), and ``held`` for resources.
        """
        out: dict[str, dict[str, Any]] = {}
        live = (
            dict(zip((lim.key for lim in self._bounded), self._store.stats()))
            if self._bounded
            else {}
        )
        for limit in self._limits:
            row = limit.get_stats()
            if limit.unbounded:
                row["unbounded"] = True
                row["available"] = limit.capacity
            else:
                row.update(live[limit.key])
            out[limit.key] = row
        return out

    def close(self) -> None:
        """Free the backend's resources (e.g. unlink shared memory when this process made it)."""
        if self._store is not None:
            self._store.close()


class AsyncAcquire:
    """Awaitable and async context manager returned by :meth:`LimitSet.async_acquire`."""

    __slots__ = ("_acq", "_requested", "_set", "_timeout")

    def __init__(self, limit_set: Any, requested: Any, timeout: float | None) -> None:
        self._set = limit_set
        self._requested = requested
        self._timeout = timeout
        self._acq: LimitSetAcquisition | None = None

    def __await__(self) -> Generator[Any, None, LimitSetAcquisition]:
        return self._set._async_acquire(self._requested, self._timeout).__await__()

    async def __aenter__(self) -> LimitSetAcquisition:
        got = self._set._first(self._requested, self._timeout)
        if got.__class__ is Plan:
            got = await self._set._async_wait(got, self._timeout)
        self._acq = got
        return got

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        acq: Any = self._acq
        if self._set._network:
            await acq._async_exit(exc_type)
        else:  # nothing to wait for: release inline, without another coroutine
            acq.__exit__(exc_type, exc, tb)


def _rebuild(
    limits: tuple[Limit, ...],
    shared: bool,
    mode: str,
    config: dict[str, Any],
    backend: Backend,
    store: Store | None,
) -> LimitSet:
    ls = object.__new__(LimitSet)
    ls._limits = limits
    ls._by_key = {limit.key: limit for limit in limits}
    ls._config = dict(config)
    ls._mode = mode
    ls._shared = shared
    ls._backend = backend
    ls._bounded = tuple(limit for limit in limits if not limit.unbounded)
    ls._setup(store)
    return ls
