"""Token bucket: starts full, refills ``capacity / window`` tokens per second, refunds.

Burst behaviour: a full bucket grants up to ``capacity`` at once; after that the
sustained rate is ``capacity / window`` per second, and idle time rebuilds the
burst allowance up to ``capacity``. Amounts may be fractional.

State (a mutable sequence of floats, a list or shared memory):
``[capacity, window, rate, tokens, last]``.
"""

from __future__ import annotations

from collections.abc import MutableSequence

NAME = "token_bucket"
INTEGER = False
REFUNDS = True
_EPS = 1e-9

State = MutableSequence[float]


def init(capacity: float, window: float, entries: int = 0) -> list[float]:
    """Initial state: a full bucket."""
    return [capacity, window, capacity / window, capacity, 0.0]


def take(s: State, n: float, now: float) -> float:
    """Take ``n`` tokens at ``now``: 0.0 when granted, else the earliest time it could be."""
    tokens = s[3]
    elapsed = now - s[4]
    if elapsed > 0.0:
        tokens += elapsed * s[2]
        if tokens > s[0]:
            tokens = s[0]
        s[4] = now
    if tokens + _EPS >= n:
        s[3] = tokens - n
        return 0.0
    s[3] = tokens
    return now + (n - tokens) / s[2]


def untake(s: State, n: float, now: float) -> None:
    """Undo a ``take(s, n, now)`` that was granted at the same ``now``."""
    s[3] += n


def refund(s: State, n: float, now: float) -> None:
    """Give back ``n`` unused tokens (never above capacity)."""
    take(s, 0.0, now)
    tokens = s[3] + n
    s[3] = tokens if tokens < s[0] else s[0]


def charge(s: State, n: float, now: float) -> None:
    """Take ``n`` tokens used beyond a grant, into debt if need be (refills pay it off)."""
    take(s, 0.0, now)
    s[3] -= n


def stats(s: State, now: float) -> dict[str, float]:
    """Read-only view: tokens available now (0 while in debt)."""
    tokens = min(s[0], s[3] + max(0.0, now - s[4]) * s[2])
    return {"capacity": s[0], "window": s[1], "available": max(0.0, tokens)}
