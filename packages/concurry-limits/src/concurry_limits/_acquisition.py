"""What an acquire returns: :class:`LimitSetAcquisition` (and per-limit :class:`Acquisition`)."""

from __future__ import annotations

from collections.abc import Mapping

from concurry_limits._errors import LimitUsageError, LimitUsageWarning, LimitValidationError
from concurry_limits._limits import ResourceLimit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from concurry_limits._limit_set import LimitSet
    from concurry_limits._limits import Limit
    from concurry_limits._plan import Plan

__all__ = ["Acquisition", "LimitSetAcquisition"]

_NUMBERS = (int, float)


class Acquisition:
    """What one limit of an acquisition holds (read-only record).

    Attributes:
        limit: The limit.
        requested: The amount taken from it.
        used: The usage reported with ``update()`` (None when not reported).
    """

    __slots__ = ("limit", "requested", "used")

    def __init__(self, limit: Limit, requested: float, used: float | None) -> None:
        self.limit = limit
        self.requested = requested
        self.used = used

    def __repr__(self) -> str:
        return (
            f"Acquisition(key={self.limit.key!r}, requested={self.requested:g}, used={self.used!r})"
        )


class LimitSetAcquisition:
    """An all-or-nothing grant from a :class:`LimitSet`; release it exactly once.

    Use it as a context manager (``with`` or ``async with``): leaving the block
    releases resources and refunds unused TokenBucket/GCRA tokens. Rate limits
    that were requested (and a CallLimit requested with more than 1) must get
    their usage with :meth:`update` first, otherwise release raises
    ``RuntimeError`` naming the keys, after everything has been released, and
    never while another exception is already propagating out of the block.

    Attributes:
        successful: False only for a failed :meth:`LimitSet.try_acquire`.
    """

    __slots__ = ("_config", "_plan", "_released", "_set", "_usage")

    successful: bool = True

    def __init__(self, limit_set: LimitSet, plan: Plan) -> None:
        self._set = limit_set
        self._plan = plan
        self._released = False
        self._usage: dict[str, float] | None = None

    @property
    def config(self) -> dict[str, Any]:
        """A copy of the LimitSet's ``config`` (e.g. which API key this set stands for)."""
        try:
            return self._config
        except AttributeError:
            self._config: dict[str, Any] = dict(self._set._config)
            return self._config

    @property
    def limit_set(self) -> LimitSet:
        """The LimitSet this acquisition came from (useful with a LimitPool)."""
        return self._set

    @property
    def requested(self) -> dict[str, float]:
        """The amounts taken, per key."""
        return dict(self._plan.amounts) if self.successful else {}

    @property
    def usage(self) -> dict[str, float]:
        """The usage reported so far, per key."""
        return dict(self._usage or {})

    @property
    def released(self) -> bool:
        """True once released (always True for a failed attempt)."""
        return self._released

    @property
    def acquisitions(self) -> dict[str, Acquisition]:
        """Per-key :class:`Acquisition` records."""
        usage = self._usage or {}
        by_key = self._set._by_key
        return {k: Acquisition(by_key[k], n, usage.get(k)) for k, n in self.requested.items()}

    def update(self, usage: Mapping[str, float] | None = None, **more: float) -> None:
        """Record actual usage per key (``acq.update(usage={"tokens": 87})``).

        A usage is a number >= 0. Below the amount acquired, TokenBucket and
        GCRA refund the rest on release; above it, the extra is charged on
        release (whatever room is left: the limit then waits until it is paid
        off) and a :class:`LimitUsageWarning` says so, since a call that used
        more than estimated must still count. A CallLimit that was not named in
        ``requested`` takes a usage of 1 or more. Keys of ResourceLimits are
        ignored (their units are returned on release); keys the LimitSet does
        not know are ignored with a warning logged once per key.

        Raises:
            LimitUsageError: after release or on a failed attempt.
            LimitValidationError: on an invalid usage (not a number >= 0, a rate
                limit that was not acquired).
        """
        if self._released:
            if self.successful:
                raise LimitUsageError("Cannot update an already released acquisition")
            raise LimitUsageError("Cannot update a failed acquisition (it holds nothing)")
        items = dict(usage) if usage else {}
        if more:
            items.update(more)
        updatable = self._plan.updatable
        ignored = []
        for key, used in items.items():
            n = updatable.get(key)
            in_range = n is not None and used.__class__ in _NUMBERS and 0 <= used <= n
            if not in_range and not self._check(key, used):
                ignored.append(key)
        for key in ignored:
            del items[key]
        current = self._usage
        if current is None:
            self._usage = items
        else:
            current.update(items)

    def _check(self, key: str, used: Any) -> bool:
        """Validate one usage off the fast path; False when the key is ignored.

        Raises:
            LimitValidationError: The usage is invalid.
        """
        limit = self._set._by_key.get(key)
        if limit is None:
            self._set._warn_unknown(key, "in update()")
            return False
        if isinstance(limit, ResourceLimit):
            return False  # its units are returned on release, whatever was used
        plan = self._plan
        acquired = plan.amounts.get(key)
        over = limit.validate_usage(acquired or 0.0, used)
        if acquired is None:
            if limit.unbounded:
                return True
            raise LimitValidationError(
                f"usage given for {key!r}, which was not acquired; name it in "
                "acquire(requested=...) to report its usage"
            )
        if key in plan.implicit and used < 1:
            raise LimitValidationError(
                f"usage for {key!r} must be >= 1 (the call was made) unless it was requested "
                f"explicitly, got {used!r}"
            )
        if over:
            import warnings

            warnings.warn(
                f"usage {used:g} of {key!r} exceeds the {acquired:g} acquired; "
                f"the extra {over:g} is counted against the limit",
                LimitUsageWarning,
                stacklevel=3,
            )
        return True

    def _gives(self) -> tuple[tuple[int, float], ...]:
        """What release settles: resources and unused refundable tokens handed back
        (positive amounts), usage beyond the grant charged (negative amounts)."""
        plan = self._plan
        usage = self._usage
        gives = plan.resources
        if usage is not None:
            rates = plan.rates
            extra = []
            for k, used in usage.items():
                rate = rates.get(k)
                if rate is not None:
                    i, n, refunds = rate
                    if used > n or (refunds and used < n):
                        extra.append((i, n - used))
            if extra:
                gives = gives + tuple(extra)
        return gives

    def _missing(self) -> tuple[str, ...]:
        """Keys that had to be updated and were not."""
        needs = self._plan.needs_update
        usage = self._usage
        if needs:
            if usage is None:
                return needs
            for k in needs:
                if k not in usage:
                    return tuple(k for k in needs if k not in usage)
        return ()

    def _finish(self) -> tuple[str, ...]:
        """Release everything; return the keys that should have been updated."""
        if self._released:
            return ()
        self._released = True
        gives = self._gives()
        if gives:
            self._set._store.give_back(gives)
        return self._missing()

    def release(self) -> None:
        """Release now (idempotent).

        Raises:
            LimitUsageError: (a ``RuntimeError``) after releasing, when rate limits
                were not updated.
        """
        missing = self._finish()
        if missing:
            raise LimitUsageError(_missing_message(missing))

    def __enter__(self) -> LimitSetAcquisition:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if self._plan.simple and self._usage is None:
            self._released = True  # nothing to give back, nothing to check
            return
        if exc_type is None:
            self.release()
        else:
            self._finish()

    async def __aenter__(self) -> LimitSetAcquisition:
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        await self._async_exit(exc_type)

    async def _async_exit(self, exc_type: Any) -> None:
        store = self._set._store
        if self._released or (self._plan.simple and self._usage is None) or not store.network:
            self.__exit__(exc_type, None, None)
            return
        # as __exit__, with the network round trip off the event loop
        self._released = True
        gives = self._gives()
        if gives:
            await store.async_give_back(gives)
        missing = self._missing()
        if missing and exc_type is None:
            raise LimitUsageError(_missing_message(missing))

    def __repr__(self) -> str:
        state = "released" if self._released else "held"
        if not self.successful:
            state = "failed"
        return f"LimitSetAcquisition({state}, requested={self.requested})"


def _missing_message(missing: tuple[str, ...]) -> str:
    return (
        "Not all limits in the LimitSet were updated: update() was not called for rate "
        f"limits {', '.join(map(repr, missing))} before release; call acq.update(usage={{...}})"
    )


class FailedAcquisition(LimitSetAcquisition):
    """What a failed :meth:`LimitSet.try_acquire` returns: holds nothing."""

    __slots__ = ()

    successful = False

    def __init__(self, limit_set: LimitSet, plan: Plan) -> None:
        self._set = limit_set
        self._plan = plan
        self._released = True
        self._usage = None

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        return None

    def __repr__(self) -> str:
        return "LimitSetAcquisition(failed)"


class EmptyAcquisition(LimitSetAcquisition):
    """The constant acquisition of a set with nothing to take: no state, no locks."""

    __slots__ = ()

    def update(self, usage: Mapping[str, float] | None = None, **more: float) -> None:
        """Nothing to record."""

    def _finish(self) -> tuple[str, ...]:
        return ()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        return None

    @property
    def released(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "LimitSetAcquisition(empty)"
