"""Plans: what one acquire takes from which limit, validated once and cached."""

from __future__ import annotations

from collections.abc import Mapping

from concurry_limits._algorithms import algorithm_of
from concurry_limits._errors import LimitValidationError
from concurry_limits._limits import CallLimit, Limit, RateLimit, ResourceLimit

__all__ = ["Plan", "build_plan"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Plan:
    """Precomputed work of one acquire/release (immutable once built)."""

    __slots__ = (
        "amounts",
        "entries",
        "implicit",
        "needs_update",
        "rates",
        "resources",
        "simple",
        "try_take",
        "updatable",
    )

    def __init__(self) -> None:
        self.entries: tuple[tuple[int, float], ...] = ()
        self.resources: tuple[tuple[int, float], ...] = ()
        # rate keys taken -> (index, amount, refunds): what a reported usage settles
        self.rates: dict[str, tuple[int, float, bool]] = {}
        self.needs_update: tuple[str, ...] = ()
        self.amounts: dict[str, float] = {}
        self.implicit: frozenset[str] = frozenset()
        self.updatable: dict[str, float] = {}  # explicit rate keys -> amount
        self.simple = True  # nothing to do on release unless a usage was reported
        self.try_take: Any = None  # set by the LimitSet: store.compile(entries)


def _check_amount(limit: Limit, n: Any) -> float:
    key = limit.key
    if isinstance(n, bool) or not isinstance(n, int | float) or not n >= 0:
        raise LimitValidationError(f"requested amount for {key!r} must be a number >= 0, got {n!r}")
    if n > limit.capacity:
        raise LimitValidationError(
            f"requested {n!r} of {key!r} exceeds capacity {limit.capacity:g} "
            "and can never be fulfilled"
        )
    if n != int(n):
        if isinstance(limit, ResourceLimit):
            raise LimitValidationError(
                f"requested amount for resource {key!r} must be an integer, got {n!r}"
            )
        if algorithm_of(limit).INTEGER:
            assert isinstance(limit, RateLimit)
            raise LimitValidationError(
                f"requested amount for {key!r} must be an integer with {limit.algorithm.name}, "
                f"got {n!r}; use TokenBucket, LeakyBucket or GCRA for fractional amounts"
            )
    return float(n)


def build_plan(bounded: tuple[Limit, ...], requested: Mapping[str, Any] | None) -> Plan:
    """Validate ``requested`` against the set's bounded limits (in order) and plan it.

    CallLimits and ResourceLimits not named are taken with 1; a RateLimit not
    named is not taken; unknown keys are the caller's business (warned once).
    A named RateLimit must be updated before release, except a CallLimit named
    with 1 (one call, the default): its usage may be reported, but need not be.
    """
    req = requested or {}
    entries = []
    resources = []
    rates: dict[str, tuple[int, float, bool]] = {}
    needs_update = []
    amounts: dict[str, float] = {}
    implicit = []
    optional = []
    for i, limit in enumerate(bounded):
        key = limit.key
        if key in req:
            n = _check_amount(limit, req[key])
            explicit = True
        elif isinstance(limit, CallLimit | ResourceLimit):
            n = 1.0
            explicit = False
        else:
            continue
        if n == 0:
            continue
        entries.append((i, n))
        amounts[key] = n
        if isinstance(limit, ResourceLimit):
            resources.append((i, n))
            continue
        rates[key] = (i, n, explicit and algorithm_of(limit).REFUNDS)
        if not explicit:
            implicit.append(key)
            continue
        if isinstance(limit, CallLimit) and n == 1:
            optional.append(key)  # one call, as if not named; a usage of 0 may refund it
        else:
            needs_update.append(key)
    plan = Plan()
    plan.entries = tuple(entries)
    plan.resources = tuple(resources)
    plan.rates = rates
    plan.needs_update = tuple(needs_update)
    plan.amounts = amounts
    plan.implicit = frozenset(implicit)
    plan.updatable = {k: amounts[k] for k in (*needs_update, *optional)}
    plan.simple = not (resources or needs_update)
    return plan
