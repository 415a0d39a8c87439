"""Leaky bucket (meter form): a level that drains continuously at ``capacity / window``.

A request for ``n`` is granted when ``level + n <= capacity`` and adds ``n`` to the
level. The drain is computed exactly from elapsed time (no whole-unit rounding, no
per-poll reset), so the bucket keeps granting at the leak rate whatever the polling
frequency, from one poll an hour to a million a second.

Burst behaviour: an empty bucket admits up to ``capacity`` at once, then exactly the
leak rate. No refunds: what went into the bucket drains out at the leak rate
whatever usage is reported later (use TokenBucket or GCRA to get refunds).
Amounts may be fractional.

State: ``[capacity, window, rate, level, last]``.
"""

from __future__ import annotations

from collections.abc import MutableSequence

NAME = "leaky_bucket"
INTEGER = False
REFUNDS = False
_EPS = 1e-9

State = MutableSequence[float]


def init(capacity: float, window: float, entries: int = 0) -> list[float]:
    """Initial state: an empty bucket."""
    return [capacity, window, capacity / window, 0.0, 0.0]


def take(s: State, n: float, now: float) -> float:
    """Pour ``n`` in at ``now``: 0.0 when granted, else the earliest time it could be."""
    level = s[3]
    elapsed = now - s[4]
    if elapsed > 0.0:
        level -= elapsed * s[2]
        if level < 0.0:
            level = 0.0
        s[4] = now
    if level + n <= s[0] + _EPS:
        s[3] = level + n
        return 0.0
    s[3] = level
    return now + (level + n - s[0]) / s[2]


def untake(s: State, n: float, now: float) -> None:
    """Undo a granted ``take(s, n, now)`` at the same ``now``."""
    s[3] -= n


def refund(s: State, n: float, now: float) -> None:
    """No refunds for a leaky bucket (see the module docstring)."""


def charge(s: State, n: float, now: float) -> None:
    """Pour in ``n`` used beyond a grant, above capacity if need be (it drains at the leak rate)."""
    take(s, 0.0, now)
    s[3] += n


def stats(s: State, now: float) -> dict[str, float]:
    """Read-only view: room left in the bucket now (0 while it is over-full)."""
    level = max(0.0, s[3] - max(0.0, now - s[4]) * s[2])
    return {"capacity": s[0], "window": s[1], "available": max(0.0, s[0] - level)}
